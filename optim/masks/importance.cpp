#include "optim/masks/importance.h"

#include <algorithm>
#include <cmath>

#include "core/checks.h"
#include "core/cpu/parallel.h"
#include "core/creation.h"
#include "core/dtype.h"
#include "core/error.h"
#include "core/ops_copy.h"
#include "core/ops_elementwise.h"
#include "core/ops_index.h"
#include "core/ops_reduction.h"
#include "core/ops_view.h"

namespace mg::optim {

namespace {

// A parameter seen by its units: `outer` × `units` × `inner` contiguous entries, entry
// (o, u, i) belonging to unit u. Element: 1 × numel × 1; output channel: 1 × O × rest; row
// blocks: 1 × n × numel/n; column blocks [d0, d1, rest...]: d0 × n × (d1/n)·rest.
struct UnitLayout {
  std::int64_t outer = 1;
  std::int64_t units = 0;
  std::int64_t inner = 1;
};

UnitLayout layout_of(const nn::MaskUnits& units, const Shape& shape) {
  UnitLayout layout;
  layout.units = units.count(shape);
  const std::int64_t total = numel(shape);
  if (units.kind() == nn::MaskUnits::Kind::ColumnBlocks) layout.outer = shape[0];
  layout.inner = layout.units == 0 ? 0 : total / (layout.outer * layout.units);
  return layout;
}

// A CPU, contiguous view of `t` (a copy only when it is not one already).
Tensor cpu_contiguous(const Tensor& t) {
  Tensor out = t.device().is_cpu() ? t : native::to(t, Device::cpu());
  return out.is_contiguous() ? out : native::contiguous(out);
}

// sums[u] = Σ over unit u of f(x), accumulated in float64, in parallel over units.
template <typename T, typename F>
void unit_sums(const T* x, const UnitLayout& layout, double* sums, const F& f) {
  const std::int64_t stride = layout.units * layout.inner;
  const std::int64_t per_unit = layout.outer * layout.inner;
  cpu::parallel_for(
      0, layout.units,
      std::max<std::int64_t>(1, cpu::kParallelGrain / std::max<std::int64_t>(per_unit, 1)),
      [&](std::int64_t begin, std::int64_t end) {
        for (std::int64_t u = begin; u < end; ++u) {
          double total = 0;
          for (std::int64_t o = 0; o < layout.outer; ++o) {
            const T* block = x + o * stride + u * layout.inner;
            for (std::int64_t i = 0; i < layout.inner; ++i)
              total += f(static_cast<double>(block[i]));
          }
          sums[u] = total;
        }
      });
}

// The terms f(x) summed per unit, for devices other than the CPU.
enum class DeviceTerm { Square, Abs };

// The per-unit sums with tensor ops on x's own device, in float64, left there.
Tensor sums_on_device(const Tensor& x, const UnitLayout& layout, DeviceTerm term) {
  const Tensor x64 = native::to(native::contiguous(x), kFloat64);
  const Tensor terms = term == DeviceTerm::Abs ? native::unary(UnaryOp::Abs, x64)
                                               : native::binary(BinaryOp::Mul, x64, x64);
  const Tensor blocks = native::view(terms, {layout.outer, layout.units, layout.inner});
  return native::reduce(ReduceOp::Sum, blocks, {0, 2});
}

// As sums_on_device; only the short score vector comes back to the CPU.
Tensor device_unit_sums(const Tensor& x, const UnitLayout& layout, DeviceTerm term) {
  return native::to(sums_on_device(x, layout, term), Device::cpu());
}

// `device_term` is f for tensors on other devices.
template <typename F>
Tensor reduce_units(const char* what, const Tensor& x, const nn::MaskUnits& units, const F& f,
                    DeviceTerm device_term = DeviceTerm::Square) {
  const UnitLayout layout = layout_of(units, x.shape());
  if (!x.device().is_cpu()) {
    check_floating(what, x);
    return device_unit_sums(x, layout, device_term);
  }
  Tensor data = cpu_contiguous(x);
  Tensor out = empty({layout.units}, kFloat64);
  double* sums = out.data_ptr<double>();
  visit_floating(data.dtype(), what, [&](auto zero) {
    using T = decltype(zero);
    unit_sums(data.data_ptr<T>(), layout, sums, f);
  });
  return out;
}

Tensor grad_squared(const Tensor& grad, const nn::MaskUnits& units) {
  return reduce_units("unit_importance", grad, units, [](double g) { return g * g; });
}

void check_grad(const char* where, const Tensor& grad) {
  check_defined(where, grad, "grad");
  check_floating(where, grad);
}

}  // namespace

ImportanceKind parse_importance_kind(const std::string& name) {
  if (name == "grad_squared" || name == "gn") return ImportanceKind::GradSquared;
  if (name == "grad_abs") return ImportanceKind::GradAbs;
  if (name == "grad_over_weight_squared" || name == "gn_wn") {
    return ImportanceKind::GradOverWeightSquared;
  }
  if (name == "ema_grad_squared") return ImportanceKind::EmaGradSquared;
  throw Error(str("parse_importance_kind: unknown importance \"", name,
                  "\"; expected \"grad_squared\" (\"gn\"), \"grad_abs\", ",
                  "\"grad_over_weight_squared\" (\"gn_wn\") or \"ema_grad_squared\""));
}

std::string to_string(ImportanceKind kind) {
  switch (kind) {
    case ImportanceKind::GradSquared:
      return "grad_squared";
    case ImportanceKind::GradAbs:
      return "grad_abs";
    case ImportanceKind::GradOverWeightSquared:
      return "grad_over_weight_squared";
    case ImportanceKind::EmaGradSquared:
      return "ema_grad_squared";
  }
  return "unknown";
}

Tensor unit_importance(const Tensor& grad, const Tensor& param, const nn::MaskUnits& units,
                       ImportanceKind kind, const ImportanceOptions& options) {
  check_grad("unit_importance", grad);
  switch (kind) {
    case ImportanceKind::GradSquared:
      return grad_squared(grad, units);
    case ImportanceKind::GradAbs:
      return reduce_units(
          "unit_importance", grad, units, [](double g) { return std::abs(g); }, DeviceTerm::Abs);
    case ImportanceKind::GradOverWeightSquared: {
      check_defined("unit_importance(grad_over_weight_squared)", param, "param");
      MG_CHECK(param.shape() == grad.shape(),
               "unit_importance(grad_over_weight_squared): param and grad shapes differ: ",
               describe(param), " and ", describe(grad));
      MG_CHECK(options.eps >= 0,
               "unit_importance(grad_over_weight_squared): eps must be >= 0, got ", options.eps);
      Tensor scores = grad_squared(grad, units);
      Tensor weights =
          reduce_units("unit_importance", param, units, [](double w) { return w * w; });
      double* s = scores.data_ptr<double>();
      const double* w = weights.data_ptr<double>();
      for (std::int64_t u = 0; u < scores.numel(); ++u) {
        // A zero gradient scores 0 even over a zero weight (0/0 would be NaN).
        s[u] = s[u] == 0 ? 0 : s[u] / (w[u] + options.eps);
      }
      return scores;
    }
    case ImportanceKind::EmaGradSquared:
      break;
  }
  throw Error(
      "unit_importance: ema_grad_squared keeps state across steps; use EmaImportance::update");
}

std::vector<Tensor> unit_importances(const std::vector<ImportanceRequest>& requests,
                                     ImportanceKind kind, const ImportanceOptions& options) {
  std::vector<Tensor> scores(requests.size());
  const bool batched = kind == ImportanceKind::GradSquared || kind == ImportanceKind::GradAbs;
  // Sums left on each GPU, with the requests they answer.
  std::vector<std::pair<Device, std::vector<std::size_t>>> pending;
  std::vector<std::vector<Tensor>> pending_sums;
  for (std::size_t i = 0; i < requests.size(); ++i) {
    const ImportanceRequest& request = requests[i];
    if (!batched || !request.grad.defined() || request.grad.device().is_cpu()) {
      scores[i] = unit_importance(request.grad, request.param, request.units, kind, options);
      continue;
    }
    check_grad("unit_importances", request.grad);
    const Device device = request.grad.device();
    auto it = std::find_if(pending.begin(), pending.end(),
                           [&](const auto& entry) { return entry.first == device; });
    if (it == pending.end()) {
      pending.push_back({device, {}});
      pending_sums.emplace_back();
      it = pending.end() - 1;
    }
    it->second.push_back(i);
    pending_sums[static_cast<std::size_t>(it - pending.begin())].push_back(
        sums_on_device(request.grad, layout_of(request.units, request.grad.shape()),
                       kind == ImportanceKind::GradAbs ? DeviceTerm::Abs : DeviceTerm::Square));
  }
  for (std::size_t d = 0; d < pending.size(); ++d) {
    const Tensor all = native::to(native::cat(pending_sums[d], 0), Device::cpu());
    std::int64_t offset = 0;
    for (std::size_t j = 0; j < pending[d].second.size(); ++j) {
      const std::int64_t n = pending_sums[d][j].numel();
      scores[pending[d].second[j]] = native::clone(native::narrow(all, 0, offset, n));
      offset += n;
    }
  }
  return scores;
}

EmaImportance::EmaImportance(double decay) : decay_(decay) {
  MG_CHECK(decay >= 0 && decay < 1, "EmaImportance: decay must be in [0, 1), got ", decay);
}

Tensor EmaImportance::update(const Tensor& param, const Tensor& grad, const nn::MaskUnits& units) {
  check_defined("EmaImportance::update", param, "param");
  check_grad("EmaImportance::update", grad);
  MG_CHECK(param.shape() == grad.shape(),
           "EmaImportance::update: param and grad shapes differ: ", describe(param), " and ",
           describe(grad));
  Tensor scores = grad_squared(grad, units);
  auto found = averages_.find(param.impl());
  if (found == averages_.end()) {
    averages_.emplace(param.impl(), Entry{param, scores});
    return native::clone(scores);
  }
  Tensor& average = found->second.average;
  MG_CHECK(average.numel() == scores.numel(), "EmaImportance::update: the parameter had ",
           average.numel(), " units, now ", scores.numel(), " (", units.to_string(), ")");
  double* e = average.data_ptr<double>();
  const double* s = scores.data_ptr<double>();
  for (std::int64_t u = 0; u < scores.numel(); ++u) e[u] = decay_ * e[u] + (1 - decay_) * s[u];
  return native::clone(average);
}

Tensor EmaImportance::average(const Tensor& param) const {
  auto found = averages_.find(param.impl());
  return found == averages_.end() ? Tensor() : native::clone(found->second.average);
}

}  // namespace mg::optim
