#pragma once

#include <cstdint>
#include <vector>

#include "core/generator.h"

// The sampling designs of optim/masks/sampler.h on validated plain vectors (scores finite and
// non-negative, not all zero, 1 ≤ k ≤ N). Returned unit lists are sorted.
namespace mg::optim::detail {

using Units = std::vector<std::int64_t>;

// §9.4 steps 1-2: π = min(1, c·s) with capping so that Σπ = k; fewer than k positive units make
// those certain and spread the remaining slots uniformly over the zero units.
std::vector<double> pps_probabilities(const std::vector<double>& scores, std::int64_t k);
// §9.4 step 3 on probabilities from pps_probabilities (Σπ = k).
Units draw_systematic(const std::vector<double>& inclusion, std::int64_t k, Generator& generator);
Units draw_poisson(const std::vector<double>& inclusion, Generator& generator);

std::vector<double> successive_probabilities(const std::vector<double>& scores, std::int64_t k,
                                             bool& exact);
Units draw_successive(const std::vector<double>& scores, std::int64_t k, Generator& generator);

}  // namespace mg::optim::detail
