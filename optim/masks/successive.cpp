#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>

#include "optim/masks/designs.h"
#include "optim/masks/sampler.h"
#include "optim/masks/uniform_stream.h"

namespace mg::optim::detail {

namespace {

// Exact π by a forward pass over the subsets A of at most k units: reach[A] is the probability
// that the first |A| draws are A in some order.
std::vector<double> exact_by_subsets(const std::vector<double>& scores, std::int64_t k) {
  const int n = static_cast<int>(scores.size());
  const std::uint32_t subsets = 1u << n;
  std::vector<double> reach(subsets, 0.0);
  std::vector<double> pi(scores.size(), 0.0);
  reach[0] = 1;
  for (std::uint32_t drawn = 0; drawn < subsets; ++drawn) {
    const double p = reach[drawn];
    if (p == 0) continue;
    const int size = std::popcount(drawn);
    if (size == k) {
      for (int u = 0; u < n; ++u) {
        if (drawn >> u & 1u) pi[u] += p;
      }
      continue;
    }
    double left = 0;
    for (int u = 0; u < n; ++u) {
      if (!(drawn >> u & 1u)) left += scores[u];
    }
    for (int u = 0; u < n; ++u) {
      if (drawn >> u & 1u) continue;
      // Once the positive units are used up the next draw is uniform over the zero ones.
      const double step = left > 0 ? scores[u] / left : 1.0 / (n - size);
      reach[drawn | 1u << u] += p * step;
    }
  }
  return pi;
}

// Rosén's approximation π_u = 1 − exp(−q_u·t) with Σ π = k; needs more than k positive units.
std::vector<double> rosen(const std::vector<double>& scores, std::int64_t k) {
  double total = 0;
  for (double s : scores) total += s;
  auto expected_size = [&](double t) {
    double sum = 0;
    for (double s : scores) sum += -std::expm1(-s / total * t);
    return sum;
  };
  double high = static_cast<double>(k);
  while (expected_size(high) < static_cast<double>(k)) high *= 2;
  double low = 0;
  for (int iteration = 0; iteration < 200 && high - low > 1e-15 * high; ++iteration) {
    const double mid = 0.5 * (low + high);
    (expected_size(mid) < static_cast<double>(k) ? low : high) = mid;
  }
  const double t = 0.5 * (low + high);
  std::vector<double> pi(scores.size());
  for (std::size_t u = 0; u < scores.size(); ++u) pi[u] = -std::expm1(-scores[u] / total * t);
  return pi;
}

}  // namespace

std::vector<double> successive_probabilities(const std::vector<double>& scores, std::int64_t k,
                                             bool& exact) {
  const std::int64_t n = static_cast<std::int64_t>(scores.size());
  const std::int64_t positive =
      std::count_if(scores.begin(), scores.end(), [](double s) { return s > 0; });
  exact = true;
  if (positive <= k) {
    // Every positive unit is drawn before any zero one; the zero ones fill the rest uniformly.
    return pps_probabilities(scores, k);
  }
  if (k == 1) {
    double total = 0;
    for (double s : scores) total += s;
    std::vector<double> pi(scores.size());
    for (std::size_t u = 0; u < scores.size(); ++u) pi[u] = scores[u] / total;
    return pi;
  }
  if (n <= kSuccessiveExactMaxUnits) return exact_by_subsets(scores, k);
  exact = false;
  return rosen(scores, k);
}

Units draw_successive(const std::vector<double>& scores, std::int64_t k, Generator& generator) {
  const std::int64_t n = static_cast<std::int64_t>(scores.size());
  UniformStream uniform(generator, n);
  // Exponential race: unit u arrives at −log(1 − U_u)/s_u; the first k arrivals are distributed
  // as k successive draws ∝ s without replacement. Zero units never arrive (key +inf) and are
  // ordered among themselves by U, i.e. uniformly.
  std::vector<std::pair<double, double>> keys(scores.size());
  for (std::int64_t u = 0; u < n; ++u) {
    const double draw = uniform.next();
    const double arrival =
        scores[u] > 0 ? -std::log1p(-draw) / scores[u] : std::numeric_limits<double>::infinity();
    keys[u] = {arrival, draw};
  }
  Units order(scores.size());
  for (std::int64_t u = 0; u < n; ++u) order[u] = u;
  std::partial_sort(order.begin(), order.begin() + k, order.end(),
                    [&](std::int64_t a, std::int64_t b) { return keys[a] < keys[b]; });
  order.resize(k);
  std::sort(order.begin(), order.end());
  return order;
}

}  // namespace mg::optim::detail
