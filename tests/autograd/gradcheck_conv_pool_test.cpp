#include "test_util.h"

namespace mg {
namespace {

using testing::leaf;
using testing::transposed_leaf;
using Inputs = std::vector<Tensor>;

TEST(GradcheckConv, Conv2dInputWeightBias) {
  // Stride, padding and dilation per dim (input gradient through col2im).
  EXPECT_GRADCHECK(
      [](const Inputs& in) {
        return conv2d(in[0], in[1], in[2], {2, 1}, {1, 0}, {1, 2});
      },
      {leaf({2, 3, 5, 4}, 1), leaf({4, 3, 3, 2}, 2), leaf({4}, 3)});
  // Groups, unit stride (input gradient as a transposed convolution).
  EXPECT_GRADCHECK([](const Inputs& in) { return conv2d(in[0], in[1], in[2], {1}, {1}, {1}, 2); },
                   {leaf({2, 4, 4, 3}, 4), leaf({6, 2, 3, 3}, 5), leaf({6}, 6)});
  // No bias; 1×1 kernel.
  EXPECT_GRADCHECK([](const Inputs& in) { return conv2d(in[0], in[1]); },
                   {leaf({2, 3, 3, 3}, 7), leaf({2, 3, 1, 1}, 8)});
  // Non-contiguous input.
  const Tensor strided = transposed_leaf({1, 2, 4, 5}, 9);
  ASSERT_FALSE(strided.is_contiguous());
  EXPECT_GRADCHECK([](const Inputs& in) { return conv2d(in[0], in[1], in[2], {1}, {1}); },
                   {strided, leaf({3, 2, 2, 2}, 10), leaf({3}, 11)});
}

TEST(GradcheckConv, Conv2dWinograd) {
  // 3×3 with unit stride, 16 channels and at least 48 tiles of 2×2 outputs: the Winograd path,
  // padding 1 and 0. Too many Jacobian entries for full checks: every input is checked through
  // random projections.
  autograd::GradcheckOptions projected;
  projected.max_full_entries = 0;
  EXPECT_GRADCHECK([](const Inputs& in) { return conv2d(in[0], in[1], in[2], {1}, {1}); },
                   {leaf({2, 16, 8, 14}, 12), leaf({16, 16, 3, 3}, 13, 0.1), leaf({16}, 14)},
                   projected);
  EXPECT_GRADCHECK([](const Inputs& in) { return conv2d(in[0], in[1], Tensor(), {1}, {0}); },
                   {leaf({3, 16, 10, 12}, 15), leaf({16, 16, 3, 3}, 16, 0.1)}, projected);
}

TEST(GradcheckConv, Conv3d) {
  EXPECT_GRADCHECK(
      [](const Inputs& in) {
        return conv3d(in[0], in[1], in[2], {1, 2, 1}, {1, 0, 1}, {1, 1, 2});
      },
      {leaf({1, 2, 3, 4, 3}, 17), leaf({2, 2, 2, 3, 2}, 18), leaf({2}, 19)});
  EXPECT_GRADCHECK([](const Inputs& in) { return conv3d(in[0], in[1], in[2], {1}, {1}, {1}, 2); },
                   {leaf({1, 4, 2, 3, 3}, 20), leaf({2, 2, 2, 2, 2}, 21), leaf({2}, 22)});
}

TEST(GradcheckPool, MaxPool) {
  const Tensor x = leaf({2, 2, 5, 5}, 23);
  EXPECT_GRADCHECK([](const Inputs& in) { return max_pool2d(in[0], {2}); }, {x});
  EXPECT_GRADCHECK([](const Inputs& in) { return max_pool2d(in[0], {3}, {2}, {1}, true); }, {x});
  EXPECT_GRADCHECK([](const Inputs& in) { return max_pool2d(in[0], {2, 3}, {1, 2}, {1, 0}); }, {x});
  EXPECT_GRADCHECK([](const Inputs& in) { return max_pool3d(in[0], {2}, {1}, {1}, true); },
                   {leaf({1, 2, 3, 4, 3}, 24)});
  EXPECT_GRADCHECK([](const Inputs& in) { return max_pool2d(in[0], {2}); },
                   {transposed_leaf({1, 2, 4, 4}, 25)});
}

TEST(GradcheckPool, AvgPool) {
  const Tensor x = leaf({2, 2, 5, 5}, 26);
  EXPECT_GRADCHECK([](const Inputs& in) { return avg_pool2d(in[0], {2}); }, {x});
  EXPECT_GRADCHECK([](const Inputs& in) { return avg_pool2d(in[0], {3}, {2}, {1}, true); }, {x});
  EXPECT_GRADCHECK([](const Inputs& in) { return avg_pool2d(in[0], {3}, {2}, {1}, true, false); },
                   {x});
  EXPECT_GRADCHECK(
      [](const Inputs& in) {
        return avg_pool3d(in[0], {2, 3, 2}, {1, 2, 2}, {1}, false, false);
      },
      {leaf({1, 2, 3, 4, 5}, 27)});
  EXPECT_GRADCHECK([](const Inputs& in) { return avg_pool3d(in[0], {2}, {}, {1}, true); },
                   {leaf({1, 1, 3, 3, 4}, 28)});
}

TEST(GradcheckPool, AdaptiveAvgPool) {
  EXPECT_GRADCHECK(
      [](const Inputs& in) {
        return adaptive_avg_pool2d(in[0], {2, 3});
      },
      {leaf({2, 2, 5, 5}, 29)});
  EXPECT_GRADCHECK([](const Inputs& in) { return adaptive_avg_pool2d(in[0], {1}); },
                   {transposed_leaf({1, 2, 3, 4}, 30)});
  EXPECT_GRADCHECK(
      [](const Inputs& in) {
        return adaptive_avg_pool3d(in[0], {2, 1, 3});
      },
      {leaf({1, 2, 3, 3, 5}, 31)});
}

}  // namespace
}  // namespace mg
