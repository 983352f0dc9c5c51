#include <cstdint>
#include <vector>

#include "core/ops_pad.h"
#include "test_util.h"

namespace mg {
namespace {

using testing::expect_values;

Tensor counting(const Shape& shape, DType dtype = kFloat32) {
  return reshape(arange(static_cast<double>(numel(shape)), dtype), shape);
}

TEST(Pad, OneDim) {
  const Tensor x = tensor({1, 2, 3});
  expect_values(native::pad(x, {2, 1}), {0, 0, 1, 2, 3, 0}, {6});
  expect_values(native::pad(x, {0, 2}, 5), {1, 2, 3, 5, 5}, {5});
  EXPECT_EQ(native::pad(x, {1, 1}).dtype(), kFloat32);
}

TEST(Pad, TwoDimsAsymmetric) {
  // [[0, 1, 2], [3, 4, 5]]: one column on the left, two rows at the bottom.
  expect_values(native::pad(counting({2, 3}), {1, 0, 0, 2}, -1),
                {-1, 0, 1, 2, -1, 3, 4, 5, -1, -1, -1, -1, -1, -1, -1, -1}, {4, 4});
  // Only the last dim listed: the others are left alone.
  expect_values(native::pad(counting({2, 3}), {0, 1}), {0, 1, 2, 0, 3, 4, 5, 0}, {2, 4});
}

TEST(Pad, FiveDimsSamePaddingForConv3d) {
  // TensorFlow "same" padding of an I3D block: W (0, 1), H (1, 1), T (0, 1).
  const Tensor x = counting({1, 2, 2, 2, 2});
  const Tensor out = native::pad(x, {0, 1, 1, 1, 0, 1}, 0.5);
  std::vector<double> expected;
  const auto in = x.to_vector<double>();
  for (std::int64_t c = 0; c < 2; ++c) {
    for (std::int64_t t = 0; t < 3; ++t) {
      for (std::int64_t h = 0; h < 4; ++h) {
        for (std::int64_t w = 0; w < 3; ++w) {
          const bool inside = t < 2 && h >= 1 && h <= 2 && w < 2;
          expected.push_back(
              inside ? in[static_cast<std::size_t>(((c * 2 + t) * 2 + h - 1) * 2 + w)] : 0.5);
        }
      }
    }
  }
  expect_values(out, expected, {1, 2, 3, 4, 3});
}

TEST(Pad, NegativePadsCrop) {
  // W: crop one on the left, pad one on the right; H: crop the last row.
  expect_values(native::pad(counting({2, 3}), {-1, 1, 0, -1}, 9), {1, 2, 9}, {1, 3});
  expect_values(native::pad(tensor({1, 2, 3}), {-2, 2}), {3, 0, 0}, {3});
  expect_values(native::pad(tensor({1, 2, 3}), {-1, -2}), {}, {0});
  expect_values(native::pad(tensor({1, 2, 3}), {-3, 1}, 4), {4}, {1});
}

TEST(Pad, CopiesEvenWithoutPadding) {
  const Tensor x = counting({2, 2});
  const Tensor out = native::pad(x, {0, 0});
  expect_values(out, {0, 1, 2, 3}, {2, 2});
  EXPECT_NE(out.storage(), x.storage());
  const Tensor scalar = scalar_tensor(3);
  expect_values(native::pad(scalar, {}), {3}, {});
}

TEST(Pad, NonContiguousInput) {
  const Tensor x = transpose(counting({3, 2}), 0, 1);  // [[0, 2, 4], [1, 3, 5]]
  ASSERT_FALSE(x.is_contiguous());
  expect_values(native::pad(x, {1, -1, 1, 0}), {0, 0, 0, 0, 0, 2, 0, 1, 3}, {3, 3});
  expect_values(native::pad(expand(tensor({7}), {3}), {1, 0}), {0, 7, 7, 7}, {4});
}

TEST(Pad, IntegerAndBoolDtypes) {
  const Tensor ints = native::pad(from_vector<std::int64_t>({1, 2}), {1, 1}, 2.7);
  EXPECT_EQ(ints.dtype(), kInt64);
  EXPECT_EQ(ints.to_vector<std::int64_t>(), (std::vector<std::int64_t>{2, 1, 2, 2}));
  const Tensor bools = native::pad(from_vector<bool>({true, false}), {1, 1}, 1);
  EXPECT_EQ(bools.dtype(), kBool);
  expect_values(bools, {1, 1, 0, 1}, {4});
}

TEST(Pad, Errors) {
  const Tensor x = counting({2, 3});
  EXPECT_MG_ERROR(native::pad(x, {1, 2, 3}), "pad", "odd", "[1, 2, 3]", "float32[2, 3]");
  EXPECT_MG_ERROR(native::pad(x, {1, 1, 1, 1, 1, 1}), "pad", "[1, 1, 1, 1, 1, 1]", "float32[2, 3]",
                  "3 dims");
  EXPECT_MG_ERROR(native::pad(x, {-2, -2}), "pad", "[-2, -2]", "dimension 1", "float32[2, 3]",
                  "negative size");
  // Padding one side does not make up for cropping past the other (PyTorch refuses it too).
  EXPECT_MG_ERROR(native::pad(x, {0, 0, 5, -3}), "pad", "[0, 0, 5, -3]", "dimension 0",
                  "negative size");
  EXPECT_MG_ERROR(native::pad(Tensor(), {1, 1}), "pad");
}

}  // namespace
}  // namespace mg
