// Indexing kernels: gather and scatter_add, with index_select and index_add as their special
// case of a 1-d index laid along `dim` and broadcast over the other dims (stride 0), as on the
// CPU. One thread per position of the index; scatter_add accumulates with atomicAdd, so repeated
// indices sum in an unspecified order (float results may differ from the CPU's in the last bits).

#include <cstdint>

#include "core/cuda/check.cuh"
#include "core/cuda/context.cuh"
#include "core/cuda/cuda_backend.cuh"
#include "core/cuda/launch.cuh"
#include "core/error.h"

namespace mg::cuda {

namespace {

// The positions p of an index-shaped walk and three tensors addressed at them (strides in
// elements): `indexed` with its `dim` coordinate replaced by index[p] (its stride along dim is
// 0 here; `step` is the real one), `direct` at p, and the index at p.
struct IndexGeometry {
  int ndim = 0;
  std::int64_t sizes[kMaxDims] = {};
  std::int64_t indexed[kMaxDims] = {};
  std::int64_t direct[kMaxDims] = {};
  std::int64_t index[kMaxDims] = {};
  std::int64_t step = 0;

  struct Offsets {
    std::int64_t indexed, direct, index;
  };
  __device__ Offsets offsets(std::int64_t linear) const {
    Offsets o{0, 0, 0};
    for (int d = ndim - 1; d >= 0; --d) {
      const std::int64_t c = linear % sizes[d];
      linear /= sizes[d];
      o.indexed += c * indexed[d];
      o.direct += c * direct[d];
      o.index += c * index[d];
    }
    return o;
  }
};

// `shape`: the walk; `index_strides`: the index's strides along it.
IndexGeometry make_geometry(const char* op, const Shape& shape, const Tensor& indexed,
                            const Tensor& direct, const Shape& index_strides, std::int64_t dim) {
  MG_CHECK(static_cast<int>(shape.size()) <= kMaxDims, op, ": CUDA kernels take at most ", kMaxDims,
           " dims, got ", describe(indexed));
  IndexGeometry g;
  g.ndim = static_cast<int>(shape.size());
  for (int d = 0; d < g.ndim; ++d) {
    g.sizes[d] = shape[d];
    g.indexed[d] = d == dim ? 0 : indexed.stride(d);
    g.direct[d] = direct.stride(d);
    g.index[d] = index_strides[d];
  }
  g.step = indexed.stride(dim);
  return g;
}

// A 0-d or 1-d index along `dim` of an `ndim`-dim walk: index_select and index_add.
Shape strides_along(const Tensor& index, std::int64_t dim, std::int64_t ndim) {
  Shape strides(static_cast<std::size_t>(ndim), 0);
  strides[dim] = index.dim() == 1 ? index.stride(0) : 0;
  return strides;
}

template <typename T>
__global__ void gather_kernel(const T* x, const std::int64_t* index, T* out, IndexGeometry g,
                              std::int64_t n) {
  for (std::int64_t i = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<std::int64_t>(blockDim.x) * gridDim.x) {
    const IndexGeometry::Offsets o = g.offsets(i);
    out[o.direct] = x[o.indexed + index[o.index] * g.step];
  }
}

__device__ void atomic_add(float* address, float value) {
  atomicAdd(address, value);
}
__device__ void atomic_add(double* address, double value) {
  atomicAdd(address, value);
}
// Two's complement: an unsigned add wraps to the signed sum.
__device__ void atomic_add(std::int64_t* address, std::int64_t value) {
  atomicAdd(reinterpret_cast<unsigned long long*>(address), static_cast<unsigned long long>(value));
}
// No byte atomics: compare-and-swap the aligned word that holds the byte (allocations are
// rounded up to whole words, so the word is always inside the block).
__device__ void atomic_add(std::uint8_t* address, std::uint8_t value) {
  const auto where = reinterpret_cast<std::uintptr_t>(address);
  auto* word = reinterpret_cast<unsigned int*>(where & ~std::uintptr_t{3});
  const unsigned int shift = static_cast<unsigned int>(where & 3) * 8;
  unsigned int old = *word, assumed;
  do {
    assumed = old;
    const unsigned int sum = ((assumed >> shift) + value) & 0xffu;
    old = atomicCAS(word, assumed, (assumed & ~(0xffu << shift)) | (sum << shift));
  } while (assumed != old);
}

template <typename T>
__global__ void scatter_add_kernel(T* out, const std::int64_t* index, const T* src, IndexGeometry g,
                                   std::int64_t n) {
  for (std::int64_t i = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<std::int64_t>(blockDim.x) * gridDim.x) {
    const IndexGeometry::Offsets o = g.offsets(i);
    atomic_add(out + o.indexed + index[o.index] * g.step, src[o.direct]);
  }
}

// out[p] = x[p with dim := index[p]] over the walk `shape`.
void launch_gather(const char* op, const Tensor& x, std::int64_t dim, const Tensor& index,
                   const Shape& index_strides, const Tensor& out) {
  const std::int64_t n = out.numel();
  if (n == 0) return;
  DeviceGuard guard(x.device());
  const IndexGeometry g = make_geometry(op, out.shape(), x, out, index_strides, dim);
  const auto* k = static_cast<const std::int64_t*>(index.raw_data());
  visit_dtype(x.dtype(), [&](auto zero) {
    using T = decltype(zero);
    gather_kernel<T><<<blocks_for(n), kThreadsPerBlock, 0, stream(x.device().index)>>>(
        static_cast<const T*>(x.raw_data()), k, static_cast<T*>(out.raw_data()), g, n);
  });
  check_launch(op);
}

// out[p with dim := index[p]] += src[p] over the walk src.shape() (restricted to the index's
// shape for scatter_add).
void launch_scatter_add(const char* op, const Tensor& out, std::int64_t dim, const Tensor& index,
                        const Shape& walk, const Shape& index_strides, const Tensor& src) {
  const std::int64_t n = numel(walk);
  if (n == 0) return;
  DeviceGuard guard(out.device());
  const IndexGeometry g = make_geometry(op, walk, out, src, index_strides, dim);
  const auto* k = static_cast<const std::int64_t*>(index.raw_data());
  visit_numeric(out.dtype(), op, [&](auto zero) {
    using T = decltype(zero);
    scatter_add_kernel<T><<<blocks_for(n), kThreadsPerBlock, 0, stream(out.device().index)>>>(
        static_cast<T*>(out.raw_data()), k, static_cast<const T*>(src.raw_data()), g, n);
  });
  check_launch(op);
}

}  // namespace

void CudaBackend::index_select(const Tensor& x, std::int64_t dim, const Tensor& index,
                               const Tensor& out) {
  launch_gather("index_select", x, dim, index, strides_along(index, dim, out.dim()), out);
}

void CudaBackend::index_add(const Tensor& out, std::int64_t dim, const Tensor& index,
                            const Tensor& src) {
  launch_scatter_add("index_add", out, dim, index, src.shape(),
                     strides_along(index, dim, src.dim()), src);
}

void CudaBackend::gather(const Tensor& x, std::int64_t dim, const Tensor& index,
                         const Tensor& out) {
  launch_gather("gather", x, dim, index, index.strides(), out);
}

void CudaBackend::scatter_add(const Tensor& out, std::int64_t dim, const Tensor& index,
                              const Tensor& src) {
  launch_scatter_add("scatter_add", out, dim, index, index.shape(), index.strides(), src);
}

}  // namespace mg::cuda
