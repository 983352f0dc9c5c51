#pragma once

#include "core/tensor.h"

namespace mg::native {

// a [..., M, K] · b [..., K, N] with the batch dims broadcast; both at least 2-d, same
// floating-point dtype. (autograd/ops.h's matmul also takes 1-d operands.)
Tensor matmul(const Tensor& a, const Tensor& b);

}  // namespace mg::native
