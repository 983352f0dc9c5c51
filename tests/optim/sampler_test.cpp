#include "optim/masks/sampler.h"

#include <cmath>
#include <numeric>

#include "core/creation.h"
#include "optim/masks/rescale.h"
#include "test_util.h"

namespace mg::optim {
namespace {

using testing::expect_values;

constexpr SamplerKind kAllKinds[] = {SamplerKind::Uniform, SamplerKind::Successive,
                                     SamplerKind::SystematicPps, SamplerKind::PoissonPps,
                                     SamplerKind::TopK};

Tensor vec(const std::vector<double>& v) {
  return tensor(v, {static_cast<std::int64_t>(v.size())}, kFloat64);
}

// Per-unit gradients of a skewed layer: one dominant unit (capped under PPS), a zero unit, and
// units spanning three orders of magnitude of g².
const std::vector<double> kGrad = {3.0, 0.2, -0.5, 0.0, 1.0, -0.1, 0.7, -1.5, 0.05, 0.3};
std::vector<double> squares(const std::vector<double>& g) {
  std::vector<double> s;
  for (double x : g) s.push_back(x * x);
  return s;
}

// 20,000 draws of one design on fixed scores: inclusion counts and the Monte-Carlo first and
// second moments of g_u·m̂_u for one rescale rule.
struct MonteCarlo {
  std::vector<double> frequency;
  std::vector<double> mean;
  std::vector<double> standard_error;  // empirical, of `mean`
};

constexpr int kDraws = 20000;

MonteCarlo run(SamplerKind kind, const std::vector<double>& g, std::int64_t k, RescaleKind rescale,
               std::uint64_t seed) {
  const Tensor scores = vec(squares(g));
  const std::size_t n = g.size();
  Sample sample;
  sample.inclusion = inclusion_probabilities(kind, scores, k, &sample.exact);
  Generator generator(seed);
  std::vector<double> count(n, 0), sum(n, 0), sum_sq(n, 0);
  for (int draw = 0; draw < kDraws; ++draw) {
    sample.units = draw_units(kind, scores, k, generator);
    for (std::int64_t u : sample.units) count[u] += 1;
    const std::vector<double> factor = rescale_factors(sample, scores, rescale).to_vector<double>();
    for (std::size_t u = 0; u < n; ++u) {
      const double x = g[u] * factor[u];
      sum[u] += x;
      sum_sq[u] += x * x;
    }
  }
  MonteCarlo mc;
  for (std::size_t u = 0; u < n; ++u) {
    mc.frequency.push_back(count[u] / kDraws);
    const double mean = sum[u] / kDraws;
    mc.mean.push_back(mean);
    mc.standard_error.push_back(
        std::sqrt(std::max(0.0, sum_sq[u] / kDraws - mean * mean) / kDraws));
  }
  return mc;
}

TEST(Sampler, FixedSizeDesignsReturnKDistinctSortedUnits) {
  const Tensor scores = vec(squares(kGrad));
  Generator generator(7);
  for (SamplerKind kind : {SamplerKind::Uniform, SamplerKind::Successive,
                           SamplerKind::SystematicPps, SamplerKind::TopK}) {
    for (std::int64_t k = 1; k <= 10; ++k) {
      for (int draw = 0; draw < 50; ++draw) {
        const Sample sample = sample_units(kind, scores, k, generator);
        ASSERT_EQ(static_cast<std::int64_t>(sample.units.size()), k) << to_string(kind);
        for (std::size_t j = 1; j < sample.units.size(); ++j) {
          ASSERT_LT(sample.units[j - 1], sample.units[j]) << to_string(kind);
        }
        EXPECT_NEAR(sum(sample.inclusion).item<double>(), static_cast<double>(k), 1e-9)
            << to_string(kind) << " k=" << k;
      }
    }
  }
}

// Every design, every unit: the inclusion frequency over 20,000 draws lies within 4 standard
// errors sqrt(π(1−π)/T) of the claimed π (each count is Binomial(T, π)); with ~50 unit checks a
// true π fails somewhere with probability ~3e-3, and the seed is fixed. π ∈ {0, 1} must hold
// exactly. The same draws check unbiasedness of g⊙m̂ with m̂ = 1{u∈S}/π_u: the mean lies within
// 4 standard errors |g_u|·sqrt((1−π_u)/(π_u·T)) of g_u (Theorem 2's premise, specs/amss.md
// §10.4).
TEST(Sampler, InclusionFrequenciesMatchPiAndInverseInclusionIsUnbiased) {
  const std::int64_t k = 4;
  for (SamplerKind kind : kAllKinds) {
    bool exact = false;
    const std::vector<double> pi =
        inclusion_probabilities(kind, vec(squares(kGrad)), k, &exact).to_vector<double>();
    EXPECT_TRUE(exact) << to_string(kind);
    const RescaleKind rescale =
        kind == SamplerKind::TopK ? RescaleKind::None : RescaleKind::InverseInclusion;
    const MonteCarlo mc = run(kind, kGrad, k, rescale, 11);
    for (std::size_t u = 0; u < kGrad.size(); ++u) {
      const double bound = 4 * std::sqrt(pi[u] * (1 - pi[u]) / kDraws);
      EXPECT_LE(std::abs(mc.frequency[u] - pi[u]), bound)
          << to_string(kind) << " unit " << u << " pi " << pi[u];
      if (kind == SamplerKind::TopK || pi[u] == 0) continue;
      const double mean_bound = 4 * std::abs(kGrad[u]) * std::sqrt((1 - pi[u]) / (pi[u] * kDraws));
      EXPECT_LE(std::abs(mc.mean[u] - kGrad[u]), mean_bound)
          << to_string(kind) << " unit " << u << " pi " << pi[u];
    }
  }
}

TEST(Sampler, PpsCapsTheDominantUnitAndLeavesTheZeroUnitOut) {
  const std::vector<double> pi =
      inclusion_probabilities(SamplerKind::SystematicPps, vec(squares(kGrad)), 4)
          .to_vector<double>();
  // g² = 9 (unit 0), 2.25 (unit 7) and 1 (unit 4) are capped in turn; one slot is left for the
  // remaining mass 0.8825.
  EXPECT_EQ(pi[0], 1);
  EXPECT_EQ(pi[7], 1);
  EXPECT_EQ(pi[4], 1);
  EXPECT_EQ(pi[3], 0);
  EXPECT_NEAR(pi[6], 0.49 / 0.8825, 1e-12);
  // {8, 1, 1, 0}, k = 2: unit 0 is capped, the slot left splits between units 1 and 2.
  expect_values(inclusion_probabilities(SamplerKind::SystematicPps, vec({8, 1, 1, 0}), 2),
                {1, 0.5, 0.5, 0}, {4}, 1e-15);
  // Fewer positive units than k: they are certain, the zero units share the rest (§9.4 step 2).
  expect_values(inclusion_probabilities(SamplerKind::SystematicPps, vec({1, 0, 0, 0}), 3),
                {1, 2.0 / 3, 2.0 / 3, 2.0 / 3}, {4}, 1e-15);
}

TEST(Sampler, PoissonHasExpectedSizeK) {
  const Tensor scores = vec(squares(kGrad));
  const Tensor pi = inclusion_probabilities(SamplerKind::PoissonPps, scores, 4);
  EXPECT_NEAR(sum(pi).item<double>(), 4.0, 1e-12);
  Generator generator(3);
  double total = 0;
  bool sizes_vary = false;
  for (int draw = 0; draw < kDraws; ++draw) {
    const std::size_t size = draw_units(SamplerKind::PoissonPps, scores, 4, generator).size();
    total += static_cast<double>(size);
    sizes_vary |= size != 4;
  }
  // Var|S| = Σπ(1−π) ≤ 1 here (three units are certain), so 4 standard errors ≤ 4/sqrt(T).
  double variance = 0;
  for (double p : pi.to_vector<double>()) variance += p * (1 - p);
  EXPECT_NEAR(total / kDraws, 4.0, 4 * std::sqrt(variance / kDraws));
  EXPECT_TRUE(sizes_vary);
}

TEST(Sampler, SuccessiveExactProbabilities) {
  // {1, 2, 3}, k = 2: P(0 ∈ S) = 1/6 + (2/6)(1/4) + (3/6)(1/3) = 5/12, and so on.
  bool exact = false;
  const Tensor pi = inclusion_probabilities(SamplerKind::Successive, vec({1, 2, 3}), 2, &exact);
  EXPECT_TRUE(exact);
  const double p1 = 2.0 / 6 + 1.0 / 6 * 2.0 / 5 + 3.0 / 6 * 2.0 / 3;
  expect_values(pi, {5.0 / 12, p1, 2 - 5.0 / 12 - p1}, {3}, 1e-15);
  // k = 1 is q; k = N is certain.
  expect_values(inclusion_probabilities(SamplerKind::Successive, vec({1, 3}), 1), {0.25, 0.75}, {2},
                1e-15);
  expect_values(inclusion_probabilities(SamplerKind::Successive, vec({1, 3}), 2), {1, 1}, {2},
                1e-15);
}

// Above 16 units Successive reports Rosén's approximation with exact = false. Its error at
// N = 24, k = 8 with scores spanning two orders of magnitude: within 0.02 of the frequency over
// 20,000 draws (the Monte-Carlo standard error is at most 0.0036, so 0.02 bounds the
// approximation itself to about 0.035).
TEST(Sampler, SuccessiveApproximationAboveSixteenUnits) {
  std::vector<double> s;
  for (int u = 0; u < 24; ++u) s.push_back(std::pow(1.2, u));
  const Tensor scores = vec(s);
  bool exact = true;
  const std::vector<double> pi =
      inclusion_probabilities(SamplerKind::Successive, scores, 8, &exact).to_vector<double>();
  EXPECT_FALSE(exact);
  EXPECT_NEAR(std::accumulate(pi.begin(), pi.end(), 0.0), 8.0, 1e-9);
  Generator generator(5);
  std::vector<double> count(24, 0);
  for (int draw = 0; draw < kDraws; ++draw) {
    for (std::int64_t u : draw_units(SamplerKind::Successive, scores, 8, generator)) count[u] += 1;
  }
  for (int u = 0; u < 24; ++u) EXPECT_NEAR(count[u] / kDraws, pi[u], 0.02) << "unit " << u;
  Sample sample = sample_units(SamplerKind::Successive, scores, 8, generator);
  EXPECT_MG_ERROR(rescale_factors(sample, scores, RescaleKind::InverseInclusion),
                  "inverse_inclusion", "approximation");
}

// Power check (specs/amss.md §17.5 item 2): the same harness must see the bias of the reference
// code's factor 1/(q + 1/N) on successive sampling, and of the plain 0/1 mask, so that the
// unbiasedness test above cannot pass vacuously. Bias shows as a mean more than 10 empirical
// standard errors from g for some unit (a 10σ deviation by chance has probability ~1e-23).
TEST(Sampler, ReferenceFactorAndPlainMaskAreDetectedAsBiased) {
  for (RescaleKind rescale : {RescaleKind::Reference, RescaleKind::None}) {
    const MonteCarlo mc = run(SamplerKind::Successive, kGrad, 4, rescale, 13);
    double worst = 0;
    for (std::size_t u = 0; u < kGrad.size(); ++u) {
      if (mc.standard_error[u] > 0) {
        worst = std::max(worst, std::abs(mc.mean[u] - kGrad[u]) / mc.standard_error[u]);
      }
    }
    EXPECT_GT(worst, 10) << to_string(rescale);
  }
}

TEST(Sampler, TopKChoosesTheLargest) {
  Generator generator(1);
  EXPECT_EQ(draw_units(SamplerKind::TopK, vec({0.1, 5, 3, 5, 0}), 2, generator),
            (std::vector<std::int64_t>{1, 3}));
  EXPECT_EQ(draw_units(SamplerKind::TopK, vec({0.1, 5, 3, 5, 0}), 3, generator),
            (std::vector<std::int64_t>{1, 2, 3}));
  EXPECT_EQ(draw_units(SamplerKind::TopK, vec({1, 1, 1}), 2, generator),
            (std::vector<std::int64_t>{0, 1}));
  expect_values(inclusion_probabilities(SamplerKind::TopK, vec({0.1, 5, 3, 5, 0}), 2),
                {0, 1, 0, 1, 0}, {5}, 0);
  const Tensor scores = vec({0.1, 5, 3, 5, 0});
  const Sample sample = sample_units(SamplerKind::TopK, scores, 2, generator);
  EXPECT_MG_ERROR(rescale_factors(sample, scores, RescaleKind::InverseInclusion), "unit 0",
                  "inclusion probability 0");
}

TEST(Sampler, AllZeroScoresFallBackToUniform) {
  const Tensor scores = zeros({6}, kFloat64);
  Generator generator(2);
  for (SamplerKind kind : kAllKinds) {
    const Sample sample = sample_units(kind, scores, 2, generator);
    expect_values(sample.inclusion, std::vector<double>(6, 2.0 / 6), {6}, 1e-15);
    if (kind != SamplerKind::PoissonPps) {
      EXPECT_EQ(sample.units.size(), 2u) << to_string(kind);
    }
    const std::vector<double> factor =
        rescale_factors(sample, scores, RescaleKind::Reference).to_vector<double>();
    for (double f : factor) EXPECT_TRUE(f == 0 || f == 3) << to_string(kind);  // 1/(1/6 + 1/6)
  }
}

TEST(Sampler, SameSeedSameSample) {
  const Tensor scores = vec(squares(kGrad));
  for (SamplerKind kind : kAllKinds) {
    Generator a(99), b(99);
    for (int draw = 0; draw < 5; ++draw) {
      EXPECT_EQ(draw_units(kind, scores, 5, a), draw_units(kind, scores, 5, b)) << to_string(kind);
    }
  }
}

TEST(Sampler, SampleSize) {
  EXPECT_EQ(sample_size(0.5, 5), 3);
  EXPECT_EQ(sample_size(0.5, 5, KRounding::Floor), 2);
  EXPECT_EQ(sample_size(0.9, 5), 5);
  EXPECT_EQ(sample_size(0.01, 10, KRounding::Floor), 1);  // clamped up to 1
  EXPECT_EQ(sample_size(1.0, 7), 7);
  EXPECT_MG_ERROR(sample_size(1.5, 7), "sample_size", "1.5");
  EXPECT_MG_ERROR(sample_size(0.5, 0), "sample_size", "0");
}

TEST(Sampler, Errors) {
  Generator generator(0);
  const Tensor scores = vec({1, 2, 3});
  EXPECT_MG_ERROR(sample_units(SamplerKind::Uniform, scores, 0, generator), "sample_units",
                  "[1, 3]", "got 0");
  EXPECT_MG_ERROR(sample_units(SamplerKind::Uniform, scores, 4, generator), "got 4");
  EXPECT_MG_ERROR(sample_units(SamplerKind::SystematicPps, vec({1, -2, 3}), 1, generator),
                  "non-negative", "-2", "unit 1");
  EXPECT_MG_ERROR(sample_units(SamplerKind::Successive, vec({1, NAN, 3}), 1, generator), "nan",
                  "unit 1");
  EXPECT_MG_ERROR(sample_units(SamplerKind::TopK, zeros({2, 2}, kFloat64), 1, generator), "1-d",
                  "float64[2, 2]");
  EXPECT_MG_ERROR(parse_sampler_kind("Adaptive"), "\"Adaptive\"", "\"successive\"");
  EXPECT_EQ(parse_sampler_kind("systematic_pps"), SamplerKind::SystematicPps);
  EXPECT_EQ(parse_rescale_kind("code"), RescaleKind::Reference);
  EXPECT_MG_ERROR(parse_rescale_kind("paper"), "\"paper\"", "\"inverse_inclusion\"");
}

TEST(Rescale, FactorsPerRule) {
  const Tensor scores = vec({1, 3, 0, 4});  // q = 1/8, 3/8, 0, 1/2
  Sample sample;
  sample.units = {0, 1};
  sample.inclusion = vec({0.5, 0.75, 0.25, 0.5});
  expect_values(rescale_factors(sample, scores, RescaleKind::None), {1, 1, 0, 0}, {4}, 0);
  expect_values(rescale_factors(sample, scores, RescaleKind::InverseInclusion), {2, 4.0 / 3, 0, 0},
                {4}, 1e-15);
  // 1/(q + 1/4)
  expect_values(rescale_factors(sample, scores, RescaleKind::Reference),
                {1 / 0.375, 1 / 0.625, 0, 0}, {4}, 1e-15);
  // IT: b = 0.2, n = 2 classes, q over a block with Σs = 16: 1/(q + 0.5 + 0.2).
  RescaleOptions it;
  it.bias = 0.2;
  it.n = 2;
  it.score_total = 16;
  expect_values(rescale_factors(sample, scores, RescaleKind::Reference, it),
                {1 / (1.0 / 16 + 0.7), 1 / (3.0 / 16 + 0.7), 0, 0}, {4}, 1e-15);
}

}  // namespace
}  // namespace mg::optim
