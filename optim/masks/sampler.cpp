#include "optim/masks/sampler.h"

#include <algorithm>
#include <cmath>

#include "core/checks.h"
#include "core/creation.h"
#include "core/error.h"
#include "core/ops_copy.h"
#include "optim/masks/designs.h"
#include "optim/masks/uniform_stream.h"

namespace mg::optim {

namespace {

// The scores as float64 values after checking everything sample_units promises to check.
std::vector<double> checked_scores(const char* where, const Tensor& scores, std::int64_t k) {
  check_defined(where, scores, "scores");
  check_floating(where, scores);
  MG_CHECK(scores.dim() == 1 && scores.numel() >= 1, where,
           ": scores must be a non-empty 1-d tensor, got ", describe(scores));
  const std::int64_t n = scores.numel();
  MG_CHECK(k >= 1 && k <= n, where, ": k must be in [1, N] = [1, ", n, "], got ", k);
  Tensor values = native::contiguous(native::to(native::to(scores, Device::cpu()), kFloat64));
  const double* data = values.data_ptr<double>();
  std::vector<double> out(data, data + n);
  for (std::int64_t u = 0; u < n; ++u) {
    MG_CHECK(std::isfinite(out[u]) && out[u] >= 0, where,
             ": scores must be finite and non-negative, got ", out[u], " for unit ", u);
  }
  return out;
}

bool all_zero(const std::vector<double>& scores) {
  return std::all_of(scores.begin(), scores.end(), [](double s) { return s == 0; });
}

detail::Units draw_uniform(std::int64_t n, std::int64_t k, Generator& generator) {
  detail::UniformStream uniform(generator, n);
  std::vector<std::pair<double, std::int64_t>> keyed(static_cast<std::size_t>(n));
  for (std::int64_t u = 0; u < n; ++u) keyed[u] = {uniform.next(), u};
  std::partial_sort(keyed.begin(), keyed.begin() + k, keyed.end());
  detail::Units chosen(static_cast<std::size_t>(k));
  for (std::int64_t j = 0; j < k; ++j) chosen[j] = keyed[j].second;
  std::sort(chosen.begin(), chosen.end());
  return chosen;
}

detail::Units top_k(const std::vector<double>& scores, std::int64_t k) {
  detail::Units order(scores.size());
  for (std::size_t u = 0; u < scores.size(); ++u) order[u] = static_cast<std::int64_t>(u);
  std::stable_sort(order.begin(), order.end(),
                   [&](std::int64_t a, std::int64_t b) { return scores[a] > scores[b]; });
  order.resize(static_cast<std::size_t>(k));
  std::sort(order.begin(), order.end());
  return order;
}

// The design that actually runs: every fixed-size design is uniform on all-zero scores.
SamplerKind effective(SamplerKind kind, const std::vector<double>& scores) {
  if (kind != SamplerKind::PoissonPps && all_zero(scores)) return SamplerKind::Uniform;
  return kind;
}

std::vector<double> probabilities(SamplerKind kind, const std::vector<double>& scores,
                                  std::int64_t k, bool& exact) {
  exact = true;
  const std::int64_t n = static_cast<std::int64_t>(scores.size());
  switch (effective(kind, scores)) {
    case SamplerKind::Uniform:
      return std::vector<double>(scores.size(), static_cast<double>(k) / static_cast<double>(n));
    case SamplerKind::Successive:
      return detail::successive_probabilities(scores, k, exact);
    case SamplerKind::SystematicPps:
    case SamplerKind::PoissonPps:
      return detail::pps_probabilities(scores, k);
    case SamplerKind::TopK: {
      std::vector<double> pi(scores.size(), 0.0);
      for (std::int64_t u : top_k(scores, k)) pi[u] = 1;
      return pi;
    }
  }
  return {};
}

detail::Units draw(SamplerKind kind, const std::vector<double>& scores, std::int64_t k,
                   Generator& generator) {
  const std::int64_t n = static_cast<std::int64_t>(scores.size());
  switch (effective(kind, scores)) {
    case SamplerKind::Uniform:
      return draw_uniform(n, k, generator);
    case SamplerKind::Successive:
      return detail::draw_successive(scores, k, generator);
    case SamplerKind::SystematicPps:
      return detail::draw_systematic(detail::pps_probabilities(scores, k), k, generator);
    case SamplerKind::PoissonPps:
      return detail::draw_poisson(detail::pps_probabilities(scores, k), generator);
    case SamplerKind::TopK:
      return top_k(scores, k);
  }
  return {};
}

Tensor to_tensor(const std::vector<double>& values) {
  return from_vector(values, {static_cast<std::int64_t>(values.size())});
}

}  // namespace

SamplerKind parse_sampler_kind(const std::string& name) {
  if (name == "uniform") return SamplerKind::Uniform;
  if (name == "successive") return SamplerKind::Successive;
  if (name == "systematic_pps") return SamplerKind::SystematicPps;
  if (name == "poisson_pps") return SamplerKind::PoissonPps;
  if (name == "topk") return SamplerKind::TopK;
  throw Error(str("parse_sampler_kind: unknown sampler \"", name,
                  "\"; expected \"uniform\", \"successive\", \"systematic_pps\", \"poisson_pps\" ",
                  "or \"topk\""));
}

std::string to_string(SamplerKind kind) {
  switch (kind) {
    case SamplerKind::Uniform:
      return "uniform";
    case SamplerKind::Successive:
      return "successive";
    case SamplerKind::SystematicPps:
      return "systematic_pps";
    case SamplerKind::PoissonPps:
      return "poisson_pps";
    case SamplerKind::TopK:
      return "topk";
  }
  return "unknown";
}

std::int64_t sample_size(double ratio, std::int64_t units, KRounding rounding) {
  MG_CHECK(units >= 1, "sample_size: the number of units must be >= 1, got ", units);
  MG_CHECK(ratio >= 0 && ratio <= 1, "sample_size: ratio must be in [0, 1], got ", ratio);
  const double product = ratio * static_cast<double>(units);
  const double rounded = rounding == KRounding::Ceil ? std::ceil(product) : std::floor(product);
  return std::clamp<std::int64_t>(static_cast<std::int64_t>(rounded), 1, units);
}

Tensor inclusion_probabilities(SamplerKind kind, const Tensor& scores, std::int64_t k,
                               bool* exact) {
  const std::vector<double> values = checked_scores("inclusion_probabilities", scores, k);
  bool is_exact = true;
  Tensor pi = to_tensor(probabilities(kind, values, k, is_exact));
  if (exact) *exact = is_exact;
  return pi;
}

std::vector<std::int64_t> draw_units(SamplerKind kind, const Tensor& scores, std::int64_t k,
                                     Generator& generator) {
  return draw(kind, checked_scores("draw_units", scores, k), k, generator);
}

Sample sample_units(SamplerKind kind, const Tensor& scores, std::int64_t k, Generator& generator) {
  const std::vector<double> values = checked_scores("sample_units", scores, k);
  Sample sample;
  sample.inclusion = to_tensor(probabilities(kind, values, k, sample.exact));
  sample.units = draw(kind, values, k, generator);
  return sample;
}

}  // namespace mg::optim
