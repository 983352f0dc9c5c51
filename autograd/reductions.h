#pragma once

#include <cstdint>
#include <limits>

#include "core/ops_reduction.h"
#include "core/tensor.h"

// Differentiable reductions. `dims` empty means every dim.
namespace mg {

Tensor sum(const Tensor& x, const Shape& dims = {}, bool keepdim = false);
Tensor mean(const Tensor& x, const Shape& dims = {}, bool keepdim = false);
// Largest / smallest element over `dims` (PyTorch's amax / amin): ties share the gradient
// evenly.
Tensor amax(const Tensor& x, const Shape& dims = {}, bool keepdim = false);
Tensor amin(const Tensor& x, const Shape& dims = {}, bool keepdim = false);
// max(x) over everything, or the values of max along one dim (ties share the gradient).
Tensor max(const Tensor& x);
Tensor max(const Tensor& x, std::int64_t dim, bool keepdim = false);
Tensor min(const Tensor& x);
Tensor min(const Tensor& x, std::int64_t dim, bool keepdim = false);
// Variance with Bessel's correction by default (divides by N - correction).
Tensor var(const Tensor& x, const Shape& dims = {}, std::int64_t correction = 1,
           bool keepdim = false);
Tensor std(const Tensor& x, const Shape& dims = {}, std::int64_t correction = 1,
           bool keepdim = false);
// log Σ exp(x), computed stably (shifted by the maximum).
Tensor logsumexp(const Tensor& x, const Shape& dims, bool keepdim = false);
// The p-norm over `dims` for p >= 0 (p = 0 counts the nonzero entries) or p = infinity. Where
// the norm or an entry is 0 its gradient is taken as 0, as in PyTorch.
Tensor norm(const Tensor& x, double p = 2, const Shape& dims = {}, bool keepdim = false);

inline constexpr double kInfinity = std::numeric_limits<double>::infinity();

}  // namespace mg
