#include "optim/update_kernels.h"

#include <algorithm>
#include <cmath>

#include "core/cpu/parallel.h"

namespace mg::optim {

UnitLayout unit_layout(const nn::MaskUnits& units, const Shape& shape) {
  const std::int64_t count = units.count(shape);
  const std::int64_t n = numel(shape);
  switch (units.kind()) {
    case nn::MaskUnits::Kind::Element:
      return UnitLayout{1, std::max<std::int64_t>(n, 1), 1, true};
    case nn::MaskUnits::Kind::OutputChannel:
      return UnitLayout{shape[0] > 0 ? n / shape[0] : 1, std::max<std::int64_t>(shape[0], 1), 1,
                        false};
    case nn::MaskUnits::Kind::RowBlocks:
      return UnitLayout{shape[0] > 0 ? n / shape[0] : 1, std::max<std::int64_t>(shape[0], 1),
                        std::max<std::int64_t>(shape[0] / count, 1), false};
    case nn::MaskUnits::Kind::ColumnBlocks: {
      const std::int64_t rows = shape[0] * shape[1];
      return UnitLayout{rows > 0 ? n / rows : 1, std::max<std::int64_t>(shape[1], 1),
                        std::max<std::int64_t>(shape[1] / count, 1), false};
    }
  }
  return {};
}

namespace {

// Calls run(i0, i1, unit) on the maximal runs of [begin, end) that share a unit (unit -1 and
// one run when there is no mask).
template <typename Run>
inline void for_each_run(std::int64_t begin, std::int64_t end, const MaskArgs& mask,
                         const Run& run) {
  if (!mask.factors) {
    run(begin, end, std::int64_t{-1});
    return;
  }
  const UnitLayout& l = mask.layout;
  if (l.element) {
    for (std::int64_t i = begin; i < end; ++i) run(i, i + 1, i);
    return;
  }
  std::int64_t i = begin;
  while (i < end) {
    const std::int64_t row = i / l.stride;
    const std::int64_t run_end = std::min(end, (row + 1) * l.stride);
    run(i, run_end, (row % l.period) / l.block);
    i = run_end;
  }
}

template <typename T>
void sgd_kernel(const SgdArgs& a, const MaskArgs& mask) {
  T* p = static_cast<T*>(a.param);
  const T* g = static_cast<const T*>(a.grad);
  T* buf = static_cast<T*>(a.momentum_buffer);
  const T* factors = static_cast<const T*>(mask.factors);
  const T lr = static_cast<T>(a.lr), momentum = static_cast<T>(a.momentum);
  const T damp = static_cast<T>(1 - a.dampening), wd = static_cast<T>(a.weight_decay);
  const bool decay = a.weight_decay != 0, first = a.first_step, nesterov = a.nesterov;
  cpu::parallel_for(0, a.numel, cpu::kParallelGrain, [&](std::int64_t begin, std::int64_t end) {
    for_each_run(begin, end, mask, [&](std::int64_t i0, std::int64_t i1, std::int64_t unit) {
      const T factor = unit < 0 ? T(1) : factors[unit];
      // A new buffer still needs values for the units a strict mask skips: zero.
      if (unit >= 0 && mask.strict && factor == T(0)) {
        if (buf && first) std::fill(buf + i0, buf + i1, T(0));
        return;
      }
      for (std::int64_t i = i0; i < i1; ++i) {
        T d = unit < 0 ? g[i] : g[i] * factor;
        if (decay) d = d + wd * p[i];
        if (buf) {
          buf[i] = first ? d : buf[i] * momentum + damp * d;
          d = nesterov ? d + momentum * buf[i] : buf[i];
        }
        p[i] = p[i] + -lr * d;
      }
    });
  });
}

template <typename T>
void adam_kernel(const AdamArgs& a, const MaskArgs& mask) {
  T* p = static_cast<T*>(a.param);
  const T* g = static_cast<const T*>(a.grad);
  T* m = static_cast<T*>(a.exp_avg);
  T* v = static_cast<T*>(a.exp_avg_sq);
  T* vmax = static_cast<T*>(a.max_exp_avg_sq);
  const T* factors = static_cast<const T*>(mask.factors);
  const T beta1 = static_cast<T>(a.beta1), beta2 = static_cast<T>(a.beta2);
  const T one_minus_beta1 = static_cast<T>(1 - a.beta1),
          one_minus_beta2 = static_cast<T>(1 - a.beta2);
  const T eps = static_cast<T>(a.eps), wd = static_cast<T>(a.weight_decay);
  const T shrink = static_cast<T>(1 - a.lr * a.weight_decay);
  const bool decoupled = a.decoupled, l2 = !a.decoupled && a.weight_decay != 0;
  // PyTorch computes the bias corrections in double from the step count.
  struct Correction {
    T neg_step_size, bc2_sqrt;
  };
  const auto correction = [&](std::int64_t step) {
    const double bc1 = 1 - std::pow(a.beta1, static_cast<double>(step));
    const double bc2 = 1 - std::pow(a.beta2, static_cast<double>(step));
    return Correction{static_cast<T>(-(a.lr / bc1)), static_cast<T>(std::sqrt(bc2))};
  };
  const Correction shared = correction(a.step);
  cpu::parallel_for(0, a.numel, cpu::kParallelGrain, [&](std::int64_t begin, std::int64_t end) {
    for_each_run(begin, end, mask, [&](std::int64_t i0, std::int64_t i1, std::int64_t unit) {
      const T factor = unit < 0 ? T(1) : factors[unit];
      if (unit >= 0 && mask.strict && factor == T(0)) return;
      const Correction c = a.unit_steps && unit >= 0 ? correction(a.unit_steps[unit]) : shared;
      for (std::int64_t i = i0; i < i1; ++i) {
        T grad = unit < 0 ? g[i] : g[i] * factor;
        if (decoupled) p[i] = p[i] * shrink;
        if (l2) grad = grad + wd * p[i];
        m[i] = m[i] * beta1 + one_minus_beta1 * grad;
        v[i] = v[i] * beta2 + one_minus_beta2 * (grad * grad);
        T second = v[i];
        if (vmax) {
          vmax[i] = std::max(vmax[i], v[i]);
          second = vmax[i];
        }
        const T denom = std::sqrt(second) / c.bc2_sqrt + eps;
        p[i] = p[i] + c.neg_step_size * (m[i] / denom);
      }
    });
  });
}

}  // namespace

void sgd_update_cpu(DType dtype, const SgdArgs& args, const MaskArgs& mask) {
  visit_floating(dtype, "SGD", [&](auto zero) { sgd_kernel<decltype(zero)>(args, mask); });
}

void adam_update_cpu(DType dtype, const AdamArgs& args, const MaskArgs& mask) {
  visit_floating(dtype, "Adam", [&](auto zero) { adam_kernel<decltype(zero)>(args, mask); });
}

}  // namespace mg::optim
