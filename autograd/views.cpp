#include "autograd/views.h"

#include "autograd/record.h"
#include "core/creation.h"
#include "core/ops_copy.h"
#include "core/ops_view.h"

namespace mg {

using namespace autograd;

namespace {

// Backward of every view that only rearranges elements: reshape the gradient back.
Tensor reshaping_view(const char* name, const Tensor& x, Tensor out) {
  if (!needs_graph({x})) return out;
  return record(name, std::move(out), {x}, [shape = x.shape()](const Tensor& g, const Needs&) {
    return Grads{reshape(g, shape)};
  });
}

// Backward of views that pick a part of x: the gradient lands in that part of a zero tensor.
template <typename PickPart>
Tensor part_view(const char* name, const Tensor& x, Tensor out, PickPart pick) {
  if (!needs_graph({x})) return out;
  return record(name, std::move(out), {x},
                [shape = x.shape(), pick](const Tensor& g, const Needs&) {
                  Tensor full_grad = zeros(shape, g.options());
                  native::copy_(pick(full_grad), g);
                  return Grads{full_grad};
                });
}

}  // namespace

Tensor view(const Tensor& x, const Shape& shape) {
  return reshaping_view("ViewBackward", x, native::view(x, shape));
}

Tensor reshape(const Tensor& x, const Shape& shape) {
  return reshaping_view("ReshapeBackward", x, native::reshape(x, shape));
}

Tensor flatten(const Tensor& x, std::int64_t start_dim, std::int64_t end_dim) {
  return reshaping_view("FlattenBackward", x, native::flatten(x, start_dim, end_dim));
}

Tensor squeeze(const Tensor& x) {
  return reshaping_view("SqueezeBackward", x, native::squeeze(x));
}

Tensor squeeze(const Tensor& x, std::int64_t dim) {
  return reshaping_view("SqueezeBackward", x, native::squeeze(x, dim));
}

Tensor unsqueeze(const Tensor& x, std::int64_t dim) {
  return reshaping_view("UnsqueezeBackward", x, native::unsqueeze(x, dim));
}

Tensor permute(const Tensor& x, const Shape& dims) {
  Tensor out = native::permute(x, dims);
  if (!needs_graph({x})) return out;
  Shape inverse(dims.size());
  for (std::size_t i = 0; i < dims.size(); ++i) {
    inverse[static_cast<std::size_t>(wrap_dim(dims[i], x.dim(), "permute"))] =
        static_cast<std::int64_t>(i);
  }
  return record("PermuteBackward", out, {x},
                [inverse](const Tensor& g, const Needs&) { return Grads{permute(g, inverse)}; });
}

Tensor transpose(const Tensor& x, std::int64_t dim0, std::int64_t dim1) {
  Tensor out = native::transpose(x, dim0, dim1);
  if (!needs_graph({x})) return out;
  return record("TransposeBackward", out, {x}, [dim0, dim1](const Tensor& g, const Needs&) {
    return Grads{transpose(g, dim0, dim1)};
  });
}

Tensor t(const Tensor& x) {
  MG_CHECK(x.dim() <= 2, "t: expected a tensor of at most 2 dims, got ", describe(x));
  return x.dim() < 2 ? x : transpose(x, 0, 1);
}

Tensor narrow(const Tensor& x, std::int64_t dim, std::int64_t start, std::int64_t length) {
  return part_view(
      "NarrowBackward", x, native::narrow(x, dim, start, length),
      [dim, start, length](const Tensor& t) { return native::narrow(t, dim, start, length); });
}

Tensor slice(const Tensor& x, std::int64_t dim, std::int64_t start, std::int64_t end,
             std::int64_t step) {
  return part_view("SliceBackward", x, native::slice(x, dim, start, end, step),
                   [=](const Tensor& t) { return native::slice(t, dim, start, end, step); });
}

Tensor select(const Tensor& x, std::int64_t dim, std::int64_t index) {
  return part_view("SelectBackward", x, native::select(x, dim, index),
                   [dim, index](const Tensor& t) { return native::select(t, dim, index); });
}

Tensor expand(const Tensor& x, const Shape& shape) {
  Tensor out = native::expand(x, shape);
  if (!needs_graph({x})) return out;
  return record("ExpandBackward", out, {x}, [shape = x.shape()](const Tensor& g, const Needs&) {
    return Grads{autograd::sum_to(g, shape)};
  });
}

Tensor expand_as(const Tensor& x, const Tensor& other) {
  return expand(x, other.shape());
}

}  // namespace mg
