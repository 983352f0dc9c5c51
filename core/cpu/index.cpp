#include <algorithm>
#include <cstdlib>

#include "core/cpu/cpu_backend.h"
#include "core/cpu/loops.h"
#include "core/ops_view.h"

namespace mg::cpu {

namespace {

// x's elements seen through another shape and strides from the same first element. Lines up x
// with the positions of an index tensor: a stride of 0 along `dim` leaves the index to choose
// the element there.
Tensor restrided(const Tensor& x, const Shape& shape, const Shape& strides) {
  return native::as_strided(x, shape, strides, x.storage_offset());
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

// Byte strides of a StridedLoop run in elements of T.
template <typename T>
std::int64_t elements(std::int64_t bytes) {
  return bytes / static_cast<std::int64_t>(sizeof(T));
}

// out[p] = x[p with its `dim` coordinate replaced by index[p]], for every position p of index.
// Outputs are independent, so every element may go to any thread.
template <typename T>
void gather_typed(const Tensor& x, std::int64_t dim, const Tensor& index, const Tensor& out) {
  Shape strides = x.strides();
  strides[dim] = 0;
  const Tensor base = restrided(x, index.shape(), strides);
  const std::int64_t step = x.stride(dim);
  StridedLoop<3> loop({&out, &base, &index});
  loop.run([&](char* const* p, std::int64_t n, const std::int64_t* s) {
    T* o = reinterpret_cast<T*>(p[0]);
    const T* b = reinterpret_cast<const T*>(p[1]);
    const auto* k = reinterpret_cast<const std::int64_t*>(p[2]);
    const std::int64_t so = elements<T>(s[0]), sb = elements<T>(s[1]);
    const std::int64_t sk = elements<std::int64_t>(s[2]);
    if (sk == 0) {  // one index for the whole run (index_select): copy part of a slice
      const T* row = b + k[0] * step;
      if (so == 1 && sb == 1) {
        std::copy(row, row + n, o);
      } else {
        for (std::int64_t i = 0; i < n; ++i) o[i * so] = row[i * sb];
      }
    } else if (so == 1 && sb == 0 && sk == 1) {  // a dense run along `dim`
      for (std::int64_t i = 0; i < n; ++i) o[i] = b[k[i] * step];
    } else {
      for (std::int64_t i = 0; i < n; ++i) o[i * so] = b[i * sb + k[i * sk] * step];
    }
  });
}

// out[p with its `dim` coordinate replaced by index[p]] += src[p], for every position p of
// index. Positions that differ outside `dim` write to different elements of out; positions that
// differ only along `dim` may collide. So the loop runs in parallel over the other dims and
// walks `dim` on one thread, in increasing order for every element of out: repeated indices
// accumulate in the same order whatever the number of threads.
template <typename T>
void scatter_add_typed(const Tensor& out, std::int64_t dim, const Tensor& index,
                       const Tensor& src) {
  const std::int64_t length = index.size(dim);
  const Shape outer = without(index.shape(), dim);
  const Tensor out_rows = restrided(out, outer, without(out.strides(), dim));
  const Tensor index_rows = restrided(index, outer, without(index.strides(), dim));
  const Tensor src_rows = restrided(src, outer, without(src.strides(), dim));
  const std::int64_t out_step = out.stride(dim);
  const std::int64_t index_step = index.stride(dim);
  const std::int64_t src_step = src.stride(dim);
  StridedLoop<3> loop({&out_rows, &index_rows, &src_rows});
  loop.run(
      [&](char* const* p, std::int64_t n, const std::int64_t* s) {
        T* o = reinterpret_cast<T*>(p[0]);
        const auto* k = reinterpret_cast<const std::int64_t*>(p[1]);
        const T* v = reinterpret_cast<const T*>(p[2]);
        const std::int64_t so = elements<T>(s[0]), sv = elements<T>(s[2]);
        const std::int64_t sk = elements<std::int64_t>(s[1]);
        if (sk == 0) {  // one index per step along `dim` (index_add): add whole runs
          for (std::int64_t j = 0; j < length; ++j) {
            T* target = o + k[j * index_step] * out_step;
            const T* from = v + j * src_step;
            if (so == 1 && sv == 1) {
              for (std::int64_t i = 0; i < n; ++i) target[i] += from[i];
            } else {
              for (std::int64_t i = 0; i < n; ++i) target[i * so] += from[i * sv];
            }
          }
        } else if (std::abs(index_step) < std::abs(sk)) {  // `dim` is the denser way through
          for (std::int64_t i = 0; i < n; ++i) {
            T* target = o + i * so;
            const std::int64_t* ki = k + i * sk;
            const T* vi = v + i * sv;
            for (std::int64_t j = 0; j < length; ++j) {
              target[ki[j * index_step] * out_step] += vi[j * src_step];
            }
          }
        } else {
          for (std::int64_t j = 0; j < length; ++j) {
            for (std::int64_t i = 0; i < n; ++i) {
              o[i * so + k[i * sk + j * index_step] * out_step] += v[i * sv + j * src_step];
            }
          }
        }
      },
      std::max<std::int64_t>(1, kParallelGrain / length));
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
