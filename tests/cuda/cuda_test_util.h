#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include "autograd/ops.h"
#include "core/cuda/cuda_runtime.h"
#include "core/ops_copy.h"
#include "core/ops_elementwise.h"
#include "core/random.h"

namespace mg::testing {

// CUDA tests run wherever maskgrad builds; without a GPU each one skips, saying why.
#define MG_REQUIRE_GPU()                                                                 \
  do {                                                                                   \
    if (!::mg::cuda::is_available())                                                     \
      GTEST_SKIP() << (::mg::cuda::is_built() ? "built with CUDA, but no GPU is present" \
                                              : "built without CUDA");                   \
  } while (false)

// A copy of `x` on the GPU, with the same requires_grad, as a leaf.
inline Tensor to_gpu(const Tensor& x) {
  Tensor copy = native::to(x, Device::cuda());
  if (x.requires_grad()) copy.requires_grad_(true);
  return copy;
}

// Expects `gpu` (on a GPU) to equal `cpu` (on the CPU) up to a relative error: every element
// within rtol · (the largest CPU magnitude) of its CPU value, so that elements near zero are
// judged against the tensor's size, not their own; or within atol, for tensors that are zero
// in exact arithmetic and hold only rounding noise.
inline void expect_matches_cpu(const Tensor& gpu, const Tensor& cpu, double rtol,
                               const std::string& what = "", double atol = 0) {
  ASSERT_TRUE(gpu.defined()) << what;
  ASSERT_TRUE(cpu.defined()) << what;
  ASSERT_TRUE(gpu.device().is_cuda()) << what << ": " << describe(gpu);
  ASSERT_EQ(gpu.shape(), cpu.shape()) << what;
  ASSERT_EQ(gpu.dtype(), cpu.dtype()) << what;
  const Tensor back = native::to(gpu, Device::cpu());
  const auto actual = native::to(back, kFloat64).to_vector<double>();
  const auto expected = native::to(cpu, kFloat64).to_vector<double>();
  double scale = 0;
  for (double v : expected) scale = std::max(scale, std::abs(v));
  const double tol = std::max(rtol * scale, atol);
  std::size_t bad = 0;
  for (std::size_t i = 0; i < actual.size(); ++i) {
    if (actual[i] == expected[i]) continue;  // also equal infinities
    if (std::abs(actual[i] - expected[i]) <= tol) continue;
    if (++bad <= 5) {
      ADD_FAILURE() << what << ": element " << i << " is " << actual[i] << " on the GPU and "
                    << expected[i] << " on the CPU (tolerance " << tol << ")";
    }
  }
  EXPECT_EQ(bad, 0u) << what << ": " << bad << " of " << actual.size() << " elements differ";
}

// Normal values (times `scale`) from a generator seeded with `seed`, on the CPU.
inline Tensor seeded_randn(const Shape& shape, DType dtype, std::uint64_t seed, double scale = 1) {
  Generator generator(seed);
  const Tensor values = randn(shape, dtype, &generator);
  return scale == 1 ? values : native::binary(BinaryOp::Mul, values, scalar_tensor(scale, dtype));
}

// The relative tolerance of a GPU result against the CPU's: `float32` in float32 (1e-5 for most
// ops, kGemmFloat32Rtol for GEMM and convolution, whose sums the libraries reorder), 1e-12 in
// float64.
constexpr double kGemmFloat32Rtol = 1e-4;
inline double gpu_rtol(DType dtype, double float32 = 1e-5) {
  return dtype == kFloat64 ? 1e-12 : float32;
}

// f on CPU leaves and on their GPU copies: the outputs, and the gradients of sum(f·r) for a
// random r, must match. Each input becomes a fresh leaf, so callers may pass one tensor to
// several checks.
using GpuFn = std::function<Tensor(const std::vector<Tensor>&)>;
inline void expect_same_on_gpu(const GpuFn& f, std::vector<Tensor> cpu, double rtol,
                               const std::string& what) {
  std::vector<Tensor> gpu;
  for (Tensor& x : cpu) {
    x = native::clone(x);
    x.requires_grad_(true);
    gpu.push_back(to_gpu(x));
  }
  const Tensor out_cpu = f(cpu), out_gpu = f(gpu);
  expect_matches_cpu(out_gpu, out_cpu, rtol, what + " forward");
  const Tensor r = seeded_randn(out_cpu.shape(), out_cpu.dtype(), 7);
  backward(sum(mul(out_cpu, r)));
  backward(sum(mul(out_gpu, to_gpu(r))));
  for (std::size_t i = 0; i < cpu.size(); ++i) {
    expect_matches_cpu(gpu[i].grad(), cpu[i].grad(), rtol,
                       what + " gradient of input " + std::to_string(i));
  }
}

}  // namespace mg::testing
