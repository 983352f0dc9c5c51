#include "core/cpu/cpu_backend.h"
#include "core/cpu/loops.h"

namespace mg::cpu {

namespace {

// x's elements seen through another shape and strides from the same first element. Lines up x
// with the positions of an index tensor: a stride of 0 along `dim` leaves the index to choose
// the element there.
Tensor restrided(const Tensor& x, Shape shape, Shape strides) {
  return Tensor(std::make_shared<TensorImpl>(x.storage(), std::move(shape), std::move(strides),
                                             x.storage_offset(), x.dtype(), true));
}

Shape without(const Shape& values, std::int64_t dim) {
  Shape out = values;
  out.erase(out.begin() + dim);
  return out;
}

// A 0-d or 1-d index laid along `dim` of `shape`, broadcast over the other dims: index_select
// and index_add then become gather and scatter_add.
Tensor index_along(const Tensor& index, std::int64_t dim, const Shape& shape) {
  Shape strides(shape.size(), 0);
  strides[dim] = index.dim() == 1 ? index.stride(0) : 0;
  return restrided(index, shape, strides);
}

// out[p] = x[p with its `dim` coordinate replaced by index[p]], for every position p of index.
// Outputs are independent, so every element may go to any thread.
template <typename T>
void gather_typed(const Tensor& x, std::int64_t dim, const Tensor& index, const Tensor& out) {
  Shape strides = x.strides();
  strides[dim] = 0;
  const Tensor base = restrided(x, index.shape(), strides);
  const std::int64_t step = x.stride(dim) * static_cast<std::int64_t>(sizeof(T));
  StridedLoop<3> loop({&out, &base, &index});
  loop.run([&](char* const* p, std::int64_t n, const std::int64_t* s) {
    for (std::int64_t i = 0; i < n; ++i) {
      const std::int64_t k = *reinterpret_cast<const std::int64_t*>(p[2] + i * s[2]);
      *reinterpret_cast<T*>(p[0] + i * s[0]) =
          *reinterpret_cast<const T*>(p[1] + i * s[1] + k * step);
    }
  });
}

// out[p with its `dim` coordinate replaced by index[p]] += src[p], for every position p of
// index. Positions that differ outside `dim` write to different elements of out; positions that
// differ only along `dim` may collide. So the loop runs in parallel over the other dims and, for
// each of their positions, walks `dim` in order on one thread: repeated indices accumulate in the
// same order whatever the number of threads.
template <typename T>
void scatter_add_typed(const Tensor& out, std::int64_t dim, const Tensor& index,
                       const Tensor& src) {
  const std::int64_t length = index.size(dim);
  const Shape outer = without(index.shape(), dim);
  const Tensor out_rows = restrided(out, outer, without(out.strides(), dim));
  const Tensor index_rows = restrided(index, outer, without(index.strides(), dim));
  const Tensor src_rows = restrided(src, outer, without(src.strides(), dim));
  const std::int64_t out_step = out.stride(dim) * static_cast<std::int64_t>(sizeof(T));
  const std::int64_t index_step =
      index.stride(dim) * static_cast<std::int64_t>(sizeof(std::int64_t));
  const std::int64_t src_step = src.stride(dim) * static_cast<std::int64_t>(sizeof(T));
  StridedLoop<3> loop({&out_rows, &index_rows, &src_rows});
  const std::int64_t grain = std::max<std::int64_t>(1, kParallelGrain / length);
  loop.run(
      [&](char* const* p, std::int64_t n, const std::int64_t* s) {
        for (std::int64_t j = 0; j < length; ++j) {
          const char* index_j = p[1] + j * index_step;
          const char* src_j = p[2] + j * src_step;
          for (std::int64_t i = 0; i < n; ++i) {
            const std::int64_t k = *reinterpret_cast<const std::int64_t*>(index_j + i * s[1]);
            *reinterpret_cast<T*>(p[0] + i * s[0] + k * out_step) +=
                *reinterpret_cast<const T*>(src_j + i * s[2]);
          }
        }
      },
      grain);
}

}  // namespace

void CpuBackend::index_select(const Tensor& x, std::int64_t dim, const Tensor& index,
                              const Tensor& out) {
  gather(x, dim, index_along(index, dim, out.shape()), out);
}

void CpuBackend::index_add(const Tensor& out, std::int64_t dim, const Tensor& index,
                           const Tensor& src) {
  scatter_add(out, dim, index_along(index, dim, src.shape()), src);
}

void CpuBackend::gather(const Tensor& x, std::int64_t dim, const Tensor& index, const Tensor& out) {
  if (out.numel() == 0) return;
  visit_dtype(x.dtype(), [&](auto zero) { gather_typed<decltype(zero)>(x, dim, index, out); });
}

void CpuBackend::scatter_add(const Tensor& out, std::int64_t dim, const Tensor& index,
                             const Tensor& src) {
  if (index.numel() == 0) return;
  visit_numeric(out.dtype(), "scatter_add",
                [&](auto zero) { scatter_add_typed<decltype(zero)>(out, dim, index, src); });
}

}  // namespace mg::cpu
