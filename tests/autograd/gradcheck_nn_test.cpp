#include "test_util.h"

namespace mg {
namespace {

using testing::leaf;
using testing::transposed_leaf;
using testing::uniform_leaf;
using Inputs = std::vector<Tensor>;

TEST(GradcheckNn, SoftmaxAndLogSoftmaxAlongEveryDim) {
  const Tensor x = leaf({2, 3, 4}, 1, 2.0);
  for (std::int64_t dim : {0, 1, 2, -1}) {
    EXPECT_GRADCHECK([dim](const Inputs& in) { return softmax(in[0], dim); }, {x});
    EXPECT_GRADCHECK([dim](const Inputs& in) { return log_softmax(in[0], dim); }, {x});
  }
  const Tensor t = transposed_leaf({3, 5}, 2);
  EXPECT_GRADCHECK([](const Inputs& in) { return softmax(in[0], 1); }, {t});
  EXPECT_GRADCHECK([](const Inputs& in) { return log_softmax(in[0], 0); }, {t});
}

TEST(GradcheckNn, LayerNorm) {
  const Tensor x = leaf({2, 3, 4}, 3);
  const Tensor w4 = leaf({4}, 4), b4 = leaf({4}, 5);
  const Tensor w34 = leaf({3, 4}, 6), b34 = leaf({3, 4}, 7);
  EXPECT_GRADCHECK([](const Inputs& in) { return layer_norm(in[0], {4}); }, {x});
  EXPECT_GRADCHECK([](const Inputs& in) { return layer_norm(in[0], {3, 4}); }, {x});
  EXPECT_GRADCHECK([](const Inputs& in) { return layer_norm(in[0], {4}, in[1], in[2]); },
                   {x, w4, b4});
  EXPECT_GRADCHECK(
      [](const Inputs& in) {
        return layer_norm(in[0], {3, 4}, in[1], in[2], 0.1);
      },
      {x, w34, b34});
  EXPECT_GRADCHECK([](const Inputs& in) { return layer_norm(in[0], {4}, in[1]); }, {x, w4});
  EXPECT_GRADCHECK([](const Inputs& in) { return layer_norm(in[0], {3}, {}, in[1]); },
                   {transposed_leaf({2, 3}, 8), leaf({3}, 9)});
}

TEST(GradcheckNn, BatchNormTrainingAndEvaluation) {
  const Tensor w = leaf({3}, 10), b = leaf({3}, 11);
  const Tensor running_mean = tensor({0.1, -0.3, 0.5}, {}, kFloat64);
  const Tensor running_var = tensor({0.8, 1.2, 2.0}, {}, kFloat64);
  for (const Shape& shape : {Shape{4, 3}, Shape{2, 3, 2, 2}, Shape{2, 3, 2, 1, 2}}) {
    const Tensor x = leaf(shape, 12);
    // Training updates the running statistics on every evaluation; the output does not use them.
    EXPECT_GRADCHECK(
        [&](const Inputs& in) {
          return batch_norm(in[0], clone(running_mean), clone(running_var), in[1], in[2], true);
        },
        {x, w, b});
    EXPECT_GRADCHECK(
        [&](const Inputs& in) {
          return batch_norm(in[0], running_mean, running_var, in[1], in[2], false, 0.1, 1e-3);
        },
        {x, w, b});
  }
  // No running statistics, no affine parameters; a non-contiguous input.
  EXPECT_GRADCHECK([](const Inputs& in) { return batch_norm(in[0], {}, {}, {}, {}, true); },
                   {leaf({3, 2, 2}, 13)});
  EXPECT_GRADCHECK([](const Inputs& in) { return batch_norm(in[0], {}, {}, in[1], {}, true); },
                   {transposed_leaf({4, 3}, 20), w});
}

TEST(GradcheckNn, DropoutWithAFixedMask) {
  EXPECT_GRADCHECK(
      [](const Inputs& in) {
        Generator generator(14);  // every evaluation draws the same mask
        return dropout(in[0], 0.4, true, &generator);
      },
      {leaf({3, 5}, 15)});
  EXPECT_GRADCHECK([](const Inputs& in) { return dropout(in[0], 1, true); }, {leaf({4}, 16)});
}

// Every option combination of nll_loss and of cross_entropy with class-index targets.
TEST(GradcheckNn, NllLossAndCrossEntropyWithClassIndices) {
  const Tensor weight = tensor({0.5, 1.5, 2.0, 0.25}, {}, kFloat64);
  struct Case {
    Shape input;
    Tensor target;
  };
  const std::vector<Case> cases{
      {{5, 4}, from_vector<std::int64_t>({0, 3, 1, 3, 2}, {5})},
      {{2, 4, 3}, from_vector<std::int64_t>({1, 0, 3, 3, 2, 1}, {2, 3})},
      {{4}, view(from_vector<std::int64_t>({2}, {1}), {})},
  };
  for (const Case& c : cases) {
    const Tensor x = leaf(c.input, 17);
    const Tensor target = c.target;
    for (const Tensor& w : {Tensor(), weight}) {
      for (std::int64_t ignore : {std::int64_t{-100}, std::int64_t{3}}) {
        for (Reduction reduction : {Reduction::None, Reduction::Mean, Reduction::Sum}) {
          const std::int64_t class_dim = c.input.size() == 1 ? 0 : 1;
          EXPECT_GRADCHECK(
              [&](const Inputs& in) {
                return nll_loss(log_softmax(in[0], class_dim), target, {w, ignore, reduction});
              },
              {x});
          for (double smoothing : {0.0, 0.2}) {
            EXPECT_GRADCHECK(
                [&](const Inputs& in) {
                  return cross_entropy(in[0], target, {w, ignore, reduction, smoothing});
                },
                {x});
          }
        }
      }
    }
  }
}

TEST(GradcheckNn, CrossEntropyOfNonContiguousLogits) {
  const Tensor target = from_vector<std::int64_t>({1, 0, 2, 2}, {4});
  EXPECT_GRADCHECK(
      [&](const Inputs& in) { return cross_entropy(in[0], target, {.label_smoothing = 0.1}); },
      {transposed_leaf({4, 3}, 21)});
}

// Soft targets: the gradient flows to the logits and to the target probabilities.
TEST(GradcheckNn, CrossEntropyWithClassProbabilities) {
  const Tensor weight = tensor({0.5, 1.5, 2.0}, {}, kFloat64);
  for (const Shape& shape : {Shape{4, 3}, Shape{2, 3, 2}, Shape{3}}) {
    const Tensor x = leaf(shape, 18);
    const Tensor target = uniform_leaf(shape, 19, 0, 1);
    for (const Tensor& w : {Tensor(), weight}) {
      for (Reduction reduction : {Reduction::None, Reduction::Mean, Reduction::Sum}) {
        for (double smoothing : {0.0, 0.3}) {
          EXPECT_GRADCHECK(
              [&](const Inputs& in) {
                return cross_entropy(in[0], in[1], {w, -100, reduction, smoothing});
              },
              {x, target});
        }
      }
    }
  }
}

}  // namespace
}  // namespace mg
