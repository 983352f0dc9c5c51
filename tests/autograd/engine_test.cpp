#include <pthread.h>

#include <cmath>

#include "test_util.h"

namespace mg {
namespace {

using testing::expect_values;

Tensor leaf_of(const std::vector<double>& values) {
  Tensor x = tensor(values, {}, kFloat64);
  x.requires_grad_(true);
  return x;
}

TEST(Engine, AccumulatesOverEdgesAndCalls) {
  Tensor x = leaf_of({1, 2, 3});
  // y = x·x + 3x uses x on three edges.
  Tensor y = sum(x * x + x * 3.0);
  backward(y);
  expect_values(x.grad(), {5, 7, 9}, {3});
  // A second graph adds to the gradient already there.
  backward(sum(x));
  expect_values(x.grad(), {6, 8, 10}, {3});
  EXPECT_TRUE(x.is_leaf());
  EXPECT_FALSE(y.is_leaf());
  EXPECT_NE(y.grad_fn(), nullptr);
}

TEST(Engine, RetainGraphAllowsASecondBackward) {
  Tensor x = leaf_of({1, 2});
  Tensor y = sum(exp(x));
  backward(y, {}, true);
  backward(y);
  expect_values(x.grad(), {2 * std::exp(1.0), 2 * std::exp(2.0)}, {2});
  EXPECT_MG_ERROR(backward(y), "second time", "retain_graph");
}

TEST(Engine, NonScalarRootsNeedAGradient) {
  Tensor x = leaf_of({1, 2});
  Tensor y = x * 2.0;
  EXPECT_MG_ERROR(backward(y), "one-element", "float64[2]");
  backward(y, tensor({1, 10}, {}, kFloat64));
  expect_values(x.grad(), {2, 20}, {2});
  EXPECT_MG_ERROR(backward(zeros({1})), "does not require gradients");
}

TEST(Engine, InPlaceChangeOfASavedTensorRaises) {
  Tensor x = leaf_of({1, 2});
  Tensor e = exp(x);  // saves its output
  Tensor y = sum(e * 2.0);
  {
    NoGradGuard no_grad;
    add_(e, 1.0);
  }
  EXPECT_MG_ERROR(backward(y), "ExpBackward", "modified by an in-place operation", "version");
  // A view of the saved tensor shares its version counter.
  Tensor a = leaf_of({1, 2, 3});
  Tensor s = sigmoid(a);
  Tensor z = sum(s);
  {
    NoGradGuard no_grad;
    mul_(narrow(s, 0, 0, 1), 2.0);
  }
  EXPECT_MG_ERROR(backward(z), "SigmoidBackward", "in-place");
}

TEST(Engine, InPlaceOnGraphTensorsJoinsTheGraph) {
  Tensor x = leaf_of({1, 2, 3});
  Tensor y = x * 2.0;
  mul_(y, 3.0);
  add_(y, x);
  backward(sum(y));
  expect_values(x.grad(), {7, 7, 7}, {3});
  Tensor w = leaf_of({1, 2});
  EXPECT_MG_ERROR(add_(w, 1.0), "add_", "leaf tensor that requires gradients");
  Tensor v = w * 1.0;
  EXPECT_MG_ERROR(add_(narrow(v, 0, 0, 1), 1.0), "add_", "view");
  {
    NoGradGuard no_grad;
    add_(w, 1.0);  // allowed: this is how optimizers update parameters
  }
  expect_values(w, {2, 3}, {2});
}

TEST(Engine, NoGradGuardAndDetachStopRecording) {
  Tensor x = leaf_of({1, 2});
  {
    NoGradGuard no_grad;
    Tensor y = x * 2.0;
    EXPECT_FALSE(y.requires_grad());
    EXPECT_TRUE(GradMode::is_enabled() == false);
  }
  EXPECT_TRUE(GradMode::is_enabled());
  Tensor d = x.detach();
  EXPECT_FALSE(d.requires_grad());
  EXPECT_EQ(d.storage(), x.storage());
  Tensor y = sum(x * d);  // d is a constant
  backward(y);
  expect_values(x.grad(), {1, 2}, {2});
  EXPECT_FALSE((d * 2.0).requires_grad());
  EXPECT_MG_ERROR(zeros({2}, kInt64).requires_grad_(), "floating-point", "int64[2]");
  EXPECT_MG_ERROR(y.requires_grad_(false), "leaf");
}

TEST(Engine, HooksSeeAndReplaceGradients) {
  Tensor x = leaf_of({1, 2});
  Tensor h = x * 3.0;
  std::vector<double> seen;
  h.register_hook([&](const Tensor& g) { seen = g.to_vector<double>(); });
  h.register_hook([](const Tensor& g) { return g * 10.0; });
  x.register_hook([](const Tensor& g) { return g + 1.0; });
  backward(sum(h * 2.0));
  EXPECT_EQ(seen, (std::vector<double>{2, 2}));
  expect_values(x.grad(), {61, 61}, {2});  // 2 · 10 · 3, then + 1 at the leaf
}

TEST(Engine, RetainGradKeepsNonLeafGradients) {
  Tensor x = leaf_of({1, 2});
  Tensor h = x * x;
  Tensor other = x * 2.0;
  h.retain_grad();
  EXPECT_TRUE(h.retains_grad());
  backward(sum(h * 3.0 + other));
  expect_values(h.grad(), {3, 3}, {2});
  EXPECT_FALSE(other.grad().defined());
}

TEST(Engine, BroadcastGradientsAreSummedBack) {
  Tensor a = leaf_of({1, 2, 3});
  Tensor b = tensor({1, 2}, {2, 1}, kFloat64);
  b.requires_grad_(true);
  backward(sum(a * b));
  expect_values(a.grad(), {3, 3, 3}, {3});
  expect_values(b.grad(), {6, 6}, {2, 1});
}

TEST(Engine, MixedDtypesGetGradientsOfTheirOwnDtype) {
  Tensor a = ones({2}, kFloat32);
  a.requires_grad_(true);
  Tensor b = leaf_of({2, 3});
  backward(sum(a * b));
  EXPECT_EQ(a.grad().dtype(), kFloat32);
  expect_values(a.grad(), {2, 3}, {2});
}

// Releasing a long chain node by node must not recurse: run on a thread with a small stack, a
// recursive release of 20,000 nodes overflows it.
TEST(Engine, DeepChainsDoNotOverflowTheStack) {
  auto body = [](void* result) -> void* {
    Tensor x = leaf_of({1});
    {
      Tensor y = x;
      for (int i = 0; i < 20000; ++i) y = y * 1.0;
      backward(sum(y), {}, true);  // keep the graph, so it is released when y goes
    }
    *static_cast<double*>(result) = x.grad().item<double>();
    return nullptr;
  };
  double grad = 0;
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, 256 * 1024);
  pthread_t thread;
  ASSERT_EQ(pthread_create(&thread, &attr, body, &grad), 0);
  pthread_join(thread, nullptr);
  pthread_attr_destroy(&attr);
  EXPECT_EQ(grad, 1.0);
}

TEST(Engine, HooksLiveWithTheGraphNotTheHandle) {
  // AGM's pattern: the hooked intermediate's handle is gone before backward runs.
  auto forward = [](const Tensor& x) {
    Tensor scaled = x * 2.0;
    scaled.register_hook([](const Tensor& g) { return g * 0.0; });
    return exp(scaled);
  };
  Tensor a = leaf_of({1, 2});
  backward(sum(forward(a)));
  expect_values(a.grad(), {0, 0}, {2});
}

TEST(Engine, ARootGivenTwiceCountsTwice) {
  Tensor a = leaf_of({1, 2});
  Tensor z = sum(a * 2.0);
  autograd::backward({z, z});
  expect_values(a.grad(), {4, 4}, {2});
}

TEST(Engine, HooksMustKeepShapeAndDtype) {
  Tensor a = leaf_of({1, 2, 3});
  a.register_hook([](const Tensor& g) { return sum(g); });
  EXPECT_MG_ERROR(backward(sum(a * 1.0)), "hook", "float64[3]", "float64[]");
}

TEST(Engine, AHookBeforeAnInPlaceOpSeesTheOldValuesGradient) {
  Tensor a = leaf_of({1, 2});
  Tensor x = a * 2.0;
  std::vector<double> seen;
  x.register_hook([&](const Tensor& g) { seen = g.to_vector<double>(); });
  mul_(x, 3.0);
  backward(sum(x * x));  // d/dx_old = 2·(3·x_old)·3
  EXPECT_EQ(seen, (std::vector<double>{36, 72}));
}

TEST(Engine, InPlaceOnAnAliasOfASavedOperandRaises) {
  Tensor a = leaf_of({1, 2, 3});
  Tensor x = a * 1.0;
  mul_(x, x);  // PyTorch raises at backward too: `other` changed under the rule that needs it
  EXPECT_MG_ERROR(backward(sum(x)), "MulBackward_", "in-place");
  Tensor y = a * 1.0;
  div_(y, y);
  EXPECT_MG_ERROR(backward(sum(y)), "DivBackward_", "in-place");
}

TEST(Engine, ViewsTakenBeforeAnInPlaceChangeOfTheirBaseRaise) {
  Tensor a = leaf_of({1, 2, 3});
  Tensor x = a * 1.0;
  Tensor v = narrow(x, 0, 0, 2);
  mul_(x, 2.0);
  EXPECT_MG_ERROR(backward(sum(v)), "float64[2]", "in-place op", "take it again");
  EXPECT_MG_ERROR(v * 2.0, "in-place op");
  backward(sum(narrow(x, 0, 0, 2)));  // a view taken after is fine
  expect_values(a.grad(), {2, 2, 0}, {3});
  // A view taken without grad cannot change its base behind the graph's back.
  Tensor y = a * 1.0;
  Tensor quiet;
  {
    NoGradGuard no_grad;
    quiet = narrow(y, 0, 0, 1);
  }
  EXPECT_MG_ERROR(mul_(quiet, 2.0), "mul_", "view");
}

TEST(Engine, MixedDtypeInPlaceOpsGiveEachInputItsDtype) {
  Tensor w = tensor({2, 4}, {}, kFloat64);
  w.requires_grad_(true);
  Tensor a = ones({2}, kFloat32);
  a.requires_grad_(true);
  Tensor x = a * 1.0;
  mul_(x, w);
  div_(x, w);
  backward(sum(x));
  EXPECT_EQ(a.grad().dtype(), kFloat32);
  expect_values(a.grad(), {1, 1}, {2});
  expect_values(w.grad(), {0, 0}, {2});
}

TEST(Engine, FillPassesAZeroGradientUpstream) {
  Tensor a = leaf_of({1, 2});
  Tensor x = a * 2.0;
  bool ran = false;
  x.register_hook([&](const Tensor&) { ran = true; });
  fill_(x, 5);
  backward(sum(x * a));
  EXPECT_TRUE(ran);
  expect_values(a.grad(), {5, 5}, {2});
}

TEST(Engine, LeafGradientsDoNotPinLargerStorages) {
  Tensor big = leaf_of(std::vector<double>(100000, 0.5));
  Tensor small = leaf_of({1});
  backward(sum(cat({exp(big), small * 1.0})));
  EXPECT_EQ(small.grad().storage()->nbytes(), sizeof(double));
}

}  // namespace
}  // namespace mg
