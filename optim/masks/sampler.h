#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/generator.h"
#include "core/tensor.h"

// Part 3 of the mask pipeline (specs/amss.md §9): choose which units of a parameter update this
// step, given their importances s (1-d, N ≥ 1 finite non-negative scores, e.g. from
// unit_importance), a size k and a Generator, and report every unit's inclusion probability
// π_u = P(u ∈ S) so that the rescale step (optim/masks/rescale.h) can form the AMSS+ factor 1/π.
//
// Designs (§9.3):
//   Uniform        k of N uniformly without replacement; π = k/N (exact).
//   Successive     k draws one at a time, each ∝ s among the units not yet drawn: the reference
//                  code's torch.multinomial(q, k, replacement=False), drawn here as an
//                  exponential race (keys −log(U)/s, the k smallest; the Gumbel-top-k trick): the
//                  same distribution, not the same random stream as PyTorch. When fewer than k
//                  units have s > 0 the positive ones are all drawn and the rest are uniform over
//                  the zero units (PyTorch throws there). π has no closed form (§9.2):
//                    - exact when k = N (π = 1), k = 1 (π = q = s/Σs), fewer than k positive
//                      units (π = 1 on them, uniform on the zeros), or N ≤
//                      kSuccessiveExactMaxUnits (16): a dynamic program over the subsets of at
//                      most k units, P(first |A| draws = A) = Σ_{u∈A} P(A∖u)·s_u/s(Ā∪u),
//                      O(2^N·N) time: ~2.3 ms at N = 16, k = 8, ~0.1 ms at N = 12 (1 thread);
//                      draw_units skips it;
//                    - otherwise Rosén's approximation (Rosén 1997, "Asymptotic theory for order
//                      sampling"): π_u ≈ 1 − exp(−q_u·t) with t solving Σ_v 1 − exp(−q_v·t) = k,
//                      so Σπ = k; Sample::exact = false. It treats the draws as independent
//                      exponential clocks stopped at a fixed time instead of at the k-th arrival;
//                      its error shrinks as N grows: at N = 24, k = 8, scores 1.2^u, the
//                      largest |π − frequency| over 200,000 draws was 0.007 (the test asserts
//                      0.02 over 20,000 draws).
//   SystematicPps  fixed-size PPS (§9.4): π = min(1, c·s) with capping (Σπ = k), degenerate
//                  cases as §9.4 step 2, certain units taken, the others randomly permuted and
//                  selected by one systematic pass (one uniform start, unit spacing); exact π.
//   PoissonPps     every unit kept independently with probability π_u (the same capped π as
//                  SystematicPps, so Σπ = k = E|S|); random size, possibly 0; exact π. The issue's
//                  p = min(1, k·q) without capping has Σp < k as soon as one unit is capped.
//   TopK           the k largest scores (ties: the lower index first); π ∈ {0, 1}, exact (but
//                  1/π is not available for it: units with π = 0 are never corrected).
//
// All-zero scores (a dead layer, a zero gradient; §8.2) fall back to uniform sampling for the
// fixed-size designs (π = k/N); PoissonPps keeps each unit with probability k/N.
namespace mg::optim {

enum class SamplerKind { Uniform, Successive, SystematicPps, PoissonPps, TopK };

// "uniform", "successive", "systematic_pps", "poisson_pps", "topk"; anything else is an
// mg::Error listing them.
SamplerKind parse_sampler_kind(const std::string& name);
std::string to_string(SamplerKind kind);

// k = ⌈ratio·units⌉ (Ceil) or ⌊ratio·units⌋ (Floor: the AV/NV classifier rows, §9.1), clamped
// to [1, units]. The product is the plain float64 one, as the reference code computes it.
enum class KRounding { Ceil, Floor };
std::int64_t sample_size(double ratio, std::int64_t units, KRounding rounding = KRounding::Ceil);

inline constexpr std::int64_t kSuccessiveExactMaxUnits = 16;

struct Sample {
  std::vector<std::int64_t> units;  // the chosen units, sorted ascending, distinct
  Tensor inclusion;                 // float64 [N]: π_u for every unit
  bool exact = true;                // false when π is an approximation (Successive, N > 16)
};

// Draws one sample and reports π. Throws mg::Error for k outside [1, N], scores that are not a
// 1-d floating tensor or that hold a negative, NaN or infinite entry.
Sample sample_units(SamplerKind kind, const Tensor& scores, std::int64_t k, Generator& generator);

// The two halves of sample_units, for callers that draw many samples from fixed scores (π does
// not depend on the draw): `exact`, when given, receives Sample::exact.
Tensor inclusion_probabilities(SamplerKind kind, const Tensor& scores, std::int64_t k,
                               bool* exact = nullptr);
std::vector<std::int64_t> draw_units(SamplerKind kind, const Tensor& scores, std::int64_t k,
                                     Generator& generator);

}  // namespace mg::optim
