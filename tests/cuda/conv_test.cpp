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
using testing::to_gpu;
using Fn = std::function<Tensor(const std::vector<Tensor>&)>;

Tensor random(const Shape& shape, DType dtype, std::uint64_t seed) {
  Generator generator(seed);
  return randn(shape, TensorOptions(dtype), &generator);
}

// f on CPU leaves and on their GPU copies: the outputs, and the gradients of sum(f·r) for a
// random r, must match.
void expect_same_on_gpu(const Fn& f, std::vector<Tensor> cpu, double rtol,
                        const std::string& what) {
  std::vector<Tensor> gpu;
  for (Tensor& x : cpu) {
    x.requires_grad_(true);
    gpu.push_back(to_gpu(x));
  }
  const Tensor out_cpu = f(cpu), out_gpu = f(gpu);
  expect_matches_cpu(out_gpu, out_cpu, rtol, what + " forward");
  const Tensor r = random(out_cpu.shape(), out_cpu.dtype(), 7);
  backward(sum(mul(out_cpu, r)));
  backward(sum(mul(out_gpu, to_gpu(r))));
  for (std::size_t i = 0; i < cpu.size(); ++i) {
    expect_matches_cpu(gpu[i].grad(), cpu[i].grad(), rtol,
                       what + " gradient of input " + std::to_string(i));
  }
}

struct Conv {
  Shape stride{1}, padding{0}, dilation{1};
  std::int64_t groups = 1;
};

Fn conv2d_of(const Conv& c, bool with_bias) {
  return [c, with_bias](const std::vector<Tensor>& v) {
    return conv2d(v[0], v[1], with_bias ? v[2] : Tensor(), c.stride, c.padding, c.dilation,
                  c.groups);
  };
}

Fn conv3d_of(const Conv& c, bool with_bias) {
  return [c, with_bias](const std::vector<Tensor>& v) {
    return conv3d(v[0], v[1], with_bias ? v[2] : Tensor(), c.stride, c.padding, c.dilation,
                  c.groups);
  };
}

double rtol_of(DType dtype) {
  return dtype == kFloat32 ? 1e-4 : 1e-12;
}

class CudaConv : public ::testing::TestWithParam<DType> {};

TEST_P(CudaConv, TwoDimensional) {
  MG_REQUIRE_GPU();
  const DType dtype = GetParam();
  const double rtol = rtol_of(dtype);
  expect_same_on_gpu(
      conv2d_of({{1}, {1}, {1}, 1}, true),
      {random({2, 4, 9, 8}, dtype, 1), random({6, 4, 3, 3}, dtype, 2), random({6}, dtype, 3)}, rtol,
      "3×3 padding 1 with bias");
  expect_same_on_gpu(
      conv2d_of({{2}, {1, 0}, {1, 2}, 1}, true),
      {random({2, 3, 11, 10}, dtype, 4), random({5, 3, 3, 2}, dtype, 5), random({5}, dtype, 6)},
      rtol, "stride 2, padding [1, 0], dilation [1, 2]");
  expect_same_on_gpu(conv2d_of({{1}, {0}, {1}, 1}, false),
                     {random({3, 8, 5, 5}, dtype, 7), random({4, 8, 1, 1}, dtype, 8)}, rtol,
                     "1×1 without bias");
}

TEST_P(CudaConv, Groups) {
  MG_REQUIRE_GPU();
  const DType dtype = GetParam();
  const double rtol = rtol_of(dtype);
  expect_same_on_gpu(
      conv2d_of({{1}, {1}, {1}, 2}, true),
      {random({2, 4, 7, 6}, dtype, 1), random({6, 2, 3, 3}, dtype, 2), random({6}, dtype, 3)}, rtol,
      "groups 2");
  expect_same_on_gpu(
      conv2d_of({{2}, {1}, {1}, 4}, true),
      {random({2, 4, 8, 8}, dtype, 4), random({8, 1, 3, 3}, dtype, 5), random({8}, dtype, 6)}, rtol,
      "depthwise, multiplier 2, stride 2");
}

TEST_P(CudaConv, ThreeDimensional) {
  MG_REQUIRE_GPU();
  const DType dtype = GetParam();
  const double rtol = rtol_of(dtype);
  expect_same_on_gpu(
      conv3d_of({{1, 2, 1}, {1}, {1}, 1}, true),
      {random({2, 2, 5, 6, 4}, dtype, 1), random({4, 2, 3, 3, 2}, dtype, 2), random({4}, dtype, 3)},
      rtol, "3-D stride [1, 2, 1], padding 1");
  expect_same_on_gpu(conv3d_of({{1}, {0, 1, 1}, {2, 1, 1}, 2}, false),
                     {random({1, 4, 7, 5, 5}, dtype, 4), random({2, 2, 2, 3, 3}, dtype, 5)}, rtol,
                     "3-D groups 2, dilation [2, 1, 1]");
}

INSTANTIATE_TEST_SUITE_P(Dtypes, CudaConv, ::testing::Values(kFloat32, kFloat64),
                         [](const auto& info) { return std::string(dtype_name(info.param)); });

TEST(CudaConvCache, SameProblemReusesItsAlgorithm) {
  MG_REQUIRE_GPU();
  // A shape no other test uses, so that its algorithm is not cached yet.
  const Tensor x = random({1, 3, 13, 11}, kFloat32, 1), w = random({2, 3, 3, 3}, kFloat32, 2);
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
  const Tensor x = random({1, 2, 5, 5}, kFloat32, 1), w = random({3, 2, 3, 3}, kFloat32, 2);
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
