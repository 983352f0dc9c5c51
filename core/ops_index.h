#pragma once

#include <cstdint>
#include <vector>

#include "core/tensor.h"

// Joining and indexing. Raw versions: autograd/ops.h has the differentiable ones.
namespace mg::native {

// Joins tensors of one dtype and device along `dim`; their other sizes must match.
Tensor cat(const std::vector<Tensor>& tensors, std::int64_t dim);
// Rows of x along `dim` picked by a 1-d int64 `index`.
Tensor index_select(const Tensor& x, std::int64_t dim, const Tensor& index);
// x with src's slices added at the positions `index` names along `dim` (repeats accumulate).
Tensor index_add(const Tensor& x, std::int64_t dim, const Tensor& index, const Tensor& src);
// out[i][j] = x[i][index[i][j]] for dim 1; index has x's rank and no larger sizes outside dim.
Tensor gather(const Tensor& x, std::int64_t dim, const Tensor& index);
// x with out[i][index[i][j]] += src[i][j] for dim 1 (repeats accumulate).
Tensor scatter_add(const Tensor& x, std::int64_t dim, const Tensor& index, const Tensor& src);

}  // namespace mg::native
