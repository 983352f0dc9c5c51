#include "optim/masks/rescale.h"

#include <cmath>

#include "core/checks.h"
#include "core/creation.h"
#include "core/error.h"
#include "core/ops_copy.h"

namespace mg::optim {

RescaleKind parse_rescale_kind(const std::string& name) {
  if (name == "none") return RescaleKind::None;
  if (name == "inverse_inclusion") return RescaleKind::InverseInclusion;
  if (name == "reference" || name == "code") return RescaleKind::Reference;
  throw Error(str("parse_rescale_kind: unknown rescale \"", name,
                  "\"; expected \"none\", \"inverse_inclusion\" or \"reference\" (\"code\")"));
}

std::string to_string(RescaleKind kind) {
  switch (kind) {
    case RescaleKind::None:
      return "none";
    case RescaleKind::InverseInclusion:
      return "inverse_inclusion";
    case RescaleKind::Reference:
      return "reference";
  }
  return "unknown";
}

Tensor rescale_factors(const Sample& sample, const Tensor& scores, RescaleKind kind,
                       const RescaleOptions& options) {
  check_defined("rescale_factors", scores, "scores");
  check_defined("rescale_factors", sample.inclusion, "sample.inclusion");
  MG_CHECK(
      scores.dim() == 1 && sample.inclusion.dim() == 1 &&
          scores.numel() == sample.inclusion.numel(),
      "rescale_factors: scores and inclusion probabilities must be 1-d of the same length, got ",
      describe(scores), " and ", describe(sample.inclusion));
  const std::int64_t n = scores.numel();
  Tensor s_values = native::contiguous(native::to(native::to(scores, Device::cpu()), kFloat64));
  Tensor pi_values =
      native::contiguous(native::to(native::to(sample.inclusion, Device::cpu()), kFloat64));
  const double* s = s_values.data_ptr<double>();
  const double* pi = pi_values.data_ptr<double>();
  Tensor out = zeros({n}, kFloat64);
  double* factor = out.data_ptr<double>();
  for (std::int64_t u : sample.units) {
    MG_CHECK(u >= 0 && u < n, "rescale_factors: sampled unit ", u, " is outside [0, ", n, ")");
  }
  switch (kind) {
    case RescaleKind::None:
      for (std::int64_t u : sample.units) factor[u] = 1;
      break;
    case RescaleKind::InverseInclusion:
      MG_CHECK(sample.exact,
               "rescale_factors: inverse_inclusion needs exact inclusion probabilities; this "
               "sample's are an approximation (successive sampling of more than ",
               kSuccessiveExactMaxUnits, " units)");
      for (std::int64_t u = 0; u < n; ++u) {
        MG_CHECK(!(s[u] > 0 && pi[u] == 0), "rescale_factors: inverse_inclusion: unit ", u,
                 " has score ", s[u], " but inclusion probability 0 (top-k?), so 1/pi cannot ",
                 "be unbiased");
      }
      for (std::int64_t u : sample.units) factor[u] = 1 / pi[u];
      break;
    case RescaleKind::Reference: {
      MG_CHECK(options.n >= 0 && options.score_total >= 0 && std::isfinite(options.bias),
               "rescale_factors: reference needs n >= 0, score_total >= 0 and a finite bias, got ",
               options.n, ", ", options.score_total, ", ", options.bias);
      double total = options.score_total;
      if (total == 0) {
        for (std::int64_t u = 0; u < n; ++u) total += s[u];
      }
      const double inverse_n = 1.0 / static_cast<double>(options.n > 0 ? options.n : n);
      for (std::int64_t u : sample.units) {
        const double q = total > 0 ? s[u] / total : 1.0 / static_cast<double>(n);
        factor[u] = 1 / (q + inverse_n + options.bias);
      }
      break;
    }
  }
  return out;
}

}  // namespace mg::optim
