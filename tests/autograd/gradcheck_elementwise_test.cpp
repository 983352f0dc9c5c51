#include "test_util.h"

namespace mg {
namespace {

using testing::leaf;
using testing::transposed_leaf;
using testing::uniform_leaf;
using Inputs = std::vector<Tensor>;

TEST(GradcheckElementwise, BinaryOpsWithBroadcasting) {
  const Tensor a = leaf({2, 3}, 1);
  const Tensor b = leaf({3}, 2);
  const Tensor c = leaf({2, 1}, 3);
  EXPECT_GRADCHECK([](const Inputs& x) { return add(x[0], x[1], 0.7); }, {a, b});
  EXPECT_GRADCHECK([](const Inputs& x) { return sub(x[0], x[1], 1.5); }, {a, c});
  EXPECT_GRADCHECK([](const Inputs& x) { return mul(x[0], x[1]); }, {b, c});
  EXPECT_GRADCHECK([](const Inputs& x) { return div(x[0], x[1]); },
                   {a, uniform_leaf({3}, 4, 0.5, 2)});
  EXPECT_GRADCHECK([](const Inputs& x) { return maximum(x[0], x[1]); }, {a, b});
  EXPECT_GRADCHECK([](const Inputs& x) { return minimum(x[0], x[1]); }, {a, c});
  EXPECT_GRADCHECK([](const Inputs& x) { return pow(x[0], x[1]); },
                   {uniform_leaf({2, 3}, 5, 0.5, 2), uniform_leaf({3}, 6, -1, 2)});
}

TEST(GradcheckElementwise, ScalarOperands) {
  const Tensor a = leaf({4}, 7);
  EXPECT_GRADCHECK([](const Inputs& x) { return 3.0 - x[0] * 2.0 + 1.0; }, {a});
  EXPECT_GRADCHECK([](const Inputs& x) { return x[0] / 4.0; }, {a});
  EXPECT_GRADCHECK([](const Inputs& x) { return 2.0 / x[0]; }, {uniform_leaf({4}, 8, 0.5, 2)});
  EXPECT_GRADCHECK([](const Inputs& x) { return pow(x[0], 3.0); }, {a});
  EXPECT_GRADCHECK([](const Inputs& x) { return pow(x[0], 0.5); }, {uniform_leaf({4}, 9, 0.5, 2)});
}

TEST(GradcheckElementwise, UnaryOps) {
  const Tensor x = leaf({3, 4}, 10);
  const Tensor positive = uniform_leaf({3, 4}, 11, 0.2, 3);
  // Values kept away from the kinks of abs, relu and clamp.
  const Tensor away =
      add(mul(sign(leaf({3, 4}, 12)), 0.5), mul(leaf({3, 4}, 13), 0.1)).detach().requires_grad_();
  using Fn = Tensor (*)(const Tensor&);
  for (Fn fn : {Fn(neg), Fn(exp), Fn(sigmoid), Fn(tanh), Fn(square)}) {
    EXPECT_GRADCHECK([fn](const Inputs& in) { return fn(in[0]); }, {x});
  }
  for (Fn fn : {Fn(log), Fn(log1p), Fn(sqrt), Fn(rsqrt)}) {
    EXPECT_GRADCHECK([fn](const Inputs& in) { return fn(in[0]); }, {positive});
  }
  for (Fn fn : {Fn(abs), Fn(relu), Fn(sign)}) {
    EXPECT_GRADCHECK([fn](const Inputs& in) { return fn(in[0]); }, {away});
  }
  EXPECT_GRADCHECK([](const Inputs& in) { return gelu(in[0]); }, {x});
  EXPECT_GRADCHECK([](const Inputs& in) { return gelu(in[0], GeluApproximate::Tanh); }, {x});
  // Some values below, inside and above the bounds, none near them: both sides are checked.
  Tensor straddling = tensor({-0.9, -0.5, -0.1, 0.0, 0.15, 0.6, 0.9}, {}, kFloat64);
  straddling.requires_grad_(true);
  EXPECT_GRADCHECK([](const Inputs& in) { return clamp(in[0], -0.3, 0.2); }, {straddling});
  EXPECT_GRADCHECK([](const Inputs& in) { return clamp(in[0], std::nullopt, 0.1); }, {straddling});
  EXPECT_GRADCHECK([](const Inputs& in) { return clamp(in[0], -0.2, std::nullopt); }, {straddling});
}

TEST(GradcheckElementwise, NonContiguousInputs) {
  const Tensor a = transposed_leaf({3, 4}, 14);
  const Tensor b = transposed_leaf({3, 4}, 15);
  ASSERT_FALSE(a.is_contiguous());
  EXPECT_GRADCHECK([](const Inputs& x) { return mul(exp(x[0]), x[1]); }, {a, b});
  EXPECT_GRADCHECK([](const Inputs& x) { return where(gt(x[1], 0.0), x[0], x[1]); }, {a, b});
}

TEST(GradcheckElementwise, WhereAndConversions) {
  const Tensor a = leaf({2, 3}, 16);
  const Tensor b = leaf({3}, 17);
  const Tensor cond = gt(leaf({2, 3}, 18), 0.0);
  EXPECT_GRADCHECK([cond](const Inputs& x) { return where(cond, x[0], x[1]); }, {a, b});
  EXPECT_GRADCHECK([](const Inputs& x) { return to(to(x[0], kFloat32), kFloat64) * 1.0; }, {a},
                   {.eps = 1e-2, .atol = 1e-4});
  EXPECT_GRADCHECK([](const Inputs& x) { return clone(x[0]); }, {a});
}

TEST(GradcheckElementwise, InPlaceOps) {
  const Tensor a = leaf({4}, 19);
  const Tensor b = uniform_leaf({4}, 20, 0.5, 2);
  EXPECT_GRADCHECK(
      [](const Inputs& x) {
        Tensor y = x[0] * 1.0;
        add_(y, x[1], 2.0);
        mul_(y, x[1]);
        div_(y, x[1] + 1.0);
        sub_(y, 0.5);
        mul_(y, 3.0);
        return y;
      },
      {a, b});
  EXPECT_GRADCHECK(
      [](const Inputs& x) {
        Tensor y = zeros({4}, kFloat64);
        copy_(y, x[0]);
        return y * x[1];
      },
      {a, b});
  EXPECT_GRADCHECK(
      [](const Inputs& x) {
        Tensor y = x[0] * 2.0;
        clamp_(y, -0.5, 0.5);
        return y;
      },
      {tensor({-0.4, -0.2, 0.1, 0.35}, {}, kFloat64).requires_grad_()});  // y: 2 clamped, 2 not
}

}  // namespace
}  // namespace mg
