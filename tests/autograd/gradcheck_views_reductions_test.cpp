#include <limits>

#include "test_util.h"

namespace mg {
namespace {

using testing::leaf;
using testing::transposed_leaf;
using Inputs = std::vector<Tensor>;

TEST(GradcheckViews, EveryView) {
  const Tensor x = leaf({2, 3, 4}, 1);
  EXPECT_GRADCHECK([](const Inputs& in) { return view(in[0], {6, 4}) * 2.0; }, {x});
  EXPECT_GRADCHECK([](const Inputs& in) { return reshape(in[0], {4, -1}) * 2.0; }, {x});
  EXPECT_GRADCHECK([](const Inputs& in) { return flatten(in[0], 1) * 2.0; }, {x});
  EXPECT_GRADCHECK([](const Inputs& in) { return permute(in[0], {2, 0, 1}) * 2.0; }, {x});
  EXPECT_GRADCHECK([](const Inputs& in) { return transpose(in[0], 0, 2) * 2.0; }, {x});
  EXPECT_GRADCHECK([](const Inputs& in) { return narrow(in[0], 1, 1, 2) * 2.0; }, {x});
  EXPECT_GRADCHECK([](const Inputs& in) { return slice(in[0], 2, 0, 4, 2) * 2.0; }, {x});
  EXPECT_GRADCHECK([](const Inputs& in) { return select(in[0], 1, -1) * 2.0; }, {x});
  EXPECT_GRADCHECK(
      [](const Inputs& in) {
        return expand(unsqueeze(in[0], 1), {2, 5, 3, 4}) * 1.0;
      },
      {x});
  EXPECT_GRADCHECK([](const Inputs& in) { return squeeze(narrow(in[0], 0, 0, 1)) * 2.0; }, {x});
  EXPECT_GRADCHECK([](const Inputs& in) { return t(select(in[0], 0, 1)) * 2.0; }, {x});
  // Views of non-contiguous inputs, and a reshape that has to copy.
  const Tensor tr = transposed_leaf({3, 4}, 2);
  EXPECT_GRADCHECK([](const Inputs& in) { return reshape(in[0], {12}) * 2.0; }, {tr});
  EXPECT_GRADCHECK([](const Inputs& in) { return narrow(in[0], 1, 1, 3) * 2.0; }, {tr});
}

TEST(GradcheckReductions, SumMeanOverDims) {
  const Tensor x = leaf({3, 4, 5}, 3);
  EXPECT_GRADCHECK([](const Inputs& in) { return sum(in[0]); }, {x});
  EXPECT_GRADCHECK([](const Inputs& in) { return sum(in[0], {0, 2}); }, {x});
  EXPECT_GRADCHECK([](const Inputs& in) { return sum(in[0], {1}, true); }, {x});
  EXPECT_GRADCHECK([](const Inputs& in) { return mean(in[0], {2}); }, {x});
  EXPECT_GRADCHECK([](const Inputs& in) { return mean(in[0]); }, {transposed_leaf({4, 5}, 4)});
}

TEST(GradcheckReductions, MaxMinVarStdLogsumexpNorm) {
  const Tensor x = leaf({3, 5}, 5);  // continuous values: no ties
  EXPECT_GRADCHECK([](const Inputs& in) { return max(in[0]); }, {x});
  EXPECT_GRADCHECK([](const Inputs& in) { return max(in[0], 1); }, {x});
  EXPECT_GRADCHECK([](const Inputs& in) { return min(in[0], 0, true); }, {x});
  EXPECT_GRADCHECK([](const Inputs& in) { return amax(in[0], {0, 1}); }, {x});
  EXPECT_GRADCHECK([](const Inputs& in) { return var(in[0], {1}); }, {x});
  EXPECT_GRADCHECK([](const Inputs& in) { return std(in[0], {0}, 0, true); }, {x});
  EXPECT_GRADCHECK([](const Inputs& in) { return logsumexp(in[0], {1}); }, {x});
  EXPECT_GRADCHECK([](const Inputs& in) { return logsumexp(in[0], {0, 1}, true); }, {x});
  EXPECT_GRADCHECK([](const Inputs& in) { return norm(in[0]); }, {x});
  EXPECT_GRADCHECK([](const Inputs& in) { return norm(in[0], 2, {1}); }, {x});
  EXPECT_GRADCHECK([](const Inputs& in) { return norm(in[0], 3, {0}); }, {x});
  EXPECT_GRADCHECK([](const Inputs& in) { return norm(in[0], kInfinity, {1}); }, {x});
}

TEST(GradcheckReductions, TiesShareTheGradient) {
  Tensor x = tensor({1, 3, 3}, {}, kFloat64);
  x.requires_grad_(true);
  backward(max(x));
  testing::expect_values(x.grad(), {0, 0.5, 0.5}, {3});
  Tensor z = zeros({3}, kFloat64);
  z.requires_grad_(true);
  backward(norm(z));
  testing::expect_values(z.grad(), {0, 0, 0}, {3});
}

TEST(GradcheckReductions, KinksFollowPyTorch) {
  // std of equal values, norms at 0, 0^0: gradient 0 where PyTorch takes 0, not NaN.
  auto grad_of = [](const std::vector<double>& values, auto fn) {
    Tensor x = tensor(values, {}, kFloat64);
    x.requires_grad_(true);
    backward(fn(x));
    return x.grad();
  };
  testing::expect_values(grad_of({2, 2, 2}, [](const Tensor& x) { return std(x); }), {0, 0, 0},
                         {3});
  testing::expect_values(grad_of({0, 0}, [](const Tensor& x) { return norm(x, 3); }), {0, 0}, {2});
  testing::expect_values(grad_of({0, 2}, [](const Tensor& x) { return norm(x, 0.5); }), {0, 1},
                         {2});
  testing::expect_values(grad_of({0, -3}, [](const Tensor& x) { return norm(x, 0); }), {0, 0}, {2});
  testing::expect_values(norm(tensor({0, 2, -3}, {}, kFloat64), 0), {2}, {});
  testing::expect_values(
      grad_of({0, 1}, [](const Tensor& x) { return sum(pow(x, zeros({2}, kFloat64))); }), {0, 0},
      {2});
  const double nan = std::numeric_limits<double>::quiet_NaN();
  testing::expect_values(grad_of({nan}, [](const Tensor& x) { return sum(relu(x)); }), {1}, {1});
}

TEST(GradcheckReductions, NonContiguousInputs) {
  const Tensor x = transposed_leaf({4, 5}, 30);
  EXPECT_GRADCHECK([](const Inputs& in) { return sum(in[0], {0}); }, {x});
  EXPECT_GRADCHECK([](const Inputs& in) { return amax(in[0], {1}); }, {x});
  EXPECT_GRADCHECK([](const Inputs& in) { return var(in[0], {1}); }, {x});
  EXPECT_GRADCHECK([](const Inputs& in) { return logsumexp(in[0], {0}); }, {x});
  EXPECT_GRADCHECK([](const Inputs& in) { return norm(in[0], 3, {1}); }, {x});
}

TEST(GradcheckLinalg, MatmulShapes) {
  EXPECT_GRADCHECK([](const Inputs& in) { return matmul(in[0], in[1]); },
                   {leaf({3, 4}, 6), leaf({4, 2}, 7)});
  EXPECT_GRADCHECK([](const Inputs& in) { return matmul(in[0], in[1]); },
                   {leaf({4}, 8), leaf({4, 3}, 9)});
  EXPECT_GRADCHECK([](const Inputs& in) { return matmul(in[0], in[1]); },
                   {leaf({2, 4}, 10), leaf({4}, 11)});
  EXPECT_GRADCHECK([](const Inputs& in) { return matmul(in[0], in[1]); },
                   {leaf({4}, 12), leaf({4}, 13)});
  // Batch broadcasting and non-contiguous operands.
  EXPECT_GRADCHECK([](const Inputs& in) { return matmul(in[0], in[1]); },
                   {leaf({2, 1, 3, 4}, 14), leaf({3, 4, 2}, 15)});
  EXPECT_GRADCHECK([](const Inputs& in) { return bmm(in[0], in[1]); },
                   {transposed_leaf({2, 3, 4}, 16), transposed_leaf({2, 4, 5}, 17)});
  EXPECT_GRADCHECK([](const Inputs& in) { return linear(in[0], in[1], in[2]); },
                   {leaf({5, 3}, 18), leaf({2, 3}, 19), leaf({2}, 20)});
  // N-d × 2-d folds the batch into the rows: contiguous, and a transposed (copied) input.
  EXPECT_GRADCHECK([](const Inputs& in) { return matmul(in[0], in[1]); },
                   {leaf({2, 3, 2, 4}, 21), leaf({4, 3}, 22)});
  EXPECT_GRADCHECK([](const Inputs& in) { return linear(in[0], in[1], in[2]); },
                   {transposed_leaf({2, 3, 4}, 23), leaf({2, 4}, 24), leaf({2}, 25)});
}

TEST(Gradcheck, LargeInputsUseRandomProjections) {
  // 40·30 inputs × 40·20 outputs is past the full-Jacobian limit.
  EXPECT_GRADCHECK([](const Inputs& in) { return tanh(matmul(in[0], in[1])); },
                   {leaf({40, 30}, 21), leaf({30, 20}, 22)});
}

TEST(Gradcheck, DetectsAWrongGradient) {
  // A hook that doubles the gradient makes backward disagree with finite differences.
  const Tensor x = leaf({3}, 23);
  const auto result = autograd::gradcheck(
      [](const Inputs& in) {
        Tensor y = in[0] * 2.0;
        if (y.requires_grad()) y.register_hook([](const Tensor& g) { return g * 2.0; });
        return y;
      },
      {x});
  EXPECT_FALSE(result.ok);
  EXPECT_NE(result.message.find("finite differences"), std::string::npos) << result.message;
  // The projected check finds it too.
  const auto projected = autograd::gradcheck(
      [](const Inputs& in) {
        Tensor y = in[0] * 2.0;
        if (y.requires_grad()) y.register_hook([](const Tensor& g) { return g * 2.0; });
        return y;
      },
      {x}, {.max_full_entries = 0});
  EXPECT_FALSE(projected.ok);
  EXPECT_MG_ERROR(
      autograd::gradcheck([](const Inputs& in) { return in[0]; }, {ones({2}).requires_grad_()}),
      "float64");
}

}  // namespace
}  // namespace mg
