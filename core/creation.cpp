#include "core/creation.h"

#include <cmath>
#include <cstring>

#include "core/backend.h"
#include "core/ops_copy.h"

namespace mg {

namespace {
Tensor finish(Tensor tensor, const TensorOptions& options) {
  if (options.requires_grad()) tensor.requires_grad_(true);
  return tensor;
}
}  // namespace

Tensor empty(const Shape& shape, TensorOptions options) {
  for (auto size : shape) MG_CHECK(size >= 0, "empty: negative size in shape ", shape);
  MG_CHECK(!options.pinned_memory() || options.device().is_cpu(),
           "empty: pinned memory is CPU memory; got device ", options.device());
  check_device_available(options.device());
  std::size_t nbytes = 0;
  MG_CHECK(!__builtin_mul_overflow(static_cast<std::size_t>(numel(shape)),
                                   element_size(options.dtype()), &nbytes),
           "empty: a ", options.dtype(), " tensor of shape ", shape,
           " needs more bytes than fit in ", "memory");
  auto storage = std::make_shared<Storage>(nbytes, options.device(), options.pinned_memory());
  auto impl = std::make_shared<TensorImpl>(std::move(storage), shape, contiguous_strides(shape), 0,
                                           options.dtype());
  return finish(Tensor(std::move(impl)), options);
}

Tensor full(const Shape& shape, double value, TensorOptions options) {
  Tensor out = empty(shape, options.requires_grad(false));
  backend_for(out.device()).fill(out, value);
  return finish(out, options);
}

Tensor zeros(const Shape& shape, TensorOptions options) {
  return full(shape, 0, options);
}
Tensor ones(const Shape& shape, TensorOptions options) {
  return full(shape, 1, options);
}
Tensor scalar_tensor(double value, TensorOptions options) {
  return full({}, value, options);
}

Tensor arange(double end, TensorOptions options) {
  return arange(0, end, 1, options);
}

Tensor arange(double start, double end, double step, TensorOptions options) {
  MG_CHECK(step != 0, "arange: step must be nonzero");
  MG_CHECK(std::isfinite(start) && std::isfinite(end), "arange: bounds must be finite, got ", start,
           " and ", end);
  const double count = std::ceil((end - start) / step);
  const auto n = static_cast<std::int64_t>(std::max(count, 0.0));
  std::vector<double> values(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) values[i] = start + static_cast<double>(i) * step;
  return tensor(values, {n}, options);
}

Tensor linspace(double start, double end, std::int64_t steps, TensorOptions options) {
  MG_CHECK(steps >= 0, "linspace: steps must be non-negative, got ", steps);
  std::vector<double> values(static_cast<std::size_t>(steps));
  const double step = steps > 1 ? (end - start) / static_cast<double>(steps - 1) : 0;
  // Fill from both ends, as PyTorch does, so that the last value is exactly `end` (and a
  // single step gives `start`).
  for (std::int64_t i = 0; i < steps; ++i) {
    values[i] = i < steps / 2 || steps == 1 ? start + step * static_cast<double>(i)
                                            : end - step * static_cast<double>(steps - 1 - i);
  }
  return tensor(values, {steps}, options);
}

Tensor eye(std::int64_t n, std::int64_t m, TensorOptions options) {
  if (m < 0) m = n;
  MG_CHECK(n >= 0, "eye: size must be non-negative, got ", n);
  std::vector<double> values(static_cast<std::size_t>(n * m), 0.0);
  for (std::int64_t i = 0; i < std::min(n, m); ++i) values[i * m + i] = 1;
  return tensor(values, {n, m}, options);
}

Tensor tensor(const std::vector<double>& values, const Shape& shape, TensorOptions options) {
  const Shape resolved = shape.empty() ? Shape{static_cast<std::int64_t>(values.size())} : shape;
  MG_CHECK(numel(resolved) == static_cast<std::int64_t>(values.size()), "tensor: ", values.size(),
           " values do not fill shape ", resolved);
  Tensor host = from_vector(values, resolved);
  return finish(native::to(native::to(host, options.dtype()), options.device()), options);
}

template <typename T>
Tensor from_vector(const std::vector<T>& values, const Shape& shape) {
  const Shape resolved = shape.empty() ? Shape{static_cast<std::int64_t>(values.size())} : shape;
  MG_CHECK(numel(resolved) == static_cast<std::int64_t>(values.size()),
           "from_vector: ", values.size(), " values do not fill shape ", resolved);
  Tensor out = empty(resolved, dtype_of<T>());
  if (!values.empty()) std::memcpy(out.raw_data(), values.data(), values.size() * sizeof(T));
  return out;
}
template Tensor from_vector(const std::vector<std::uint8_t>&, const Shape&);
template Tensor from_vector(const std::vector<std::int64_t>&, const Shape&);
template Tensor from_vector(const std::vector<float>&, const Shape&);
template Tensor from_vector(const std::vector<double>&, const Shape&);

template <>
Tensor from_vector(const std::vector<bool>& values, const Shape& shape) {
  const Shape resolved = shape.empty() ? Shape{static_cast<std::int64_t>(values.size())} : shape;
  MG_CHECK(numel(resolved) == static_cast<std::int64_t>(values.size()),
           "from_vector: ", values.size(), " values do not fill shape ", resolved);
  Tensor out = empty(resolved, kBool);
  bool* data = out.data_ptr<bool>();
  for (std::size_t i = 0; i < values.size(); ++i) data[i] = values[i];
  return out;
}

Tensor empty_like(const Tensor& like, TensorOptions options) {
  return empty(like.shape(), options);
}
Tensor empty_like(const Tensor& like) {
  return empty(like.shape(), like.options());
}
Tensor zeros_like(const Tensor& like) {
  return zeros(like.shape(), like.options());
}
Tensor zeros_like(const Tensor& like, TensorOptions options) {
  return zeros(like.shape(), options);
}
Tensor ones_like(const Tensor& like) {
  return ones(like.shape(), like.options());
}
Tensor full_like(const Tensor& like, double value) {
  return full(like.shape(), value, like.options());
}

}  // namespace mg
