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

TEST(Engine, DeepChainsDoNotOverflowTheStack) {
  Tensor x = leaf_of({1});
  Tensor y = x;
  for (int i = 0; i < 20000; ++i) y = y * 1.0;
  backward(sum(y));
  expect_values(x.grad(), {1}, {1});
}

}  // namespace
}  // namespace mg
