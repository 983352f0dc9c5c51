// CUDA batch norm against the CPU: training and evaluation, [N, C], [N, C, L], [N, C, H, W] and
// [N, C, D, H, W], with and without weight and bias; outputs, running statistics and gradients.

#include <functional>

#include "core/ops_copy.h"
#include "core/random.h"
#include "tests/cuda/cuda_test_util.h"

namespace mg {
namespace {

using testing::expect_matches_cpu;
using testing::expect_same_on_gpu;
using testing::GpuFn;
using testing::seeded_randn;
using testing::to_gpu;

struct Case {
  Shape shape;
  bool training;
  bool affine;
};

// batch_norm of a random input on both devices: outputs, running statistics after the call and
// the gradients of x (and weight and bias when affine) must match.
void check(const Case& c, DType dtype) {
  const std::int64_t channels = c.shape[1];
  const std::string what =
      str(describe(seeded_randn(c.shape, dtype, 0)), c.training ? " training" : " evaluation",
          c.affine ? " with weight and bias" : " without weight and bias");
  const Tensor running_mean = seeded_randn({channels}, dtype, 11);
  const Tensor running_var =
      add(mul(seeded_randn({channels}, dtype, 12), seeded_randn({channels}, dtype, 12)), 0.5);
  const Tensor mean_cpu = clone(running_mean), var_cpu = clone(running_var);
  const Tensor mean_gpu = to_gpu(running_mean), var_gpu = to_gpu(running_var);
  const bool training = c.training;
  std::vector<Tensor> inputs{mul(seeded_randn(c.shape, dtype, 1), 2.0)};
  if (c.affine) {
    inputs.push_back(seeded_randn({channels}, dtype, 2));
    inputs.push_back(seeded_randn({channels}, dtype, 3));
  }
  int call = 0;  // the first call of f runs on the CPU, the second on the GPU
  const GpuFn f = [&](const std::vector<Tensor>& v) {
    const bool gpu = call++ > 0;
    return batch_norm(v[0], gpu ? mean_gpu : mean_cpu, gpu ? var_gpu : var_cpu,
                      c.affine ? v[1] : Tensor(), c.affine ? v[2] : Tensor(), training, 0.2, 1e-5);
  };
  const double rtol = dtype == kFloat32 ? 1e-5 : 1e-12;
  expect_same_on_gpu(f, inputs, rtol, what);
  expect_matches_cpu(mean_gpu, mean_cpu, rtol, what + " running_mean");
  expect_matches_cpu(var_gpu, var_cpu, rtol, what + " running_var");
}

class CudaBatchNorm : public ::testing::TestWithParam<DType> {};

TEST_P(CudaBatchNorm, Training) {
  MG_REQUIRE_GPU();
  for (const Shape& shape :
       {Shape{8, 3}, Shape{4, 3, 7}, Shape{3, 4, 5, 6}, Shape{2, 3, 3, 4, 5}}) {
    check({shape, true, true}, GetParam());
    check({shape, true, false}, GetParam());
  }
}

TEST_P(CudaBatchNorm, Evaluation) {
  MG_REQUIRE_GPU();
  for (const Shape& shape :
       {Shape{8, 3}, Shape{4, 3, 7}, Shape{3, 4, 5, 6}, Shape{2, 3, 3, 4, 5}}) {
    check({shape, false, true}, GetParam());
    check({shape, false, false}, GetParam());
  }
}

TEST_P(CudaBatchNorm, ManyValuesPerChannel) {
  MG_REQUIRE_GPU();
  // More values per channel than threads per block, and an offset mean: the sums must not drift.
  check({{16, 2, 40, 40}, true, true}, GetParam());
}

INSTANTIATE_TEST_SUITE_P(Dtypes, CudaBatchNorm, ::testing::Values(kFloat32, kFloat64),
                         [](const auto& info) { return std::string(dtype_name(info.param)); });

TEST(CudaBatchNorm, TrainingWithoutRunningStatistics) {
  MG_REQUIRE_GPU();
  const Tensor x = seeded_randn({4, 3, 5}, kFloat32, 1);
  const Tensor expected = batch_norm(x, Tensor(), Tensor(), Tensor(), Tensor(), true);
  expect_matches_cpu(batch_norm(to_gpu(x), Tensor(), Tensor(), Tensor(), Tensor(), true), expected,
                     1e-5, "no running statistics");
}

}  // namespace
}  // namespace mg
