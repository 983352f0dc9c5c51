#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "core/cpu/cpu_backend.h"
#include "core/cpu/loops.h"
#include "core/ops_view.h"

namespace mg::cpu {

namespace {

// How a reduction combines values. Floating-point values accumulate in double, so long float32
// sums keep their precision without a pairwise scheme; integer sums accumulate in int64.
template <typename T, ReduceOp Op>
struct Reducer {
  static constexpr bool kSum = Op == ReduceOp::Sum || Op == ReduceOp::Mean;
  using Acc = std::conditional_t<std::is_floating_point_v<T>, double,
                                 std::conditional_t<kSum, std::int64_t, T>>;

  static Acc init() {
    if constexpr (kSum) return Acc(0);
    if constexpr (std::is_floating_point_v<Acc>) {
      const Acc inf = std::numeric_limits<Acc>::infinity();
      return Op == ReduceOp::Max ? -inf : inf;
    }
    return Op == ReduceOp::Max ? std::numeric_limits<Acc>::lowest()
                               : std::numeric_limits<Acc>::max();
  }

  // A select rather than a branch so that loops vectorise. NaN wins: once acc is NaN no
  // comparison replaces it, and a NaN value always does.
  static Acc combine(Acc acc, T v) {
    const Acc value = static_cast<Acc>(v);
    if constexpr (kSum) {
      return acc + value;
    } else {
      const bool better = Op == ReduceOp::Max ? value > acc : value < acc;
      return better || value != value ? value : acc;
    }
  }

  // Partial results of disjoint parts combine like values.
  static Acc merge(Acc a, Acc b) {
    if constexpr (kSum) {
      return a + b;
    } else {
      return combine(a, static_cast<T>(b));
    }
  }

  static Acc finish(Acc acc, std::int64_t count) {
    if constexpr (Op == ReduceOp::Mean) return acc / static_cast<Acc>(count);
    return acc;
  }

  // Reduces n consecutive values.
  static Acc dense(const T* values, std::int64_t n) {
    Acc acc = init();
    if constexpr (kSum) {
#pragma omp simd reduction(+ : acc)
      for (std::int64_t i = 0; i < n; ++i) acc += static_cast<Acc>(values[i]);
    } else {
      for (std::int64_t i = 0; i < n; ++i) acc = combine(acc, values[i]);
    }
    return acc;
  }
};

// The reduction seen as `outputs` independent reductions of `count` values each: x viewed with
// the kept dims first (in order, matching the contiguous output) and the reduced dims last,
// sorted by decreasing stride so that a transposed input still reads as one dense block.
struct ReductionLayout {
  Tensor x;
  std::int64_t kept = 0;  // number of leading (kept) dims of x
  std::int64_t outputs = 1, count = 1;
};

ReductionLayout reduction_layout(const Tensor& x, const Tensor& out) {
  Shape kept_dims, reduced_dims;
  for (std::int64_t d = 0; d < x.dim(); ++d) {
    (out.size(d) == 1 && x.size(d) != 1 ? reduced_dims : kept_dims).push_back(d);
  }
  std::stable_sort(reduced_dims.begin(), reduced_dims.end(),
                   [&](std::int64_t a, std::int64_t b) { return x.stride(a) > x.stride(b); });
  Shape order = kept_dims;
  order.insert(order.end(), reduced_dims.begin(), reduced_dims.end());
  ReductionLayout layout{native::permute(x, order), static_cast<std::int64_t>(kept_dims.size()),
                         out.numel(), 1};
  for (auto d : reduced_dims) layout.count *= x.size(d);
  return layout;
}

// Whether dims [begin, end) of t are laid out row-major with unit innermost stride.
bool dense_dims(const Tensor& t, std::int64_t begin, std::int64_t end) {
  std::int64_t expected = 1;
  for (std::int64_t d = end - 1; d >= begin; --d) {
    if (t.size(d) == 1) continue;
    if (t.stride(d) != expected) return false;
    expected *= t.size(d);
  }
  return true;
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
  using Out = std::conditional_t<R::kSum && !std::is_floating_point_v<T>, std::int64_t, T>;
  const ReductionLayout layout = reduction_layout(x, out);
  const std::int64_t ndim = layout.x.dim(), count = layout.count;
  Out* result = out.data_ptr<Out>();
  const T* base = static_cast<const T*>(x.raw_data());
  auto store = [&](std::int64_t o, Acc acc) {
    result[o] = static_cast<Out>(R::finish(acc, count));
  };

  if (dense_dims(layout.x, layout.kept, ndim)) {
    // Each output reads `count` consecutive values.
    const std::vector<std::int64_t> starts = offsets_of(layout.x, 0, layout.kept);
    if (layout.outputs == 1) {
      // One output (a full reduction): the threads take parts of it, merged in order.
      const std::int64_t parts =
          std::clamp<std::int64_t>(count / kParallelGrain, 1, omp_get_max_threads());
      std::vector<Acc> partial(static_cast<std::size_t>(parts), R::init());
      parallel_for(0, parts, 1, [&](std::int64_t begin, std::int64_t end) {
        for (std::int64_t p = begin; p < end; ++p) {
          const std::int64_t first = count * p / parts, last = count * (p + 1) / parts;
          partial[p] = R::dense(base + starts[0] + first, last - first);
        }
      });
      store(0, std::accumulate(partial.begin() + 1, partial.end(), partial[0], R::merge));
      return;
    }
    const std::int64_t grain =
        std::max<std::int64_t>(1, kParallelGrain / std::max<std::int64_t>(count, 1));
    parallel_for(0, layout.outputs, grain, [&](std::int64_t begin, std::int64_t end) {
      for (std::int64_t o = begin; o < end; ++o) store(o, R::dense(base + starts[o], count));
    });
    return;
  }
  const std::vector<std::int64_t> reduced = offsets_of(layout.x, layout.kept, ndim);
  if (dense_dims(layout.x, 0, layout.kept)) {
    // The kept dims are dense (e.g. summing [N, C] over N): accumulate whole rows at once.
    parallel_for(0, layout.outputs, 1024, [&](std::int64_t begin, std::int64_t end) {
      std::vector<Acc> acc(static_cast<std::size_t>(end - begin), R::init());
      for (auto offset : reduced) {
        const T* row = base + offset + begin;
        for (std::int64_t o = 0; o < end - begin; ++o) acc[o] = R::combine(acc[o], row[o]);
      }
      for (std::int64_t o = begin; o < end; ++o) store(o, acc[o - begin]);
    });
    return;
  }
  // Anything else: gather each output's values through the offset tables.
  const std::vector<std::int64_t> starts = offsets_of(layout.x, 0, layout.kept);
  parallel_for(0, layout.outputs, 64, [&](std::int64_t begin, std::int64_t end) {
    for (std::int64_t o = begin; o < end; ++o) {
      Acc acc = R::init();
      for (auto offset : reduced) acc = R::combine(acc, base[starts[o] + offset]);
      store(o, acc);
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
                         if (std::isnan(best_value)) {
                           better = false;  // the first NaN wins, as in PyTorch
                         } else if (std::isnan(v)) {
                           better = true;
                         }
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
