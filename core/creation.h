#pragma once

#include <cstdint>
#include <vector>

#include "core/tensor.h"

// Factories. None of them records autograd history; `options.requires_grad()` makes the new
// tensor a leaf that requires gradients.
namespace mg {

// Uninitialised contents.
Tensor empty(const Shape& shape, TensorOptions options = {});
Tensor zeros(const Shape& shape, TensorOptions options = {});
Tensor ones(const Shape& shape, TensorOptions options = {});
Tensor full(const Shape& shape, double value, TensorOptions options = {});
// A 0-d tensor holding `value`.
Tensor scalar_tensor(double value, TensorOptions options = {});
// Values start, start + step, ... below `end` (above it for a negative step).
Tensor arange(double end, TensorOptions options = {});
Tensor arange(double start, double end, double step = 1, TensorOptions options = {});
// `steps` values evenly spaced from start to end, both included.
Tensor linspace(double start, double end, std::int64_t steps, TensorOptions options = {});
// An n × m matrix (m = n when negative) with ones on the diagonal.
Tensor eye(std::int64_t n, std::int64_t m = -1, TensorOptions options = {});
// A tensor of `values` (converted to options.dtype()) with `shape`, 1-d when `shape` is empty.
Tensor tensor(const std::vector<double>& values, const Shape& shape = {},
              TensorOptions options = {});
// The same with the dtype that matches T, converting nothing.
template <typename T>
Tensor from_vector(const std::vector<T>& values, const Shape& shape = {});
template <>
Tensor from_vector(const std::vector<bool>& values, const Shape& shape);

Tensor empty_like(const Tensor& like, TensorOptions options);
Tensor empty_like(const Tensor& like);
Tensor zeros_like(const Tensor& like);
Tensor zeros_like(const Tensor& like, TensorOptions options);
Tensor ones_like(const Tensor& like);
Tensor full_like(const Tensor& like, double value);

}  // namespace mg
