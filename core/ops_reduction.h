#pragma once

#include <cstdint>
#include <optional>

#include "core/backend.h"
#include "core/tensor.h"

namespace mg::native {

// Reduces over `dims` (all dims when empty). Sum of integer or bool tensors gives int64; Mean
// needs a floating-point tensor. Max and Min of an empty tensor are errors.
Tensor reduce(ReduceOp op, const Tensor& x, const Shape& dims = {}, bool keepdim = false);

}  // namespace mg::native

namespace mg {

// Index of the first maximum / minimum along `dim`, or in the flattened tensor when no dim is
// given (int64).
Tensor argmax(const Tensor& x, std::optional<std::int64_t> dim = std::nullopt,
              bool keepdim = false);
Tensor argmin(const Tensor& x, std::optional<std::int64_t> dim = std::nullopt,
              bool keepdim = false);

}  // namespace mg
