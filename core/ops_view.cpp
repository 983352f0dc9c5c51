#include "core/ops_view.h"

#include <algorithm>
#include <numeric>
#include <optional>

#include "core/ops_copy.h"

namespace mg::native {

namespace {

// Strides that give x's elements the row-major order of `shape` without a copy, if any exist.
// Walks x's dims in chunks that are contiguous among themselves and matches each chunk with a
// run of new dims of the same element count.
std::optional<Shape> view_strides(const Tensor& x, const Shape& shape) {
  Shape strides(shape.size());
  if (x.numel() == 0 || x.dim() == 0) return contiguous_strides(shape);
  const Shape& old_shape = x.shape();
  const Shape& old_strides = x.strides();
  std::int64_t view_d = static_cast<std::int64_t>(shape.size()) - 1;
  std::int64_t chunk_base_stride = old_strides.back();
  std::int64_t tensor_numel = 1;
  std::int64_t view_numel = 1;
  for (std::int64_t d = static_cast<std::int64_t>(old_shape.size()) - 1; d >= 0; --d) {
    tensor_numel *= old_shape[d];
    // A chunk ends where x's dims stop being contiguous with each other.
    if (d == 0 ||
        (old_shape[d - 1] != 1 && old_strides[d - 1] != tensor_numel * chunk_base_stride)) {
      while (view_d >= 0 && (view_numel < tensor_numel || shape[view_d] == 1)) {
        strides[view_d] = view_numel * chunk_base_stride;
        view_numel *= shape[view_d];
        --view_d;
      }
      if (view_numel != tensor_numel) return std::nullopt;
      if (d > 0) {
        chunk_base_stride = old_strides[d - 1];
        tensor_numel = 1;
        view_numel = 1;
      }
    }
  }
  if (view_d != -1) return std::nullopt;
  return strides;
}

}  // namespace

Tensor as_strided(const Tensor& x, const Shape& shape, const Shape& strides, std::int64_t offset) {
  const TensorImpl& impl = *x.impl();
  std::shared_ptr<TensorImpl> base = impl.is_view() ? impl.view_base() : x.impl_ptr();
  return Tensor(std::make_shared<TensorImpl>(x.storage(), shape, strides, offset, x.dtype(),
                                             std::move(base)));
}

Shape infer_shape(const Shape& shape, std::int64_t numel, const char* op) {
  Shape out = shape;
  std::int64_t known = 1;
  std::optional<std::size_t> infer;
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == -1) {
      MG_CHECK(!infer, op, ": only one dimension can be -1, got ", shape);
      infer = i;
    } else {
      MG_CHECK(shape[i] >= 0, op, ": invalid size ", shape[i], " in shape ", shape);
      known *= shape[i];
    }
  }
  if (infer) {
    MG_CHECK(known != 0 && numel % known == 0, op, ": shape ", shape, " is invalid for ", numel,
             " elements");
    out[*infer] = numel / known;
  }
  MG_CHECK(mg::numel(out) == numel, op, ": shape ", shape, " is invalid for ", numel, " elements");
  return out;
}

Tensor view(const Tensor& x, const Shape& shape) {
  const Shape resolved = infer_shape(shape, x.numel(), "view");
  auto strides = view_strides(x, resolved);
  MG_CHECK(strides.has_value(), "view: cannot view ", describe(x), " with strides ", x.strides(),
           " as ", resolved, " without a copy; use reshape");
  return as_strided(x, resolved, *strides, x.storage_offset());
}

Tensor reshape(const Tensor& x, const Shape& shape) {
  const Shape resolved = infer_shape(shape, x.numel(), "reshape");
  if (auto strides = view_strides(x, resolved)) {
    return as_strided(x, resolved, *strides, x.storage_offset());
  }
  return view(contiguous(x), resolved);
}

Tensor flatten(const Tensor& x, std::int64_t start_dim, std::int64_t end_dim) {
  if (x.dim() == 0) {
    wrap_dim(start_dim, 0, "flatten");
    wrap_dim(end_dim, 0, "flatten");
    return reshape(x, {1});
  }
  const std::int64_t start = wrap_dim(start_dim, x.dim(), "flatten");
  const std::int64_t end = wrap_dim(end_dim, x.dim(), "flatten");
  MG_CHECK(start <= end, "flatten: start_dim ", start_dim, " comes after end_dim ", end_dim);
  Shape shape(x.shape().begin(), x.shape().begin() + start);
  std::int64_t merged = 1;
  for (std::int64_t d = start; d <= end; ++d) merged *= x.size(d);
  shape.push_back(merged);
  shape.insert(shape.end(), x.shape().begin() + end + 1, x.shape().end());
  return reshape(x, shape);
}

Tensor permute(const Tensor& x, const Shape& dims) {
  MG_CHECK(static_cast<std::int64_t>(dims.size()) == x.dim(), "permute: ", dims.size(),
           " dims given for ", describe(x));
  Shape shape(dims.size()), strides(dims.size());
  std::vector<bool> seen(dims.size(), false);
  for (std::size_t i = 0; i < dims.size(); ++i) {
    const auto d = static_cast<std::size_t>(wrap_dim(dims[i], x.dim(), "permute"));
    MG_CHECK(!seen[d], "permute: dimension ", dims[i], " repeats in ", dims);
    seen[d] = true;
    shape[i] = x.shape()[d];
    strides[i] = x.strides()[d];
  }
  return as_strided(x, shape, strides, x.storage_offset());
}

Tensor transpose(const Tensor& x, std::int64_t dim0, std::int64_t dim1) {
  if (x.dim() == 0) {
    wrap_dim(dim0, 0, "transpose");
    wrap_dim(dim1, 0, "transpose");
    return as_strided(x, {}, {}, x.storage_offset());
  }
  Shape dims(static_cast<std::size_t>(x.dim()));
  std::iota(dims.begin(), dims.end(), 0);
  std::swap(dims[wrap_dim(dim0, x.dim(), "transpose")], dims[wrap_dim(dim1, x.dim(), "transpose")]);
  return permute(x, dims);
}

Tensor narrow(const Tensor& x, std::int64_t dim, std::int64_t start, std::int64_t length) {
  MG_CHECK(x.dim() > 0, "narrow: cannot narrow a 0-d tensor");
  const std::int64_t d = wrap_dim(dim, x.dim(), "narrow");
  const std::int64_t size = x.size(d);
  if (start < 0) start += size;
  MG_CHECK(start >= 0 && length >= 0 && start + length <= size, "narrow: range [", start, ", ",
           start + length, ") out of bounds for dimension ", dim, " of ", describe(x));
  Shape shape = x.shape();
  shape[d] = length;
  return as_strided(x, shape, x.strides(), x.storage_offset() + start * x.stride(d));
}

Tensor slice(const Tensor& x, std::int64_t dim, std::int64_t start, std::int64_t end,
             std::int64_t step) {
  MG_CHECK(x.dim() > 0, "slice: cannot slice a 0-d tensor");
  MG_CHECK(step > 0, "slice: step must be positive, got ", step);
  const std::int64_t d = wrap_dim(dim, x.dim(), "slice");
  const std::int64_t size = x.size(d);
  if (start < 0) start += size;
  if (end < 0) end += size;
  start = std::clamp<std::int64_t>(start, 0, size);
  end = std::clamp<std::int64_t>(end, start, size);
  Shape shape = x.shape(), strides = x.strides();
  shape[d] = end > start ? (end - start - 1) / step + 1 : 0;
  if (shape[d] > 1) {
    MG_CHECK(!__builtin_mul_overflow(strides[d], step, &strides[d]), "slice: step ", step,
             " is too large for dimension ", dim, " of ", describe(x));
  }
  return as_strided(x, shape, strides, x.storage_offset() + start * x.stride(d));
}

Tensor select(const Tensor& x, std::int64_t dim, std::int64_t index) {
  MG_CHECK(x.dim() > 0, "select: cannot select from a 0-d tensor");
  const std::int64_t d = wrap_dim(dim, x.dim(), "select");
  const std::int64_t size = x.size(d);
  MG_CHECK(index >= -size && index < size, "select: index ", index, " out of range for dimension ",
           dim, " of ", describe(x));
  if (index < 0) index += size;
  Shape shape = x.shape(), strides = x.strides();
  shape.erase(shape.begin() + d);
  strides.erase(strides.begin() + d);
  return as_strided(x, shape, strides, x.storage_offset() + index * x.stride(d));
}

Tensor expand(const Tensor& x, const Shape& shape) {
  MG_CHECK(shape.size() >= static_cast<std::size_t>(x.dim()), "expand: cannot expand ", describe(x),
           " to fewer dims ", shape);
  const std::size_t lead = shape.size() - static_cast<std::size_t>(x.dim());
  Shape out_shape(shape.size()), strides(shape.size());
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (i < lead) {
      MG_CHECK(shape[i] >= 0, "expand: new leading dimension ", i, " needs a size, got ", shape);
      out_shape[i] = shape[i];
      strides[i] = 0;
      continue;
    }
    const std::int64_t size = x.shape()[i - lead];
    MG_CHECK(shape[i] >= -1, "expand: invalid size ", shape[i], " in ", shape);
    const std::int64_t want = shape[i] == -1 ? size : shape[i];
    MG_CHECK(want == size || size == 1, "expand: cannot expand ", describe(x), " to ", shape,
             " (dimension ", i, " has size ", size, ")");
    out_shape[i] = want;
    strides[i] = want == size ? x.strides()[i - lead] : 0;
  }
  return as_strided(x, out_shape, strides, x.storage_offset());
}

Tensor squeeze(const Tensor& x) {
  Shape shape, strides;
  for (std::int64_t d = 0; d < x.dim(); ++d) {
    if (x.size(d) == 1) continue;
    shape.push_back(x.size(d));
    strides.push_back(x.stride(d));
  }
  return as_strided(x, shape, strides, x.storage_offset());
}

Tensor squeeze(const Tensor& x, std::int64_t dim) {
  const std::int64_t d = wrap_dim(dim, x.dim(), "squeeze");
  if (x.dim() == 0) return as_strided(x, {}, {}, x.storage_offset());
  Shape shape = x.shape(), strides = x.strides();
  if (shape[d] == 1) {
    shape.erase(shape.begin() + d);
    strides.erase(strides.begin() + d);
  }
  return as_strided(x, shape, strides, x.storage_offset());
}

Tensor unsqueeze(const Tensor& x, std::int64_t dim) {
  const std::int64_t d = wrap_dim(dim, x.dim() + 1, "unsqueeze");
  Shape shape = x.shape(), strides = x.strides();
  const std::int64_t stride = d < x.dim() ? x.stride(d) * x.size(d) : 1;
  shape.insert(shape.begin() + d, 1);
  strides.insert(strides.begin() + d, stride);
  return as_strided(x, shape, strides, x.storage_offset());
}

}  // namespace mg::native
