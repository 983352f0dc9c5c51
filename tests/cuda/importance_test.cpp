#include "optim/masks/importance.h"
#include "core/ops_copy.h"
#include "tests/cuda/cuda_test_util.h"

namespace mg::optim {
namespace {

using testing::seeded_randn;
using testing::to_gpu;

void expect_close(const Tensor& gpu_scores, const Tensor& cpu_scores, const std::string& what) {
  // The scores come back on the CPU, float64, whatever the gradient's device.
  ASSERT_TRUE(gpu_scores.device().is_cpu()) << what;
  ASSERT_EQ(gpu_scores.dtype(), kFloat64) << what;
  const auto actual = gpu_scores.to_vector<double>();
  const auto expected = cpu_scores.to_vector<double>();
  ASSERT_EQ(actual.size(), expected.size()) << what;
  for (std::size_t u = 0; u < actual.size(); ++u)
    EXPECT_NEAR(actual[u], expected[u], 1e-12 * std::max(1.0, std::abs(expected[u])))
        << what << " unit " << u;
}

TEST(CudaImportance, UnitScoresOfGpuGradientsEqualCpu) {
  MG_REQUIRE_GPU();
  const std::pair<nn::MaskUnits, Shape> cases[] = {
      {nn::MaskUnits::element(), {4, 6}},
      {nn::MaskUnits::output_channel(), {4, 3, 2}},
      {nn::MaskUnits::row_blocks(2), {4, 6}},
      {nn::MaskUnits::column_blocks(3), {4, 6, 2}},
  };
  const ImportanceKind kinds[] = {ImportanceKind::GradSquared, ImportanceKind::GradAbs,
                                  ImportanceKind::GradOverWeightSquared};
  for (DType dtype : {kFloat32, kFloat64}) {
    for (const auto& [units, shape] : cases) {
      const Tensor g = seeded_randn(shape, dtype, 1);
      const Tensor w = seeded_randn(shape, dtype, 2);
      for (ImportanceKind kind : kinds) {
        expect_close(unit_importance(to_gpu(g), to_gpu(w), units, kind),
                     unit_importance(g, w, units, kind),
                     str(to_string(kind), " ", units.to_string(), " ", describe(g)));
      }
    }
  }
}

// The batched form: GPU gradients of several parameters (one copy back), a CPU one among them,
// each answered in request order as unit_importance answers it on the CPU.
TEST(CudaImportance, BatchedScoresOfGpuGradientsEqualCpu) {
  MG_REQUIRE_GPU();
  const std::pair<nn::MaskUnits, Shape> cases[] = {
      {nn::MaskUnits::output_channel(), {4, 3, 2}},
      {nn::MaskUnits::element(), {5}},
      {nn::MaskUnits::column_blocks(3), {4, 6, 2}},
  };
  for (ImportanceKind kind : {ImportanceKind::GradSquared, ImportanceKind::GradAbs}) {
    std::vector<ImportanceRequest> requests;
    std::vector<Tensor> expected;
    std::uint64_t seed = 20;
    for (const auto& [units, shape] : cases) {
      const Tensor g = seeded_randn(shape, kFloat32, seed++);
      requests.push_back({to_gpu(g), Tensor(), units});
      expected.push_back(unit_importance(g, Tensor(), units, kind));
    }
    const Tensor cpu_grad = seeded_randn({3, 2}, kFloat32, seed);
    requests.push_back({cpu_grad, Tensor(), nn::MaskUnits::output_channel()});
    expected.push_back(unit_importance(cpu_grad, Tensor(), nn::MaskUnits::output_channel(), kind));
    const std::vector<Tensor> scores = unit_importances(requests, kind);
    ASSERT_EQ(scores.size(), expected.size());
    for (std::size_t i = 0; i < scores.size(); ++i)
      expect_close(scores[i], expected[i], str(to_string(kind), " request ", i));
  }
}

TEST(CudaImportance, EmaOfGpuGradientsEqualsCpu) {
  MG_REQUIRE_GPU();
  const nn::MaskUnits units = nn::MaskUnits::output_channel();
  const Tensor p = seeded_randn({3, 4}, kFloat32, 3);
  const Tensor gpu_p = to_gpu(p);
  EmaImportance cpu(0.8), gpu(0.8);
  for (int s = 0; s < 3; ++s) {
    const Tensor g = seeded_randn({3, 4}, kFloat32, 10 + s);
    expect_close(gpu.update(gpu_p, to_gpu(g), units), cpu.update(p, g, units),
                 "ema step " + std::to_string(s));
  }
}

}  // namespace
}  // namespace mg::optim
