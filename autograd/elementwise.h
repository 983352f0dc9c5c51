#pragma once

#include <optional>

#include "core/ops_elementwise.h"
#include "core/tensor.h"

// Differentiable elementwise ops, with NumPy broadcasting and PyTorch's type promotion.
namespace mg {

Tensor add(const Tensor& a, const Tensor& b, double alpha = 1);  // a + alpha·b
Tensor sub(const Tensor& a, const Tensor& b, double alpha = 1);  // a - alpha·b
Tensor mul(const Tensor& a, const Tensor& b);
Tensor div(const Tensor& a, const Tensor& b);
Tensor pow(const Tensor& base, const Tensor& exponent);
Tensor maximum(const Tensor& a, const Tensor& b);  // ties send half the gradient each way
Tensor minimum(const Tensor& a, const Tensor& b);
Tensor add(const Tensor& a, double b);
Tensor sub(const Tensor& a, double b);
Tensor mul(const Tensor& a, double b);
Tensor div(const Tensor& a, double b);
Tensor pow(const Tensor& base, double exponent);

Tensor neg(const Tensor& x);
Tensor exp(const Tensor& x);
Tensor log(const Tensor& x);
Tensor log1p(const Tensor& x);
Tensor sqrt(const Tensor& x);
Tensor rsqrt(const Tensor& x);
Tensor square(const Tensor& x);
Tensor abs(const Tensor& x);
Tensor sign(const Tensor& x);
Tensor relu(const Tensor& x);
Tensor sigmoid(const Tensor& x);
Tensor tanh(const Tensor& x);
enum class GeluApproximate { None, Tanh };  // PyTorch's approximate="none" / "tanh"
Tensor gelu(const Tensor& x, GeluApproximate approximate = GeluApproximate::None);
// Gradient flows where low <= x <= high, as in PyTorch.
Tensor clamp(const Tensor& x, std::optional<double> low, std::optional<double> high);
// cond ? a : b; the gradient goes to the side that was picked.
Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b);

// A converted copy; the gradient converts back.
Tensor to(const Tensor& x, DType dtype);
Tensor to(const Tensor& x, Device device);
Tensor contiguous(const Tensor& x);
Tensor clone(const Tensor& x);
// A CPU tensor in pinned (page-locked) memory, so that copies to a GPU are asynchronous
// (Tensor.pin_memory()): x itself when already pinned, else a contiguous pinned copy. Needs a
// GPU, as in PyTorch; mg::Error otherwise, and for a tensor not on the CPU.
Tensor pin_memory(const Tensor& x);

// In place. Each bumps the version of `self` (so backward catches a saved tensor that changed)
// and, with grad mode on, joins the graph; a leaf that requires gradients cannot be modified
// in place outside a NoGradGuard.
const Tensor& add_(const Tensor& self, const Tensor& other, double alpha = 1);
const Tensor& add_(const Tensor& self, double other);
const Tensor& sub_(const Tensor& self, const Tensor& other, double alpha = 1);
const Tensor& sub_(const Tensor& self, double other);
const Tensor& mul_(const Tensor& self, const Tensor& other);
const Tensor& mul_(const Tensor& self, double other);
const Tensor& div_(const Tensor& self, const Tensor& other);
const Tensor& div_(const Tensor& self, double other);
const Tensor& clamp_(const Tensor& self, std::optional<double> low, std::optional<double> high);
const Tensor& fill_(const Tensor& self, double value);
const Tensor& zero_(const Tensor& self);
// Copies src (broadcast, converted) into self; the gradient flows to src.
const Tensor& copy_(const Tensor& self, const Tensor& src);

Tensor operator+(const Tensor& a, const Tensor& b);
Tensor operator-(const Tensor& a, const Tensor& b);
Tensor operator*(const Tensor& a, const Tensor& b);
Tensor operator/(const Tensor& a, const Tensor& b);
Tensor operator+(const Tensor& a, double b);
Tensor operator-(const Tensor& a, double b);
Tensor operator*(const Tensor& a, double b);
Tensor operator/(const Tensor& a, double b);
Tensor operator+(double a, const Tensor& b);
Tensor operator-(double a, const Tensor& b);
Tensor operator*(double a, const Tensor& b);
Tensor operator/(double a, const Tensor& b);
Tensor operator-(const Tensor& x);
Tensor& operator+=(Tensor& self, const Tensor& other);
Tensor& operator-=(Tensor& self, const Tensor& other);
Tensor& operator*=(Tensor& self, const Tensor& other);
Tensor& operator/=(Tensor& self, const Tensor& other);
Tensor& operator+=(Tensor& self, double other);
Tensor& operator-=(Tensor& self, double other);
Tensor& operator*=(Tensor& self, double other);
Tensor& operator/=(Tensor& self, double other);

}  // namespace mg
