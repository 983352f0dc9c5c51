#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numeric>
#include <sstream>
#include <string>
#include <vector>

#include "core/creation.h"
#include "core/random.h"
#include "optim/masks/rescale.h"
#include "optim/masks/sampler.h"

// The Monte-Carlo harness of specs/amss.md §17.5 tests 1 and 2, shared by the default grid
// (sampler_unbiased_test.cpp) and the full one (slow_sampler_unbiased_test.cpp): for fixed
// per-unit gradients g with importances s = g², T masks from one design and one rescale rule,
// checked against the design's claimed π:
//   (a) |S| = k on every draw (fixed-size designs);
//   (b) the inclusion frequency f_u is within 5·sqrt(π_u(1−π_u)/T) of π_u;
//   (c) the mean of g_u·m̂_u is within 5·|g_u|·sqrt((1−π_u)/(π_u·T)) of g_u;
//   (d) Σπ = k and 0 ≤ π ≤ 1.
// The 5σ bounds of (b) and (c) rest on the normal approximation of Binomial(T, π), which fails
// for units with Tπ(1−π) of order 1 (heavy-tailed gradients at N = 512 give units with π ~ 1e-6:
// one inclusion in 10⁵ draws is already "16σ"). A check that misses its 5σ bound is therefore
// retried against the exact binomial tail at the same level: it passes when a count at least as
// far out on that side has probability ≥ 2.87e-7 (the one-sided normal tail at 5σ). For (c) the
// count is the one the mean implies, c = mean·T·π/g (an integer count for 1/π factors; a biased
// factor gives a c far outside the binomial's range).
namespace mg::optim::grid {

enum class GradientCase { Normal, HeavyTailed, SomeZeros, DominantUnit };

inline std::string to_string(GradientCase c) {
  switch (c) {
    case GradientCase::Normal:
      return "normal";
    case GradientCase::HeavyTailed:
      return "heavy_tailed";
    case GradientCase::SomeZeros:
      return "some_zeros";
    case GradientCase::DominantUnit:
      return "dominant_unit";
  }
  return "unknown";
}

// Per-unit gradients from the framework's generator: standard normal; Cauchy (a ratio of two
// normals); normal with every third unit (u ≡ 1 mod 3) exactly 0; normal with unit N/2 × 1000.
inline std::vector<double> gradient(GradientCase c, std::int64_t n, std::uint64_t seed) {
  Generator generator(seed);
  std::vector<double> g = randn({n}, kFloat64, &generator).to_vector<double>();
  if (c == GradientCase::HeavyTailed) {
    const std::vector<double> d = randn({n}, kFloat64, &generator).to_vector<double>();
    for (std::int64_t u = 0; u < n; ++u) g[u] /= d[u];
  }
  if (c == GradientCase::SomeZeros)
    for (std::int64_t u = 1; u < n; u += 3) g[u] = 0;
  if (c == GradientCase::DominantUnit) g[n / 2] *= 1000;
  return g;
}

// log P(X = j) for X ~ Binomial(T, p), 0 < p < 1.
inline double log_binomial_pmf(double j, double trials, double p) {
  return std::lgamma(trials + 1) - std::lgamma(j + 1) - std::lgamma(trials - j + 1) +
         j * std::log(p) + (trials - j) * std::log1p(-p);
}

// The one-sided level of a 5σ normal deviation.
inline constexpr double kTailLevel = 2.87e-7;

// Whether `count` (any real) is a plausible Binomial(T, p) count: within 5 standard deviations
// of T·p, or, beyond them, with P(X ≥ count) (above the mean) or P(X ≤ count) (below) of at
// least kTailLevel.
inline bool plausible_count(double count, double trials, double p) {
  const double expected = trials * p;
  if (std::abs(count - expected) <= 5 * std::sqrt(trials * p * (1 - p)) + 1e-9 * trials)
    return true;
  if (p <= 0 || p >= 1) return false;  // π ∈ {0, 1} leaves no room
  double tail = 0;
  if (count > expected) {
    for (double j = std::ceil(count - 1e-9); j <= trials; ++j) {
      const double term = std::exp(log_binomial_pmf(j, trials, p));
      tail += term;
      if (term < 1e-30 * tail || tail >= kTailLevel) break;
    }
  } else {
    for (double j = std::floor(count + 1e-9); j >= 0; --j) {
      const double term = std::exp(log_binomial_pmf(j, trials, p));
      tail += term;
      if (term < 1e-30 * tail || tail >= kTailLevel) break;
    }
  }
  return tail >= kTailLevel;
}

struct Violations {
  std::int64_t size = 0;       // (a): draws with |S| ≠ k
  std::int64_t frequency = 0;  // (b): units
  std::int64_t mean = 0;       // (c): units
  std::int64_t pi = 0;         // (d): 1 if Σπ ≠ k or some π outside [0, 1]
  std::string first;           // a description of the first violating unit, for messages
};

struct Design {
  SamplerKind sampler;
  RescaleKind rescale;
};

// T draws of `design` with k = sample_size(rho, N) on s = g², seeded by `seed`.
inline Violations check(const Design& design, const std::vector<double>& g, double rho,
                        std::int64_t draws, std::uint64_t seed) {
  const auto n = static_cast<std::int64_t>(g.size());
  std::vector<double> s(g.size());
  for (std::size_t u = 0; u < g.size(); ++u) s[u] = g[u] * g[u];
  const Tensor scores = from_vector(s, {n});
  const std::int64_t k = sample_size(rho, n);
  Sample sample;
  sample.inclusion = inclusion_probabilities(design.sampler, scores, k, &sample.exact);
  const std::vector<double> pi = sample.inclusion.to_vector<double>();

  Violations out;
  const double total = std::accumulate(pi.begin(), pi.end(), 0.0);
  const bool pi_in_range =
      std::all_of(pi.begin(), pi.end(), [](double p) { return p >= 0 && p <= 1; });
  if (std::abs(total - static_cast<double>(k)) > 1e-9 * static_cast<double>(k) || !pi_in_range) {
    out.pi = 1;
    out.first = "sum pi = " + std::to_string(total) + ", k = " + std::to_string(k);
  }

  const bool fixed_size = design.sampler != SamplerKind::PoissonPps;
  Generator generator(seed);
  std::vector<double> count(g.size(), 0), sum(g.size(), 0);
  for (std::int64_t draw = 0; draw < draws; ++draw) {
    sample.units = draw_units(design.sampler, scores, k, generator);
    if (fixed_size && static_cast<std::int64_t>(sample.units.size()) != k) ++out.size;
    for (std::int64_t u : sample.units) count[u] += 1;
    const Tensor factors = rescale_factors(sample, scores, design.rescale);
    const double* factor = factors.data_ptr<double>();
    for (std::int64_t u : sample.units) sum[u] += g[u] * factor[u];
  }

  const auto trials = static_cast<double>(draws);
  for (std::size_t u = 0; u < g.size(); ++u) {
    auto note = [&](const char* what, double value) {
      if (!out.first.empty()) return;
      std::ostringstream message;
      message << what << " unit " << u << ": g " << g[u] << ", pi " << pi[u] << ", got " << value;
      out.first = message.str();
    };
    if (!plausible_count(count[u], trials, pi[u])) {
      ++out.frequency;
      note("frequency", count[u] / trials);
    }
    if (pi[u] == 0 || g[u] == 0) continue;  // m̂ = 0 on every draw; (b) already saw count = 0
    const double mean = sum[u] / trials;
    const double bound = 5 * std::abs(g[u]) * std::sqrt((1 - pi[u]) / (pi[u] * trials));
    if (std::abs(mean - g[u]) <= bound * (1 + 1e-12)) continue;
    if (!plausible_count(mean * trials * pi[u] / g[u], trials, pi[u])) {
      ++out.mean;
      note("mean of g*m", mean);
    }
  }
  return out;
}

inline std::string describe_run(const Design& design, GradientCase c, std::int64_t n, double rho) {
  std::ostringstream out;
  out << to_string(design.sampler) << "/" << to_string(design.rescale) << " " << to_string(c)
      << " N=" << n << " rho=" << rho;
  return out.str();
}

}  // namespace mg::optim::grid
