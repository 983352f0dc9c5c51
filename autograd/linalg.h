#pragma once

#include "core/tensor.h"

namespace mg {

// Matrix product with NumPy's rules: 1-d operands are promoted to a row (left) or a column
// (right) vector and the added dim is removed from the result; batch dims broadcast.
Tensor matmul(const Tensor& a, const Tensor& b);
// 2-d × 2-d.
Tensor mm(const Tensor& a, const Tensor& b);
// [B, M, K] × [B, K, N].
Tensor bmm(const Tensor& a, const Tensor& b);
// x · weightᵀ + bias, as torch.nn.functional.linear; bias may be undefined.
Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias = {});

}  // namespace mg
