#pragma once

#include <cstdint>

#include "core/tensor.h"

// Views: new tensors on the same storage, no copy. These are the raw versions, which record no
// autograd history; autograd/ops.h has the differentiable ones under the same names in mg::.
namespace mg::native {

// Same elements, new shape (one entry may be -1); the strides must allow it without a copy.
Tensor view(const Tensor& x, const Shape& shape);
// view() when the strides allow it, else a contiguous copy.
Tensor reshape(const Tensor& x, const Shape& shape);
Tensor flatten(const Tensor& x, std::int64_t start_dim = 0, std::int64_t end_dim = -1);
Tensor permute(const Tensor& x, const Shape& dims);
Tensor transpose(const Tensor& x, std::int64_t dim0, std::int64_t dim1);
// Elements start .. start + length - 1 along `dim`.
Tensor narrow(const Tensor& x, std::int64_t dim, std::int64_t start, std::int64_t length);
// Python's x[:, ..., start:end:step] along one dim; negative and out-of-range bounds are clamped.
Tensor slice(const Tensor& x, std::int64_t dim, std::int64_t start, std::int64_t end,
             std::int64_t step = 1);
// x[..., index, ...]: drops `dim`.
Tensor select(const Tensor& x, std::int64_t dim, std::int64_t index);
// Broadcasts size-1 dims (and new leading dims) to `shape` with stride 0; -1 keeps a size.
Tensor expand(const Tensor& x, const Shape& shape);
// Drops every size-1 dim, or only `dim` when it has size 1.
Tensor squeeze(const Tensor& x);
Tensor squeeze(const Tensor& x, std::int64_t dim);
Tensor unsqueeze(const Tensor& x, std::int64_t dim);
// x's storage seen through any shape, strides and offset (in elements): the primitive behind
// every view. The caller guarantees that the elements it reaches lie inside the storage.
Tensor as_strided(const Tensor& x, const Shape& shape, const Shape& strides, std::int64_t offset);
// The shape `shape` with its -1 entry (if any) inferred from `numel`; `op` names the caller.
Shape infer_shape(const Shape& shape, std::int64_t numel, const char* op);

}  // namespace mg::native
