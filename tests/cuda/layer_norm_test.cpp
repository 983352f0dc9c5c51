#include "core/ops_copy.h"
#include "core/ops_nn.h"
#include "tests/cuda/cuda_test_util.h"

namespace mg {
namespace {

using testing::expect_matches_cpu;
using testing::gpu_rtol;
using testing::seeded_randn;
using testing::to_gpu;

// Rows short enough for a warp each and long enough for a block each; with and without the
// affine parameters; several row chunks for the column sums of the parameter gradients.
struct Case {
  Shape shape;
  Shape normalized;
  bool affine;
};
const Case kCases[] = {{{4, 3, 10}, {10}, true},
                       {{5, 2000}, {2000}, true},
                       {{70, 2, 6}, {2, 6}, false},
                       {{100, 17}, {17}, true}};

TEST(CudaLayerNorm, ForwardAndBackwardKernelsMatchCpu) {
  MG_REQUIRE_GPU();
  for (DType dtype : {kFloat32, kFloat64}) {
    for (const Case& c : kCases) {
      const std::string what = describe(seeded_randn(c.shape, dtype, 0));
      const Tensor x = seeded_randn(c.shape, dtype, 1);
      const Tensor w = c.affine ? seeded_randn(c.normalized, dtype, 2) : Tensor();
      const Tensor b = c.affine ? seeded_randn(c.normalized, dtype, 3) : Tensor();
      const Tensor g = seeded_randn(c.shape, dtype, 4);
      const auto gpu = [](const Tensor& t) { return t.defined() ? to_gpu(t) : Tensor(); };
      const native::LayerNormResult cpu_out = native::layer_norm(x, c.normalized, w, b, 1e-5);
      const native::LayerNormResult gpu_out =
          native::layer_norm(gpu(x), c.normalized, gpu(w), gpu(b), 1e-5);
      expect_matches_cpu(gpu_out.out, cpu_out.out, gpu_rtol(dtype), "out " + what);
      expect_matches_cpu(gpu_out.mean, cpu_out.mean, gpu_rtol(dtype), "mean " + what);
      expect_matches_cpu(gpu_out.rstd, cpu_out.rstd, gpu_rtol(dtype), "rstd " + what);
      const native::LayerNormGrads cpu_grads =
          native::layer_norm_backward(g, x, c.normalized, cpu_out, w, true, c.affine, c.affine);
      const native::LayerNormGrads gpu_grads = native::layer_norm_backward(
          gpu(g), gpu(x), c.normalized, gpu_out, gpu(w), true, c.affine, c.affine);
      expect_matches_cpu(gpu_grads.x, cpu_grads.x, gpu_rtol(dtype), "grad_x " + what);
      if (c.affine) {
        expect_matches_cpu(gpu_grads.weight, cpu_grads.weight, gpu_rtol(dtype),
                           "grad_weight " + what);
        expect_matches_cpu(gpu_grads.bias, cpu_grads.bias, gpu_rtol(dtype), "grad_bias " + what);
      }
    }
  }
}

TEST(CudaLayerNorm, OnlyTheWantedGradients) {
  MG_REQUIRE_GPU();
  const Tensor x = seeded_randn({8, 12}, kFloat32, 5);
  const Tensor w = seeded_randn({12}, kFloat32, 6);
  const Tensor g = seeded_randn({8, 12}, kFloat32, 7);
  const native::LayerNormResult cpu_out = native::layer_norm(x, {12}, w, Tensor(), 1e-5);
  const native::LayerNormResult gpu_out =
      native::layer_norm(to_gpu(x), {12}, to_gpu(w), Tensor(), 1e-5);
  const native::LayerNormGrads cpu_grads =
      native::layer_norm_backward(g, x, {12}, cpu_out, w, false, true, false);
  const native::LayerNormGrads gpu_grads = native::layer_norm_backward(
      to_gpu(g), to_gpu(x), {12}, gpu_out, to_gpu(w), false, true, false);
  EXPECT_FALSE(gpu_grads.x.defined());
  EXPECT_FALSE(gpu_grads.bias.defined());
  expect_matches_cpu(gpu_grads.weight, cpu_grads.weight, 1e-5, "grad_weight only");
}

TEST(CudaLayerNorm, GradientsThroughAutograd) {
  MG_REQUIRE_GPU();
  const Tensor x = seeded_randn({6, 24}, kFloat64, 8);
  const Tensor w = seeded_randn({24}, kFloat64, 9);
  const Tensor b = seeded_randn({24}, kFloat64, 10);
  const Tensor g = seeded_randn({6, 24}, kFloat64, 11);
  std::vector<Tensor> cpu{native::clone(x), native::clone(w), native::clone(b)};
  std::vector<Tensor> gpu{to_gpu(x), to_gpu(w), to_gpu(b)};
  for (Tensor& t : cpu) t.requires_grad_(true);
  for (Tensor& t : gpu) t.requires_grad_(true);
  backward(layer_norm(cpu[0], {24}, cpu[1], cpu[2]), g);
  backward(layer_norm(gpu[0], {24}, gpu[1], gpu[2]), to_gpu(g));
  const char* names[] = {"grad x", "grad weight", "grad bias"};
  for (int i = 0; i < 3; ++i) expect_matches_cpu(gpu[i].grad(), cpu[i].grad(), 1e-12, names[i]);
}

}  // namespace
}  // namespace mg
