#pragma once

#include <optional>

#include "core/backend.h"
#include "core/tensor.h"

// Elementwise ops with NumPy broadcasting and PyTorch's type promotion. Raw versions that record
// no autograd history: autograd/ops.h has the differentiable ones (add, exp, relu, ...).
namespace mg::native {

Tensor unary(UnaryOp op, const Tensor& x);
// Broadcasts a and b and promotes both to a common dtype; Add and Sub compute a ± alpha·b.
Tensor binary(BinaryOp op, const Tensor& a, const Tensor& b, double alpha = 1);
// A scalar operand takes the tensor's dtype (a float scalar turns an integer tensor into
// float32), as in PyTorch.
Tensor binary(BinaryOp op, const Tensor& a, double b);
// self = self op other, in place: other broadcasts to self's shape and takes its dtype.
void binary_(BinaryOp op, const Tensor& self, const Tensor& other, double alpha = 1);
void binary_(BinaryOp op, const Tensor& self, double other);
// cond ? a : b elementwise; cond is bool.
Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b);
Tensor clamp(const Tensor& x, std::optional<double> low, std::optional<double> high);
void clamp_(const Tensor& x, std::optional<double> low, std::optional<double> high);

}  // namespace mg::native

// Non-differentiable elementwise ops, shared by raw and autograd code.
namespace mg {

Tensor eq(const Tensor& a, const Tensor& b);
Tensor ne(const Tensor& a, const Tensor& b);
Tensor lt(const Tensor& a, const Tensor& b);
Tensor le(const Tensor& a, const Tensor& b);
Tensor gt(const Tensor& a, const Tensor& b);
Tensor ge(const Tensor& a, const Tensor& b);
Tensor eq(const Tensor& a, double b);
Tensor ne(const Tensor& a, double b);
Tensor lt(const Tensor& a, double b);
Tensor le(const Tensor& a, double b);
Tensor gt(const Tensor& a, double b);
Tensor ge(const Tensor& a, double b);
Tensor logical_and(const Tensor& a, const Tensor& b);
Tensor logical_or(const Tensor& a, const Tensor& b);
Tensor logical_not(const Tensor& x);
// True when a and b have the same shape and |a - b| <= atol + rtol·|b| everywhere.
bool allclose(const Tensor& a, const Tensor& b, double rtol = 1e-5, double atol = 1e-8);

}  // namespace mg
