#pragma once

#include <cstdint>
#include <vector>

#include "core/tensor.h"

// Joining and indexing, with PyTorch's semantics. Raw versions: autograd/ops.h has the
// differentiable ones. Indices are int64 and must lie in [0, size) (negative indices are an
// error, as in PyTorch). Deviation from PyTorch: x must have at least one dim (PyTorch also
// accepts 0-d tensors, as if they were 1-d of size 1).
namespace mg::native {

// Joins tensors of one dtype, device and rank along `dim`; their other sizes must match.
Tensor cat(const std::vector<Tensor>& tensors, std::int64_t dim);
// The slices of x along `dim` picked by a 1-d (or 0-d) `index`, in its order.
Tensor index_select(const Tensor& x, std::int64_t dim, const Tensor& index);
// x with src's slices added at the positions `index` (1-d) names along `dim`: src has x's shape
// except src.size(dim) == index.numel(). Repeated indices accumulate.
Tensor index_add(const Tensor& x, std::int64_t dim, const Tensor& index, const Tensor& src);
// out[i][j] = x[i][index[i][j]] for dim 1; index has x's rank and no larger sizes outside `dim`;
// out has index's shape.
Tensor gather(const Tensor& x, std::int64_t dim, const Tensor& index);
// x with out[i][index[i][j]] += src[i][j] for dim 1 (repeats accumulate), for every position of
// `index`; index has x's rank, no larger sizes than src and none larger than x outside `dim`.
Tensor scatter_add(const Tensor& x, std::int64_t dim, const Tensor& index, const Tensor& src);

// In place: the same as index_add and scatter_add, accumulated into `self` (bumps its version).
// self must not be a broadcast view (several positions on one element); a source that shares
// storage with self is read as it was before the op (PyTorch raises instead).
void index_add_(const Tensor& self, std::int64_t dim, const Tensor& index, const Tensor& src);
void scatter_add_(const Tensor& self, std::int64_t dim, const Tensor& index, const Tensor& src);

// Throws unless `index` is int64 and every entry lies in [0, x.size(dim)); the message names
// `op`, the offending entry and x. For callers that index through another op (embedding).
void check_index_range(const char* op, const Tensor& index, const Tensor& x, std::int64_t dim);

}  // namespace mg::native
