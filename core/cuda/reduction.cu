// Reductions. x is viewed as [outputs, count]: the kept dims (in order, matching the contiguous
// output) then the reduced dims, each part addressed through its own StridedIndexer. Each
// output is reduced by `parts` blocks with a shared-memory tree; when parts > 1 a second kernel
// merges the per-block partials in order. As on the CPU (core/cpu/reduction.cpp), floating-point
// values accumulate in double and integer sums in int64, and NaN wins in Max and Min.

#include <cuda_runtime.h>

#include <algorithm>
#include <limits>
#include <type_traits>

#include "core/creation.h"
#include "core/cuda/check.cuh"
#include "core/cuda/context.cuh"
#include "core/cuda/cuda_backend.cuh"
#include "core/cuda/launch.cuh"
#include "core/error.h"

namespace mg::cuda {

namespace {

template <typename T, ReduceOp Op>
struct Reducer {
  static constexpr bool kSum = Op == ReduceOp::Sum || Op == ReduceOp::Mean;
  using Acc = std::conditional_t<std::is_floating_point_v<T>, double,
                                 std::conditional_t<kSum, std::int64_t, T>>;
  using Out = std::conditional_t<kSum && !std::is_floating_point_v<T>, std::int64_t, T>;

  __device__ static Acc init() {
    if constexpr (kSum) {
      return Acc(0);
    } else if constexpr (std::is_floating_point_v<Acc>) {
      return Op == ReduceOp::Max ? -std::numeric_limits<Acc>::infinity()
                                 : std::numeric_limits<Acc>::infinity();
    } else {
      return Op == ReduceOp::Max ? std::numeric_limits<Acc>::lowest()
                                 : std::numeric_limits<Acc>::max();
    }
  }

  // Combines two partial results; order-independent except for which NaN wins.
  __device__ static Acc combine(Acc acc, Acc value) {
    if constexpr (kSum) {
      return acc + value;
    } else {
      const bool better = Op == ReduceOp::Max ? value > acc : value < acc;
      return better || value != value ? value : acc;
    }
  }
};

// Splits [outputs, count] into outputs × parts blocks. Part p of output o reduces the reduced
// indices [count·p/parts, count·(p+1)/parts); with one part the block writes the result,
// otherwise its partial.
template <typename T, ReduceOp Op>
__global__ void reduce_kernel(const T* x, StridedIndexer kept, StridedIndexer reduced,
                              std::int64_t outputs, std::int64_t count, std::int64_t parts,
                              typename Reducer<T, Op>::Out* out,
                              typename Reducer<T, Op>::Acc* partials) {
  using R = Reducer<T, Op>;
  using Acc = typename R::Acc;
  __shared__ Acc shared[kThreadsPerBlock];
  for (std::int64_t job = blockIdx.x; job < outputs * parts; job += gridDim.x) {
    const std::int64_t o = job / parts, p = job % parts;
    const std::int64_t first = count * p / parts, last = count * (p + 1) / parts;
    const std::int64_t base = kept.offset(o);
    Acc acc = R::init();
    for (std::int64_t r = first + threadIdx.x; r < last; r += blockDim.x) {
      acc = R::combine(acc, static_cast<Acc>(x[base + reduced.offset(r)]));
    }
    shared[threadIdx.x] = acc;
    __syncthreads();
    for (int width = blockDim.x / 2; width > 0; width /= 2) {
      if (threadIdx.x < width) {
        shared[threadIdx.x] = R::combine(shared[threadIdx.x], shared[threadIdx.x + width]);
      }
      __syncthreads();
    }
    if (threadIdx.x == 0) {
      if (parts == 1) {
        Acc result = shared[0];
        if constexpr (Op == ReduceOp::Mean) result /= static_cast<Acc>(count);
        out[o] = static_cast<typename R::Out>(result);
      } else {
        partials[job] = shared[0];
      }
    }
    __syncthreads();  // `shared` is reused by the next job
  }
}

template <typename T, ReduceOp Op>
__global__ void merge_partials_kernel(const typename Reducer<T, Op>::Acc* partials,
                                      std::int64_t outputs, std::int64_t count, std::int64_t parts,
                                      typename Reducer<T, Op>::Out* out) {
  using R = Reducer<T, Op>;
  for (std::int64_t o = blockIdx.x * std::int64_t(blockDim.x) + threadIdx.x; o < outputs;
       o += std::int64_t(gridDim.x) * blockDim.x) {
    typename R::Acc acc = R::init();
    for (std::int64_t p = 0; p < parts; ++p) acc = R::combine(acc, partials[o * parts + p]);
    if constexpr (Op == ReduceOp::Mean) acc /= static_cast<typename R::Acc>(count);
    out[o] = static_cast<typename R::Out>(acc);
  }
}

// An indexer over the given dims of x, row-major; "contiguous" when they are laid out densely
// with unit innermost stride, so that offset() skips the divisions.
StridedIndexer sub_indexer(const Tensor& x, const Shape& dims, const char* op) {
  MG_CHECK(static_cast<int>(dims.size()) <= kMaxDims, op, ": CUDA kernels take at most ", kMaxDims,
           " dims, got ", describe(x));
  StridedIndexer indexer;
  indexer.ndim = static_cast<int>(dims.size());
  std::int64_t expected = 1;
  bool dense = true;
  for (int k = indexer.ndim - 1; k >= 0; --k) {
    const auto d = dims[static_cast<std::size_t>(k)];
    indexer.sizes[k] = x.size(d);
    indexer.strides[k] = x.stride(d);
    if (x.size(d) == 1) continue;
    dense &= x.stride(d) == expected;
    expected *= x.size(d);
  }
  indexer.contiguous = dense;
  return indexer;
}

template <typename T, ReduceOp Op>
void reduce_typed(const Tensor& x, const Tensor& out) {
  using R = Reducer<T, Op>;
  using Acc = typename R::Acc;
  Shape kept_dims, reduced_dims;
  for (std::int64_t d = 0; d < x.dim(); ++d) {
    (out.size(d) == 1 && x.size(d) != 1 ? reduced_dims : kept_dims).push_back(d);
  }
  const std::int64_t outputs = out.numel();
  std::int64_t count = 1;
  for (auto d : reduced_dims) count *= x.size(d);
  const StridedIndexer kept = sub_indexer(x, kept_dims, "reduce");
  const StridedIndexer reduced = sub_indexer(x, reduced_dims, "reduce");
  // Enough blocks to fill the GPU when there are few outputs, each reading at least ~16K values.
  constexpr std::int64_t kTargetBlocks = 1024, kValuesPerBlock = 16384;
  const std::int64_t parts = std::clamp<std::int64_t>(
      std::min(count / kValuesPerBlock, kTargetBlocks / std::max<std::int64_t>(outputs, 1)), 1,
      kTargetBlocks);
  const int device = x.device().index;
  auto* result = static_cast<typename R::Out*>(out.raw_data());
  const auto* data = static_cast<const T*>(x.raw_data());
  const auto grid = static_cast<unsigned int>(std::min<std::int64_t>(outputs * parts, 65535));
  if (parts == 1) {
    reduce_kernel<T, Op><<<grid, kThreadsPerBlock, 0, stream(device)>>>(
        data, kept, reduced, outputs, count, 1, result, nullptr);
    check_launch("reduce");
    return;
  }
  Tensor scratch = empty({outputs * parts * static_cast<std::int64_t>(sizeof(Acc))},
                         TensorOptions(kUInt8).device(x.device()));
  auto* partials = static_cast<Acc*>(scratch.raw_data());
  reduce_kernel<T, Op><<<grid, kThreadsPerBlock, 0, stream(device)>>>(
      data, kept, reduced, outputs, count, parts, result, partials);
  check_launch("reduce");
  merge_partials_kernel<T, Op><<<blocks_for(outputs), kThreadsPerBlock, 0, stream(device)>>>(
      partials, outputs, count, parts, result);
  check_launch("reduce");
}

template <ReduceOp Op>
void reduce_dispatch(const Tensor& x, const Tensor& out) {
  visit_dtype(x.dtype(), [&](auto zero) {
    using T = decltype(zero);
    if constexpr (std::is_same_v<T, bool>) {
      if constexpr (Op == ReduceOp::Sum) {
        return reduce_typed<std::uint8_t, Op>(x, out);
      }
    } else if constexpr (Op != ReduceOp::Mean || std::is_floating_point_v<T>) {
      return reduce_typed<T, Op>(x, out);
    }
    throw Error(str("reduce: not defined for ", describe(x), " on CUDA"));
  });
}

// One arg-reduction candidate. The order is total (the smaller index wins ties, the first NaN
// beats everything), so the tree may combine candidates in any order and still return the first
// maximum or minimum, as the CPU's sequential scan does.
template <typename T>
struct Candidate {
  T value;
  std::int64_t index;  // -1: none yet
};

template <typename T, bool Max>
__device__ Candidate<T> better_of(Candidate<T> a, Candidate<T> b) {
  if (a.index < 0) return b;
  if (b.index < 0) return a;
  if constexpr (std::is_floating_point_v<T>) {
    const bool a_nan = isnan(a.value), b_nan = isnan(b.value);
    if (a_nan || b_nan) {
      if (a_nan && b_nan) return a.index < b.index ? a : b;
      return a_nan ? a : b;
    }
  }
  const bool a_wins = Max ? a.value > b.value : a.value < b.value;
  const bool b_wins = Max ? b.value > a.value : b.value < a.value;
  if (a_wins) return a;
  if (b_wins) return b;
  return a.index < b.index ? a : b;
}

// One block per output line of `length` values `stride` apart.
template <typename T, bool Max>
__global__ void arg_reduce_kernel(const T* x, StridedIndexer lines, std::int64_t outputs,
                                  std::int64_t length, std::int64_t stride, std::int64_t* out) {
  __shared__ T values[kThreadsPerBlock];
  __shared__ std::int64_t indices[kThreadsPerBlock];
  for (std::int64_t o = blockIdx.x; o < outputs; o += gridDim.x) {
    const T* line = x + lines.offset(o);
    Candidate<T> best{T{}, -1};
    for (std::int64_t i = threadIdx.x; i < length; i += blockDim.x) {
      best = better_of<T, Max>(best, Candidate<T>{line[i * stride], i});
    }
    values[threadIdx.x] = best.value;
    indices[threadIdx.x] = best.index;
    __syncthreads();
    for (int width = blockDim.x / 2; width > 0; width /= 2) {
      if (threadIdx.x < width) {
        const Candidate<T> merged = better_of<T, Max>(
            Candidate<T>{values[threadIdx.x], indices[threadIdx.x]},
            Candidate<T>{values[threadIdx.x + width], indices[threadIdx.x + width]});
        values[threadIdx.x] = merged.value;
        indices[threadIdx.x] = merged.index;
      }
      __syncthreads();
    }
    if (threadIdx.x == 0) out[o] = indices[0];
    __syncthreads();
  }
}

}  // namespace

void CudaBackend::reduce(ReduceOp op, const Tensor& x, const Tensor& out) {
  if (out.numel() == 0) return;
  DeviceGuard guard(x.device());
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

void CudaBackend::arg_reduce(ReduceOp op, const Tensor& x, std::int64_t dim, const Tensor& out) {
  const std::int64_t outputs = out.numel();
  if (outputs == 0) return;
  DeviceGuard guard(x.device());
  Shape line_dims;
  for (std::int64_t d = 0; d < x.dim(); ++d) {
    if (d != dim) line_dims.push_back(d);
  }
  const StridedIndexer lines = sub_indexer(x, line_dims, "arg_reduce");
  const std::int64_t length = x.size(dim), stride = x.stride(dim);
  const auto grid = static_cast<unsigned int>(std::min<std::int64_t>(outputs, 65535));
  cudaStream_t s = stream(x.device().index);
  auto* result = static_cast<std::int64_t*>(out.raw_data());
  visit_dtype(x.dtype(), [&](auto zero) {
    using T = decltype(zero);
    const auto* data = static_cast<const T*>(x.raw_data());
    if (op == ReduceOp::Max) {
      arg_reduce_kernel<T, true>
          <<<grid, kThreadsPerBlock, 0, s>>>(data, lines, outputs, length, stride, result);
    } else {
      arg_reduce_kernel<T, false>
          <<<grid, kThreadsPerBlock, 0, s>>>(data, lines, outputs, length, stride, result);
    }
  });
  check_launch("arg_reduce");
}

}  // namespace mg::cuda
