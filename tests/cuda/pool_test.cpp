// CUDA pooling against the CPU: max, average and adaptive average pooling, 2-D and 3-D, with
// stride, padding, ceil_mode and count_include_pad; outputs, max indices and gradients.

#include <functional>

#include "core/ops_conv.h"
#include "core/ops_copy.h"
#include "core/random.h"
#include "test_util.h"
#include "tests/cuda/cuda_test_util.h"

namespace mg {
namespace {

using testing::expect_matches_cpu;
using testing::expect_same_on_gpu;
using testing::gpu_rtol;
using testing::seeded_randn;
using testing::to_gpu;

class CudaPool : public ::testing::TestWithParam<DType> {};

TEST_P(CudaPool, MaxPool2d) {
  MG_REQUIRE_GPU();
  const DType dtype = GetParam();
  const Tensor x = seeded_randn({2, 3, 9, 8}, dtype, 1);
  const auto pool = [](Shape kernel, Shape stride, Shape padding, bool ceil) {
    return [=](const std::vector<Tensor>& v) {
      return max_pool2d(v[0], kernel, stride, padding, ceil);
    };
  };
  expect_same_on_gpu(pool({2}, {}, {0}, false), {x}, gpu_rtol(dtype), "2×2");
  expect_same_on_gpu(pool({3}, {2}, {1}, false), {x}, gpu_rtol(dtype), "3×3 stride 2 padding 1");
  expect_same_on_gpu(pool({3, 2}, {2, 3}, {1, 0}, true), {x}, gpu_rtol(dtype),
                     "3×2 stride [2, 3] padding [1, 0] ceil_mode");
}

TEST_P(CudaPool, MaxPool3d) {
  MG_REQUIRE_GPU();
  const DType dtype = GetParam();
  const Tensor x = seeded_randn({2, 2, 5, 6, 7}, dtype, 2);
  expect_same_on_gpu(
      [](const std::vector<Tensor>& v) {
        return max_pool3d(v[0], {2, 3, 3}, {2}, {1}, true);
      },
      {x}, gpu_rtol(dtype), "3-D ceil_mode");
  expect_same_on_gpu([](const std::vector<Tensor>& v) { return max_pool3d(v[0], {3}, {1}, {0}); },
                     {x}, gpu_rtol(dtype), "3-D overlapping windows");
}

TEST_P(CudaPool, MaxPoolIndicesFollowTheCpuTieRule) {
  MG_REQUIRE_GPU();
  const DType dtype = GetParam();
  // Values from {0, 1, 2}: many ties; the first maximum of each window wins.
  std::vector<double> values;
  for (int i = 0; i < 2 * 2 * 7 * 6; ++i) values.push_back((i * 7 + i / 5) % 3);
  const Tensor x = tensor(values, {2, 2, 7, 6}, TensorOptions(dtype));
  for (const bool ceil : {false, true}) {
    PoolParams params{{3}, {2}, {1}, ceil};
    const native::MaxPoolResult cpu = native::max_pool(x, params);
    const native::MaxPoolResult gpu = native::max_pool(to_gpu(x), params);
    expect_matches_cpu(gpu.out, cpu.out, 0, "tied values");
    expect_matches_cpu(gpu.indices, cpu.indices, 0, "indices of tied values");
  }
}

TEST_P(CudaPool, AvgPool2d) {
  MG_REQUIRE_GPU();
  const DType dtype = GetParam();
  const Tensor x = seeded_randn({2, 3, 9, 8}, dtype, 3);
  for (const bool include_pad : {true, false}) {
    for (const bool ceil : {false, true}) {
      const std::string what = str("count_include_pad ", include_pad, " ceil_mode ", ceil);
      expect_same_on_gpu(
          [=](const std::vector<Tensor>& v) {
            return avg_pool2d(v[0], {3, 2}, {2}, {1, 1}, ceil, include_pad);
          },
          {x}, gpu_rtol(dtype), what);
    }
  }
  expect_same_on_gpu([](const std::vector<Tensor>& v) { return avg_pool2d(v[0], {3}, {1}, {1}); },
                     {x}, gpu_rtol(dtype), "overlapping 3×3 stride 1");
}

TEST_P(CudaPool, AvgPool3d) {
  MG_REQUIRE_GPU();
  const DType dtype = GetParam();
  const Tensor x = seeded_randn({1, 2, 5, 6, 7}, dtype, 4);
  for (const bool include_pad : {true, false}) {
    expect_same_on_gpu(
        [=](const std::vector<Tensor>& v) {
          return avg_pool3d(v[0], {2, 3, 3}, {2, 2, 1}, {1}, true, include_pad);
        },
        {x}, gpu_rtol(dtype), str("3-D count_include_pad ", include_pad));
  }
}

TEST_P(CudaPool, AdaptiveAvgPool) {
  MG_REQUIRE_GPU();
  const DType dtype = GetParam();
  const Tensor x2 = seeded_randn({2, 3, 10, 7}, dtype, 5);
  for (const Shape& size : {Shape{1}, Shape{3, 4}, Shape{10, 7}, Shape{4, 11}}) {
    expect_same_on_gpu(
        [=](const std::vector<Tensor>& v) { return adaptive_avg_pool2d(v[0], size); }, {x2},
        gpu_rtol(dtype), str("2-D output ", size));
  }
  const Tensor x3 = seeded_randn({1, 2, 5, 6, 7}, dtype, 6);
  for (const Shape& size : {Shape{1}, Shape{2, 4, 3}, Shape{7, 6, 9}}) {
    expect_same_on_gpu(
        [=](const std::vector<Tensor>& v) { return adaptive_avg_pool3d(v[0], size); }, {x3},
        gpu_rtol(dtype), str("3-D output ", size));
  }
}

INSTANTIATE_TEST_SUITE_P(Dtypes, CudaPool, ::testing::Values(kFloat32, kFloat64),
                         [](const auto& info) { return std::string(dtype_name(info.param)); });

// On a GPU the indices are range-checked there (their minimum and maximum come back); a bad one
// is still reported with its value and position.
TEST(CudaPoolErrors, MaxPoolBackwardRejectsIndicesOutsideThePlane) {
  MG_REQUIRE_GPU();
  const Shape shape{1, 2, 4, 4};
  const Tensor out = to_gpu(zeros({1, 2, 2, 2}));
  for (const std::int64_t bad : {std::int64_t(16), std::int64_t(-1)}) {
    std::vector<double> values(8, 5.0);
    values[6] = static_cast<double>(bad);
    const Tensor indices = to_gpu(tensor(values, {1, 2, 2, 2}, kInt64));
    EXPECT_MG_ERROR(native::max_pool_backward(out, shape, indices), "max_pool2d_backward",
                    str("index ", bad, " at flat position 6"), "input plane of 16 elements");
  }
  const Tensor good = to_gpu(tensor({0, 5, 10, 15, 1, 2, 3, 4}, {1, 2, 2, 2}, kInt64));
  EXPECT_EQ(native::max_pool_backward(out, shape, good).shape(), shape);
}

}  // namespace
}  // namespace mg
