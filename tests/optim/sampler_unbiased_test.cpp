// specs/amss.md §17.5 tests 1 and 2 on a representative part of the grid (the full grid is
// slow_sampler_unbiased_test.cpp, label `slow`), and test 3: end-to-end unbiasedness of the
// AMSS+-masked gradient of a small linear model. The harness is tests/optim/sampler_grid.h.
#include <gtest/gtest.h>

#include <cmath>

#include "autograd/ops.h"
#include "optim/masks/importance.h"
#include "optim/sgd.h"
#include "sampler_grid.h"

namespace mg::optim::grid {
namespace {

constexpr std::int64_t kDraws = 100000;
constexpr GradientCase kCases[] = {GradientCase::Normal, GradientCase::HeavyTailed,
                                   GradientCase::SomeZeros, GradientCase::DominantUnit};
constexpr double kRhos[] = {0.1, 0.5, 0.9};
constexpr Design kExactDesigns[] = {{SamplerKind::SystematicPps, RescaleKind::InverseInclusion},
                                    {SamplerKind::PoissonPps, RescaleKind::InverseInclusion},
                                    {SamplerKind::Uniform, RescaleKind::InverseInclusion}};

void expect_unbiased(const Design& design, GradientCase c, std::int64_t n, double rho,
                     std::uint64_t seed) {
  const Violations v = check(design, gradient(c, n, seed), rho, kDraws, seed + 1);
  const std::string run = describe_run(design, c, n, rho);
  EXPECT_EQ(v.size, 0) << run << ": draws with |S| != k";
  EXPECT_EQ(v.frequency, 0) << run << ": " << v.first;
  EXPECT_EQ(v.mean, 0) << run << ": " << v.first;
  EXPECT_EQ(v.pi, 0) << run << ": " << v.first;
}

// The default run keeps a part of the grid that takes seconds (CI has 2 cores): every case, ρ
// and design for N ≤ 7, and N = 64 at ρ = 0.5 for every case; uniform's π = k/N does not depend
// on g, so it runs the normal case only. N = 512 (~25 µs a draw, 2.5 s per point) and the rest
// are in slow_sampler_unbiased_test.cpp, which runs the whole grid.
TEST(SamplerGrid, ExactDesignsAreUnbiasedForSmallN) {
  std::uint64_t seed = 1000;
  for (const Design& design : kExactDesigns)
    for (GradientCase c : kCases) {
      if (design.sampler == SamplerKind::Uniform && c != GradientCase::Normal) continue;
      for (std::int64_t n : {1, 2, 7})
        for (double rho : kRhos) expect_unbiased(design, c, n, rho, seed += 10);
    }
}

TEST(SamplerGrid, ExactDesignsAreUnbiasedAtN64) {
  std::uint64_t seed = 3000;
  for (const Design& design : kExactDesigns)
    for (GradientCase c : kCases) {
      if (design.sampler == SamplerKind::Uniform && c != GradientCase::Normal) continue;
      expect_unbiased(design, c, 64, 0.5, seed += 10);
    }
}

// Test 2 (power): the same harness flags the plain 0/1 mask of AMSS on systematic PPS and the
// reference code's factor 1/(q + 1/N) on its successive design (π exact for N ≤ 16, so (b)
// passes and only (c) fails) on gradients with unequal importances.
TEST(SamplerGrid, HarnessDetectsBias) {
  const std::vector<double> g = gradient(GradientCase::Normal, 7, 77);
  const Violations amss =
      check({SamplerKind::SystematicPps, RescaleKind::None}, g, 0.5, kDraws, 78);
  EXPECT_EQ(amss.frequency, 0) << amss.first;
  EXPECT_GE(amss.mean, 3);
  const Violations code =
      check({SamplerKind::Successive, RescaleKind::Reference}, g, 0.5, kDraws, 79);
  EXPECT_EQ(code.frequency, 0) << code.first;
  EXPECT_GE(code.mean, 3);
}

// Test 3: a linear model y = W·x with fixed data and a squared loss; W [6, 5] is masked per row
// (output-channel units). Each draw recomputes the gradient, scores the rows (Σg²), samples
// k = 3 rows, forms the AMSS+ factors and takes one SGD step with lr 1 and a strict mask, so the
// step W − W' is the masked gradient; W is then restored. The mean step over the draws matches
// the full gradient within 5 standard errors per entry (σ_u = |g|·sqrt((1 − π_u)/π_u)). The
// same loop without rescaling (AMSS) misses it.
struct LinearModel {
  Tensor x, y, w;
  LinearModel() {
    Generator generator(21);
    x = randn({16, 5}, kFloat64, &generator);
    y = randn({16, 6}, kFloat64, &generator);
    // Rows of very different scale, so that the importances are unequal.
    w = mul(randn({6, 5}, kFloat64, &generator),
            tensor({4.0, 0.1, 1.0, 2.0, 0.5, 0.0}, {6, 1}, kFloat64));
    w.requires_grad_(true);
  }
  Tensor gradient() {
    w.mutable_grad() = Tensor();
    const Tensor residual = sub(matmul(x, transpose(w, 0, 1)), y);
    backward(mean(mul(residual, residual)));
    return w.grad();
  }
};

std::vector<double> mean_masked_step(LinearModel& model, SamplerKind sampler, RescaleKind rescale,
                                     std::int64_t draws, std::vector<double>& pi_per_row) {
  const nn::MaskUnits rows = nn::MaskUnits::output_channel();
  SGD sgd(std::vector<nn::NamedParameter>{{"w", model.w, rows}}, SGDOptions{.lr = 1});
  sgd.set_mask_mode(MaskMode::Strict);
  const Tensor start = clone(model.w.detach());
  Generator generator(31);
  std::vector<double> total(30, 0);
  for (std::int64_t draw = 0; draw < draws; ++draw) {
    const Tensor grad = model.gradient();
    const Tensor scores = unit_importance(grad, model.w, rows, ImportanceKind::GradSquared);
    const Sample sample = sample_units(sampler, scores, sample_size(0.5, 6), generator);
    pi_per_row = sample.inclusion.to_vector<double>();
    sgd.set_mask(model.w, rescale_factors(sample, scores, rescale));
    sgd.step();
    NoGradGuard no_grad;
    const std::vector<double> step = sub(start, model.w).to_vector<double>();
    for (std::size_t e = 0; e < total.size(); ++e) total[e] += step[e];
    copy_(model.w, start);
  }
  for (double& t : total) t /= static_cast<double>(draws);
  return total;
}

TEST(SamplerGrid, EndToEndMaskedGradientIsUnbiased) {
  constexpr std::int64_t draws = 20000;
  LinearModel model;
  const std::vector<double> full = model.gradient().to_vector<double>();
  for (SamplerKind sampler : {SamplerKind::SystematicPps, SamplerKind::PoissonPps}) {
    std::vector<double> pi;
    const std::vector<double> mean =
        mean_masked_step(model, sampler, RescaleKind::InverseInclusion, draws, pi);
    for (std::size_t e = 0; e < full.size(); ++e) {
      const double p = pi[e / 5];
      const double bound = 5 * std::abs(full[e]) * std::sqrt((1 - p) / (p * draws)) + 1e-12;
      EXPECT_NEAR(mean[e], full[e], bound) << to_string(sampler) << " entry " << e << " pi " << p;
    }
  }
  std::vector<double> pi;
  const std::vector<double> plain =
      mean_masked_step(model, SamplerKind::SystematicPps, RescaleKind::None, draws, pi);
  int missed = 0;
  for (std::size_t e = 0; e < full.size(); ++e) {
    const double p = pi[e / 5];
    if (p < 1 &&
        std::abs(plain[e] - full[e]) > 5 * std::abs(full[e]) * std::sqrt((1 - p) / (p * draws)))
      ++missed;
  }
  EXPECT_GT(missed, 0);
}

}  // namespace
}  // namespace mg::optim::grid
