#include "core/shape.h"

#include <algorithm>

#include "core/error.h"

namespace mg {

std::ostream& operator<<(std::ostream& out, const Shape& shape) {
  out << '[';
  for (std::size_t i = 0; i < shape.size(); ++i) out << (i ? ", " : "") << shape[i];
  return out << ']';
}

std::int64_t numel(const Shape& shape) {
  std::int64_t n = 1;
  for (auto size : shape) {
    MG_CHECK(!__builtin_mul_overflow(n, size, &n), "the shape ", shape,
             " has more elements than int64 can count");
  }
  return n;
}

Shape contiguous_strides(const Shape& shape) {
  Shape strides(shape.size());
  std::int64_t stride = 1;
  for (std::size_t i = shape.size(); i-- > 0;) {
    strides[i] = stride;
    stride *= std::max<std::int64_t>(shape[i], 1);
  }
  return strides;
}

std::int64_t wrap_dim(std::int64_t dim, std::int64_t ndim, std::string_view op) {
  const std::int64_t rank = std::max<std::int64_t>(ndim, 1);  // a 0-d tensor accepts dim 0 / -1
  MG_CHECK(dim >= -rank && dim < rank, op, ": dimension ", dim, " out of range for a ", ndim,
           "-d tensor (expected [", -rank, ", ", rank - 1, "])");
  return dim < 0 ? dim + rank : dim;
}

Shape broadcast_shapes(const Shape& a, const Shape& b, std::string_view op) {
  const std::size_t ndim = std::max(a.size(), b.size());
  Shape out(ndim);
  for (std::size_t i = 0; i < ndim; ++i) {
    const std::int64_t sa = i < ndim - a.size() ? 1 : a[i - (ndim - a.size())];
    const std::int64_t sb = i < ndim - b.size() ? 1 : b[i - (ndim - b.size())];
    MG_CHECK(sa == sb || sa == 1 || sb == 1, op, ": shapes ", a, " and ", b,
             " cannot be broadcast together");
    out[i] = sa == 1 ? sb : sa;
  }
  return out;
}

std::vector<bool> dim_mask(const Shape& dims, std::int64_t ndim, std::string_view op) {
  std::vector<bool> mask(static_cast<std::size_t>(ndim), dims.empty());
  for (auto dim : dims) {
    const auto d = static_cast<std::size_t>(wrap_dim(dim, ndim, op));
    if (ndim == 0) continue;
    MG_CHECK(!mask[d], op, ": dimension ", dim, " listed twice in ", dims);
    mask[d] = true;
  }
  return mask;
}

}  // namespace mg
