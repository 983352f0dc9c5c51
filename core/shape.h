#pragma once

#include <cstdint>
#include <ostream>
#include <string_view>
#include <vector>

namespace mg {

// Sizes (or strides, or a list of dims) of a tensor, printable as "[2, 3]" in error messages.
struct Shape : std::vector<std::int64_t> {
  using std::vector<std::int64_t>::vector;
  Shape() = default;
  Shape(std::vector<std::int64_t> values) : std::vector<std::int64_t>(std::move(values)) {}
};

std::ostream& operator<<(std::ostream& out, const Shape& shape);

std::int64_t numel(const Shape& shape);
// Row-major strides, in elements.
Shape contiguous_strides(const Shape& shape);
// Maps a possibly negative `dim` into [0, ndim); `op` names the caller in the error.
std::int64_t wrap_dim(std::int64_t dim, std::int64_t ndim, std::string_view op);
// The shape two operands broadcast to (NumPy rules); throws naming `op` and both shapes.
Shape broadcast_shapes(const Shape& a, const Shape& b, std::string_view op);
// Marks which dims of an `ndim`-d tensor are listed in `dims` (empty `dims` means all).
std::vector<bool> dim_mask(const Shape& dims, std::int64_t ndim, std::string_view op);

}  // namespace mg
