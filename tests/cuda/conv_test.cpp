// CUDA convolution (cuDNN) against the CPU: 2-D and 3-D, stride, padding, dilation, groups,
// bias; forward and the three gradients through autograd; the algorithm cache.

#include <functional>

#include "core/cuda/conv_algorithms.h"
#include "core/ops_copy.h"
#include "core/random.h"
#include "tests/cuda/cuda_test_util.h"

namespace mg {
namespace {

using testing::expect_matches_cpu;
using testing::expect_same_on_gpu;
using testing::gpu_rtol;
using testing::GpuFn;
using testing::kGemmFloat32Rtol;
using testing::seeded_randn;
using testing::to_gpu;

struct Conv {
  Shape stride{1}, padding{0}, dilation{1};
  std::int64_t groups = 1;
};

GpuFn conv2d_of(const Conv& c, bool with_bias) {
  return [c, with_bias](const std::vector<Tensor>& v) {
    return conv2d(v[0], v[1], with_bias ? v[2] : Tensor(), c.stride, c.padding, c.dilation,
                  c.groups);
  };
}

GpuFn conv3d_of(const Conv& c, bool with_bias) {
  return [c, with_bias](const std::vector<Tensor>& v) {
    return conv3d(v[0], v[1], with_bias ? v[2] : Tensor(), c.stride, c.padding, c.dilation,
                  c.groups);
  };
}

class CudaConv : public ::testing::TestWithParam<DType> {};

TEST_P(CudaConv, TwoDimensional) {
  MG_REQUIRE_GPU();
  const DType dtype = GetParam();
  const double rtol = gpu_rtol(dtype, kGemmFloat32Rtol);
  expect_same_on_gpu(conv2d_of({{1}, {1}, {1}, 1}, true),
                     {seeded_randn({2, 4, 9, 8}, dtype, 1), seeded_randn({6, 4, 3, 3}, dtype, 2),
                      seeded_randn({6}, dtype, 3)},
                     rtol, "3×3 padding 1 with bias");
  expect_same_on_gpu(conv2d_of({{2}, {1, 0}, {1, 2}, 1}, true),
                     {seeded_randn({2, 3, 11, 10}, dtype, 4), seeded_randn({5, 3, 3, 2}, dtype, 5),
                      seeded_randn({5}, dtype, 6)},
                     rtol, "stride 2, padding [1, 0], dilation [1, 2]");
  expect_same_on_gpu(conv2d_of({{1}, {0}, {1}, 1}, false),
                     {seeded_randn({3, 8, 5, 5}, dtype, 7), seeded_randn({4, 8, 1, 1}, dtype, 8)},
                     rtol, "1×1 without bias");
}

TEST_P(CudaConv, Groups) {
  MG_REQUIRE_GPU();
  const DType dtype = GetParam();
  const double rtol = gpu_rtol(dtype, kGemmFloat32Rtol);
  expect_same_on_gpu(conv2d_of({{1}, {1}, {1}, 2}, true),
                     {seeded_randn({2, 4, 7, 6}, dtype, 1), seeded_randn({6, 2, 3, 3}, dtype, 2),
                      seeded_randn({6}, dtype, 3)},
                     rtol, "groups 2");
  expect_same_on_gpu(conv2d_of({{2}, {1}, {1}, 4}, true),
                     {seeded_randn({2, 4, 8, 8}, dtype, 4), seeded_randn({8, 1, 3, 3}, dtype, 5),
                      seeded_randn({8}, dtype, 6)},
                     rtol, "depthwise, multiplier 2, stride 2");
}

TEST_P(CudaConv, ThreeDimensional) {
  MG_REQUIRE_GPU();
  const DType dtype = GetParam();
  const double rtol = gpu_rtol(dtype, kGemmFloat32Rtol);
  expect_same_on_gpu(conv3d_of({{1, 2, 1}, {1}, {1}, 1}, true),
                     {seeded_randn({2, 2, 5, 6, 4}, dtype, 1),
                      seeded_randn({4, 2, 3, 3, 2}, dtype, 2), seeded_randn({4}, dtype, 3)},
                     rtol, "3-D stride [1, 2, 1], padding 1");
  expect_same_on_gpu(
      conv3d_of({{1}, {0, 1, 1}, {2, 1, 1}, 2}, false),
      {seeded_randn({1, 4, 7, 5, 5}, dtype, 4), seeded_randn({2, 2, 2, 3, 3}, dtype, 5)}, rtol,
      "3-D groups 2, dilation [2, 1, 1]");
}

INSTANTIATE_TEST_SUITE_P(Dtypes, CudaConv, ::testing::Values(kFloat32, kFloat64),
                         [](const auto& info) { return std::string(dtype_name(info.param)); });

TEST(CudaConvCache, SameProblemReusesItsAlgorithm) {
  MG_REQUIRE_GPU();
  // A shape no other test uses, so that its algorithm is not cached yet.
  const Tensor x = seeded_randn({1, 3, 13, 11}, kFloat32, 1),
               w = seeded_randn({2, 3, 3, 3}, kFloat32, 2);
  const std::size_t before = cuda::cached_conv_algorithms();
  const Tensor first = conv2d(to_gpu(x), to_gpu(w));
  EXPECT_EQ(cuda::cached_conv_algorithms(), before + 1);
  const Tensor second = conv2d(to_gpu(x), to_gpu(w));
  EXPECT_EQ(cuda::cached_conv_algorithms(), before + 1);
  const Tensor expected = conv2d(x, w);
  expect_matches_cpu(first, expected, 1e-4, "first call");
  expect_matches_cpu(second, expected, 1e-4, "second call");
  // Another dtype is another problem.
  const Tensor x64 = native::to(x, kFloat64), w64 = native::to(w, kFloat64);
  expect_matches_cpu(conv2d(to_gpu(x64), to_gpu(w64)), conv2d(x64, w64), 1e-12, "float64");
  EXPECT_EQ(cuda::cached_conv_algorithms(), before + 2);
}

TEST(CudaConvErrors, MixingDevicesNamesBoth) {
  MG_REQUIRE_GPU();
  const Tensor x = seeded_randn({1, 2, 5, 5}, kFloat32, 1),
               w = seeded_randn({3, 2, 3, 3}, kFloat32, 2);
  try {
    conv2d(to_gpu(x), w);
    ADD_FAILURE() << "expected mg::Error";
  } catch (const Error& error) {
    const std::string message = error.what();
    EXPECT_NE(message.find("conv2d"), std::string::npos) << message;
    EXPECT_NE(message.find("on cuda:0"), std::string::npos) << message;
    EXPECT_NE(message.find("float32[3, 2, 3, 3]"), std::string::npos) << message;
  }
}

}  // namespace
}  // namespace mg
