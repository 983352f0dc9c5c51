#include <algorithm>
#include <numeric>

#include "core/error.h"
#include "optim/masks/designs.h"
#include "optim/masks/uniform_stream.h"

namespace mg::optim::detail {

std::vector<double> pps_probabilities(const std::vector<double>& scores, std::int64_t k) {
  const std::int64_t n = static_cast<std::int64_t>(scores.size());
  std::vector<double> pi(scores.size(), 0.0);
  std::vector<bool> certain(scores.size(), false);
  const std::int64_t positive =
      std::count_if(scores.begin(), scores.end(), [](double s) { return s > 0; });
  if (positive <= k) {
    // Degenerate: every positive unit is certain, the remaining slots go uniformly to the zero
    // units (their gradient is zero, so which ones does not change the update).
    const double zero_share =
        positive == n ? 0.0 : static_cast<double>(k - positive) / static_cast<double>(n - positive);
    for (std::size_t u = 0; u < scores.size(); ++u) pi[u] = scores[u] > 0 ? 1.0 : zero_share;
    return pi;
  }
  // Capping: with at least k positive units the remaining mass stays positive while slots remain.
  std::int64_t remaining = k;
  for (bool capped = true; capped && remaining > 0;) {
    capped = false;
    double total = 0;
    for (std::size_t u = 0; u < scores.size(); ++u) {
      if (!certain[u]) total += scores[u];
    }
    const double scale = static_cast<double>(remaining) / total;
    for (std::size_t u = 0; u < scores.size(); ++u) {
      if (certain[u]) continue;
      pi[u] = scores[u] * scale;
      if (pi[u] >= 1) {
        certain[u] = true;
        pi[u] = 1;
        --remaining;
        capped = true;
      }
    }
  }
  if (remaining == 0) {
    for (std::size_t u = 0; u < scores.size(); ++u) {
      if (!certain[u]) pi[u] = 0;
    }
  }
  return pi;
}

Units draw_systematic(const std::vector<double>& inclusion, std::int64_t k, Generator& generator) {
  const std::int64_t n = static_cast<std::int64_t>(inclusion.size());
  Units chosen;
  Units rest;
  for (std::int64_t u = 0; u < n; ++u) (inclusion[u] >= 1 ? chosen : rest).push_back(u);
  const std::int64_t slots = k - static_cast<std::int64_t>(chosen.size());
  UniformStream uniform(generator, static_cast<std::int64_t>(rest.size()) + 1);
  // A random order of the uncertain units (any fixed order is exact too; a random one removes
  // the dependence between neighbours, §9.4 step 3).
  std::vector<std::pair<double, std::int64_t>> keyed;
  keyed.reserve(rest.size());
  for (std::int64_t u : rest) keyed.emplace_back(uniform.next(), u);
  std::sort(keyed.begin(), keyed.end());
  if (slots > 0) {
    std::vector<double> cumulative(keyed.size());
    double sum = 0;
    for (std::size_t j = 0; j < keyed.size(); ++j)
      cumulative[j] = sum += inclusion[keyed[j].second];
    // Rescale so that the last boundary is exactly `slots`: every point start + t < slots then
    // falls in some interval.
    const double fix = static_cast<double>(slots) / sum;
    for (double& c : cumulative) c *= fix;
    cumulative.back() = static_cast<double>(slots);
    const double start = uniform.next();
    std::size_t j = 0;
    for (std::int64_t t = 0; t < slots; ++t) {
      const double point = start + static_cast<double>(t);
      while (cumulative[j] <= point) ++j;
      chosen.push_back(keyed[j].second);
      // π ≤ 1 puts the next point past this interval; stepping on guards against rounding.
      ++j;
      MG_CHECK(t + 1 == slots || j < keyed.size(),
               "draw_systematic: internal error, ran out of units at point ", t);
    }
  }
  std::sort(chosen.begin(), chosen.end());
  return chosen;
}

Units draw_poisson(const std::vector<double>& inclusion, Generator& generator) {
  UniformStream uniform(generator, static_cast<std::int64_t>(inclusion.size()));
  Units chosen;
  for (std::size_t u = 0; u < inclusion.size(); ++u) {
    if (uniform.next() < inclusion[u]) chosen.push_back(static_cast<std::int64_t>(u));
  }
  return chosen;
}

}  // namespace mg::optim::detail
