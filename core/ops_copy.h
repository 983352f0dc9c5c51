#pragma once

#include "core/tensor.h"

// Copies, conversions and fills. Raw versions: autograd/ops.h has the differentiable ones.
namespace mg::native {

// x itself when already contiguous, else a contiguous copy.
Tensor contiguous(const Tensor& x);
// A contiguous copy with its own storage.
Tensor clone(const Tensor& x);
// x itself when it already has `dtype`, else a converted copy.
Tensor to(const Tensor& x, DType dtype);
// x itself when already on `device`, else a copy there.
Tensor to(const Tensor& x, Device device);

// In place; each bumps the tensor's version. copy_ broadcasts src to dst's shape and converts
// its dtype.
void copy_(const Tensor& dst, const Tensor& src);
void fill_(const Tensor& dst, double value);
void zero_(const Tensor& dst);

}  // namespace mg::native
