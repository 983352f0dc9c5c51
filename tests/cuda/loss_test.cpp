#include "core/ops_copy.h"
#include "core/ops_elementwise.h"
#include "core/ops_loss.h"
#include "test_util.h"
#include "tests/cuda/cuda_test_util.h"

namespace mg {
namespace {

using testing::expect_matches_cpu;
using testing::gpu_rtol;
using testing::seeded_randn;
using testing::to_gpu;

// Targets for [N, C, S] inputs: classes in [0, C) with every third one ignored (-100).
Tensor targets(const Shape& shape, std::int64_t classes, std::uint64_t seed) {
  Generator generator(seed);
  std::vector<std::int64_t> values =
      randint(0, classes, shape, kInt64, &generator).to_vector<std::int64_t>();
  for (std::size_t i = 0; i < values.size(); i += 3) values[i] = -100;
  return from_vector(values, shape);
}

const Reduction kReductions[] = {Reduction::None, Reduction::Mean, Reduction::Sum};

std::string name(Reduction reduction) {
  return reduction == Reduction::None ? "none" : reduction == Reduction::Mean ? "mean" : "sum";
}

TEST(CudaLoss, NllLossForwardAndBackwardKernels) {
  MG_REQUIRE_GPU();
  struct Case {
    Shape input, target;
  };
  // [N, C], [N, C, d1, d2] and a batch large enough for several blocks of partial sums.
  const Case cases[] = {{{6, 5}, {6}}, {{3, 4, 2, 5}, {3, 2, 5}}, {{3000, 7}, {3000}}};
  for (DType dtype : {kFloat32, kFloat64}) {
    for (const Case& c : cases) {
      const Tensor input = seeded_randn(c.input, dtype, 1);
      const Tensor target = targets(c.target, c.input[1], 2);
      for (bool weighted : {false, true}) {
        const Tensor weight =
            weighted ? native::unary(UnaryOp::Abs, seeded_randn({c.input[1]}, dtype, 3)) : Tensor();
        const Tensor gpu_weight = weighted ? to_gpu(weight) : Tensor();
        for (Reduction reduction : kReductions) {
          const std::string what =
              str(describe(input), weighted ? " weighted " : " ", name(reduction));
          const native::NllLossResult cpu =
              native::nll_loss(input, target, weight, reduction, -100);
          const native::NllLossResult gpu =
              native::nll_loss(to_gpu(input), to_gpu(target), gpu_weight, reduction, -100);
          expect_matches_cpu(gpu.out, cpu.out, gpu_rtol(dtype), "nll_loss " + what);
          expect_matches_cpu(gpu.total_weight, cpu.total_weight, gpu_rtol(dtype),
                             "total_weight " + what);
          const Tensor grad_out = seeded_randn(cpu.out.shape(), dtype, 4);
          expect_matches_cpu(
              native::nll_loss_backward(to_gpu(grad_out), c.input, to_gpu(target), gpu_weight,
                                        reduction, -100, gpu.total_weight),
              native::nll_loss_backward(grad_out, c.input, target, weight, reduction, -100,
                                        cpu.total_weight),
              gpu_rtol(dtype), "nll_loss_backward " + what);
        }
      }
    }
  }
}

TEST(CudaLoss, AllTargetsIgnoredGivesNaNMean) {
  MG_REQUIRE_GPU();
  const Tensor input = seeded_randn({2, 3}, kFloat32, 5);
  const Tensor target = from_vector<std::int64_t>({-100, -100}, {2});
  const native::NllLossResult gpu =
      native::nll_loss(to_gpu(input), to_gpu(target), Tensor(), Reduction::Mean, -100);
  const Tensor out = native::to(gpu.out, Device::cpu());
  EXPECT_TRUE(std::isnan(out.item<float>()));
  EXPECT_EQ(native::to(gpu.total_weight, Device::cpu()).item<float>(), 0.0f);
}

TEST(CudaLoss, CrossEntropyThroughAutograd) {
  MG_REQUIRE_GPU();
  const Tensor logits = seeded_randn({8, 5}, kFloat64, 6);
  const Tensor target = targets({8}, 5, 7);
  const Tensor weight = native::unary(UnaryOp::Abs, seeded_randn({5}, kFloat64, 8));
  for (Reduction reduction : kReductions) {
    CrossEntropyOptions cpu_options, gpu_options;
    cpu_options.weight = weight;
    gpu_options.weight = to_gpu(weight);
    cpu_options.reduction = gpu_options.reduction = reduction;
    Tensor cpu_x = native::clone(logits), gpu_x = to_gpu(logits);
    cpu_x.requires_grad_(true);
    gpu_x.requires_grad_(true);
    const Tensor cpu_loss = cross_entropy(cpu_x, target, cpu_options);
    const Tensor gpu_loss = cross_entropy(gpu_x, to_gpu(target), gpu_options);
    expect_matches_cpu(gpu_loss, cpu_loss, 1e-12, "cross_entropy " + name(reduction));
    const Tensor g = seeded_randn(cpu_loss.shape(), kFloat64, 9);
    backward(cpu_loss, g);
    backward(gpu_loss, to_gpu(g));
    expect_matches_cpu(gpu_x.grad(), cpu_x.grad(), 1e-12, "cross_entropy grad " + name(reduction));
  }
}

TEST(CudaLoss, BadTargetOnTheGpuIsNamed) {
  MG_REQUIRE_GPU();
  const Tensor input = to_gpu(seeded_randn({2, 3}, kFloat32, 10));
  EXPECT_MG_ERROR(native::nll_loss(input, to_gpu(from_vector<std::int64_t>({0, 3}, {2})), Tensor(),
                                   Reduction::Mean, -100),
                  "nll_loss", "target 3", "3 classes");
}

}  // namespace
}  // namespace mg
