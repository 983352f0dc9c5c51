#include <cmath>
#include <limits>

#include "core/cpu/cpu_backend.h"
#include "core/cpu/loops.h"
#include "core/ops_view.h"

namespace mg::cpu {

namespace {

// How a reduction combines values: float32 sums accumulate in double, so long sums keep their
// precision without a pairwise scheme.
template <typename T, ReduceOp Op>
struct Reducer {
  using Acc = std::conditional_t<std::is_floating_point_v<T>, double,
                                 std::conditional_t<Op == ReduceOp::Sum, std::int64_t, T>>;
  static Acc init() {
    if constexpr (Op == ReduceOp::Max) return std::numeric_limits<Acc>::lowest();
    if constexpr (Op == ReduceOp::Min) return std::numeric_limits<Acc>::max();
    return Acc(0);
  }
  static Acc combine(Acc acc, T v) {
    if constexpr (Op == ReduceOp::Sum || Op == ReduceOp::Mean) {
      return acc + static_cast<Acc>(v);
    } else {
      const Acc value = static_cast<Acc>(v);
      if constexpr (std::is_floating_point_v<Acc>) {
        if (std::isnan(value) || std::isnan(acc)) return std::numeric_limits<Acc>::quiet_NaN();
      }
      if constexpr (Op == ReduceOp::Max) return value > acc ? value : acc;
      return value < acc ? value : acc;
    }
  }
  static Acc finish(Acc acc, std::int64_t count) {
    if constexpr (Op == ReduceOp::Mean) return acc / static_cast<Acc>(count);
    return acc;
  }
};

// The reduction seen as `outputs` independent reductions of `count` values each: x viewed with
// the kept dims first and the reduced dims last.
struct ReductionLayout {
  Tensor x;           // permuted view of the input
  std::int64_t kept;  // number of leading (kept) dims in x
  std::int64_t outputs, count;
};

ReductionLayout reduction_layout(const Tensor& x, const Tensor& out) {
  Shape kept_dims, reduced_dims;
  for (std::int64_t d = 0; d < x.dim(); ++d) {
    (out.size(d) == 1 && x.size(d) != 1 ? reduced_dims : kept_dims).push_back(d);
  }
  Shape order = kept_dims;
  order.insert(order.end(), reduced_dims.begin(), reduced_dims.end());
  ReductionLayout layout{native::permute(x, order), static_cast<std::int64_t>(kept_dims.size()),
                         out.numel(), 1};
  for (auto d : reduced_dims) layout.count *= x.size(d);
  return layout;
}

// Element offsets of every index of dims [begin_dim, end_dim) of `t`, in row-major order.
std::vector<std::int64_t> offsets_of(const Tensor& t, std::int64_t begin_dim,
                                     std::int64_t end_dim) {
  std::vector<std::int64_t> offsets{0};
  for (std::int64_t d = begin_dim; d < end_dim; ++d) {
    std::vector<std::int64_t> next;
    next.reserve(offsets.size() * static_cast<std::size_t>(t.size(d)));
    for (auto base : offsets) {
      for (std::int64_t i = 0; i < t.size(d); ++i) next.push_back(base + i * t.stride(d));
    }
    offsets = std::move(next);
  }
  return offsets;
}

template <typename T, ReduceOp Op>
void reduce_typed(const Tensor& x, const Tensor& out) {
  using R = Reducer<T, Op>;
  using Acc = typename R::Acc;
  using Out =
      std::conditional_t<Op == ReduceOp::Sum && !std::is_floating_point_v<T>, std::int64_t, T>;
  ReductionLayout layout = reduction_layout(x, out);
  Out* result = out.data_ptr<Out>();
  const std::int64_t ndim = layout.x.dim();
  // Reduced dims that form one dense block: each output reads `count` consecutive values.
  bool dense_inner = true;
  std::int64_t expected = 1;
  for (std::int64_t d = ndim - 1; d >= layout.kept; --d) {
    if (layout.x.size(d) == 1) continue;
    dense_inner &= layout.x.stride(d) == expected;
    expected *= layout.x.size(d);
  }
  const T* base = static_cast<const T*>(x.raw_data());
  if (dense_inner) {
    const std::vector<std::int64_t> starts = offsets_of(layout.x, 0, layout.kept);
    const std::int64_t count = layout.count;
    parallel_for(0, layout.outputs,
                 std::max<std::int64_t>(1, kParallelGrain / std::max<std::int64_t>(count, 1)),
                 [&](std::int64_t begin, std::int64_t end) {
                   for (std::int64_t o = begin; o < end; ++o) {
                     const T* values = base + starts[o];
                     Acc acc = R::init();
                     for (std::int64_t i = 0; i < count; ++i) acc = R::combine(acc, values[i]);
                     result[o] = static_cast<Out>(R::finish(acc, count));
                   }
                 });
    return;
  }
  // Kept dims dense at the inside (e.g. summing [N, C] over N): accumulate whole rows at once.
  bool dense_outer = true;
  expected = 1;
  for (std::int64_t d = layout.kept - 1; d >= 0; --d) {
    if (layout.x.size(d) == 1) continue;
    dense_outer &= layout.x.stride(d) == expected;
    expected *= layout.x.size(d);
  }
  const std::vector<std::int64_t> reduced = offsets_of(layout.x, layout.kept, ndim);
  if (dense_outer) {
    const std::int64_t outputs = layout.outputs;
    parallel_for(0, outputs, 1024, [&](std::int64_t begin, std::int64_t end) {
      std::vector<Acc> acc(static_cast<std::size_t>(end - begin), R::init());
      for (auto offset : reduced) {
        const T* row = base + offset;
        for (std::int64_t o = begin; o < end; ++o)
          acc[o - begin] = R::combine(acc[o - begin], row[o]);
      }
      for (std::int64_t o = begin; o < end; ++o) {
        result[o] = static_cast<Out>(R::finish(acc[o - begin], layout.count));
      }
    });
    return;
  }
  // Anything else: gather each output's values through the offset tables.
  const std::vector<std::int64_t> starts = offsets_of(layout.x, 0, layout.kept);
  parallel_for(0, layout.outputs, 64, [&](std::int64_t begin, std::int64_t end) {
    for (std::int64_t o = begin; o < end; ++o) {
      Acc acc = R::init();
      for (auto offset : reduced) acc = R::combine(acc, base[starts[o] + offset]);
      result[o] = static_cast<Out>(R::finish(acc, layout.count));
    }
  });
}

template <ReduceOp Op>
void reduce_dispatch(const Tensor& x, const Tensor& out) {
  visit_dtype(x.dtype(), [&](auto zero) {
    using T = decltype(zero);
    if constexpr (std::is_same_v<T, bool>) {
      if constexpr (Op == ReduceOp::Sum) reduce_typed<std::uint8_t, Op>(x, out);
    } else if constexpr (Op != ReduceOp::Mean || std::is_floating_point_v<T>) {
      reduce_typed<T, Op>(x, out);
    }
  });
}

}  // namespace

void CpuBackend::reduce(ReduceOp op, const Tensor& x, const Tensor& out) {
  switch (op) {
    case ReduceOp::Sum:
      return reduce_dispatch<ReduceOp::Sum>(x, out);
    case ReduceOp::Mean:
      return reduce_dispatch<ReduceOp::Mean>(x, out);
    case ReduceOp::Max:
      return reduce_dispatch<ReduceOp::Max>(x, out);
    case ReduceOp::Min:
      return reduce_dispatch<ReduceOp::Min>(x, out);
  }
}

void CpuBackend::arg_reduce(ReduceOp op, const Tensor& x, std::int64_t dim, const Tensor& out) {
  // Moves `dim` last; each output scans one strided line.
  Shape order;
  for (std::int64_t d = 0; d < x.dim(); ++d) {
    if (d != dim) order.push_back(d);
  }
  order.push_back(dim);
  const Tensor lines = native::permute(x, order);
  const std::vector<std::int64_t> starts = offsets_of(lines, 0, x.dim() - 1);
  const std::int64_t length = x.size(dim), stride = x.stride(dim);
  std::int64_t* result = out.data_ptr<std::int64_t>();
  visit_dtype(x.dtype(), [&](auto zero) {
    using T = decltype(zero);
    const T* base = static_cast<const T*>(x.raw_data());
    const bool want_max = op == ReduceOp::Max;
    parallel_for(0, static_cast<std::int64_t>(starts.size()), 256,
                 [&](std::int64_t begin, std::int64_t end) {
                   for (std::int64_t o = begin; o < end; ++o) {
                     const T* line = base + starts[o];
                     std::int64_t best = 0;
                     T best_value = line[0];
                     for (std::int64_t i = 1; i < length; ++i) {
                       const T v = line[i * stride];
                       bool better = want_max ? v > best_value : v < best_value;
                       if constexpr (std::is_floating_point_v<T>) {
                         if (std::isnan(best_value))
                           better = false;  // NaN wins, as in PyTorch
                         else if (std::isnan(v))
                           better = true;
                       }
                       if (better) {
                         best = i;
                         best_value = v;
                       }
                     }
                     result[o] = best;
                   }
                 });
  });
}

}  // namespace mg::cpu
