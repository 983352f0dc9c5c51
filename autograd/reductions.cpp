#include "autograd/reductions.h"

#include <cmath>

#include "autograd/elementwise.h"
#include "autograd/record.h"
#include "autograd/views.h"
#include "core/checks.h"
#include "core/creation.h"
#include "core/ops_copy.h"

namespace mg {

using namespace autograd;

namespace {

// x's shape with size 1 in the reduced dims: what a gradient is reshaped to before it is
// broadcast back over x.
Shape kept_shape(const Tensor& x, const Shape& dims) {
  const std::vector<bool> reduced = dim_mask(dims, x.dim(), "reduce");
  Shape shape = x.shape();
  for (std::int64_t d = 0; d < x.dim(); ++d) {
    if (reduced[d]) shape[d] = 1;
  }
  return shape;
}

// x's shape without the reduced dims.
Shape reduced_shape(const Tensor& x, const Shape& dims) {
  const std::vector<bool> reduced = dim_mask(dims, x.dim(), "reduce");
  Shape shape;
  for (std::int64_t d = 0; d < x.dim(); ++d) {
    if (!reduced[d]) shape.push_back(x.size(d));
  }
  return shape;
}

std::int64_t reduced_count(const Tensor& x, const Shape& dims) {
  return x.numel() / std::max<std::int64_t>(numel(kept_shape(x, dims)), 1);
}

Tensor extremum(ReduceOp op, const char* name, const Tensor& x, const Shape& dims, bool keepdim) {
  Tensor out = native::reduce(op, x, dims, keepdim);
  if (!needs_graph({x})) return out;
  return record(name, out, {x},
                [sx = SavedTensor(x), so = SavedTensor(out), kept = kept_shape(x, dims), dims](
                    const Tensor& g, const Needs&) {
                  const Tensor& v = sx.get();
                  const Tensor winners = native::to(eq(v, reshape(so.get(), kept)), g.dtype());
                  const Tensor share = div(reshape(g, kept), sum(winners, dims, true));
                  return Grads{mul(winners, share)};
                });
}

}  // namespace

Tensor sum(const Tensor& x, const Shape& dims, bool keepdim) {
  Tensor out = native::reduce(ReduceOp::Sum, x, dims, keepdim);
  if (!needs_graph({x})) return out;
  return record("SumBackward", out, {x},
                [shape = x.shape(), kept = kept_shape(x, dims)](const Tensor& g, const Needs&) {
                  return Grads{contiguous(expand(reshape(g, kept), shape))};
                });
}

Tensor mean(const Tensor& x, const Shape& dims, bool keepdim) {
  Tensor out = native::reduce(ReduceOp::Mean, x, dims, keepdim);
  if (!needs_graph({x})) return out;
  const double count = static_cast<double>(reduced_count(x, dims));
  return record(
      "MeanBackward", out, {x},
      [shape = x.shape(), kept = kept_shape(x, dims), count](const Tensor& g, const Needs&) {
        return Grads{contiguous(expand(div(reshape(g, kept), count), shape))};
      });
}

Tensor amax(const Tensor& x, const Shape& dims, bool keepdim) {
  return extremum(ReduceOp::Max, "AmaxBackward", x, dims, keepdim);
}

Tensor amin(const Tensor& x, const Shape& dims, bool keepdim) {
  return extremum(ReduceOp::Min, "AminBackward", x, dims, keepdim);
}

Tensor max(const Tensor& x) {
  return amax(x);
}
Tensor max(const Tensor& x, std::int64_t dim, bool keepdim) {
  return amax(x, {dim}, keepdim);
}
Tensor min(const Tensor& x) {
  return amin(x);
}
Tensor min(const Tensor& x, std::int64_t dim, bool keepdim) {
  return amin(x, {dim}, keepdim);
}

Tensor var(const Tensor& x, const Shape& dims, std::int64_t correction, bool keepdim) {
  check_floating("var", x);
  const Tensor centered = sub(x, mean(x, dims, true));
  const double divisor = static_cast<double>(reduced_count(x, dims) - correction);
  return div(sum(square(centered), dims, keepdim), std::max(divisor, 0.0));
}

Tensor std(const Tensor& x, const Shape& dims, std::int64_t correction, bool keepdim) {
  const Tensor variance = var(x, dims, correction, keepdim);
  Tensor out = native::unary(UnaryOp::Sqrt, variance);
  if (!needs_graph({variance})) return out;
  // d√v/dv = 1/(2√v), taken as 0 where every value equals the mean (as PyTorch does).
  return record("StdBackward", out, {variance},
                [so = SavedTensor(out)](const Tensor& g, const Needs&) {
                  const Tensor& s = so.get();
                  return Grads{where(eq(s, 0.0), zeros({}, g.options()), div(g, mul(s, 2.0)))};
                });
}

Tensor logsumexp(const Tensor& x, const Shape& dims, bool keepdim) {
  check_floating("logsumexp", x);
  // The shift is a constant for autograd; an infinite maximum would make x - shift NaN.
  Tensor shift = native::reduce(ReduceOp::Max, x, dims, true);
  shift = native::where(eq(native::unary(UnaryOp::Abs, shift), kInfinity),
                        zeros({}, shift.options()), shift);
  Tensor out = add(log(sum(exp(sub(x, shift)), dims, true)), shift);
  return keepdim ? out : reshape(out, reduced_shape(x, dims));
}

Tensor norm(const Tensor& x, double p, const Shape& dims, bool keepdim) {
  check_floating("norm", x);
  MG_CHECK(p >= 0, "norm: expected p >= 0 or infinity, got ", p);
  if (std::isinf(p)) return amax(abs(x), dims, keepdim);
  Tensor out;
  if (p == 0) {  // the number of nonzero entries: piecewise constant, so its gradient is 0
    out = native::reduce(ReduceOp::Sum, native::to(ne(x, 0.0), x.dtype()), dims, keepdim);
  } else if (p == 2) {
    out = native::unary(
        UnaryOp::Sqrt,
        native::reduce(ReduceOp::Sum, native::binary(BinaryOp::Mul, x, x), dims, keepdim));
  } else {
    const Tensor powers = native::binary(BinaryOp::Pow, native::unary(UnaryOp::Abs, x), p);
    out = native::binary(BinaryOp::Pow, native::reduce(ReduceOp::Sum, powers, dims, keepdim),
                         1.0 / p);
  }
  if (!needs_graph({x})) return out;
  // d‖x‖ₚ/dx = sign(x)·|x|^(p-1) / ‖x‖ₚ^(p-1), taken as 0 where x or the norm is 0 (PyTorch's
  // convention at those kinks).
  return record("NormBackward", out, {x},
                [sx = SavedTensor(x), so = SavedTensor(out), kept = kept_shape(x, dims), p](
                    const Tensor& g, const Needs&) {
                  const Tensor& v = sx.get();
                  if (p == 0) return Grads{zeros_like(v)};
                  const Tensor zero = zeros({}, g.options());
                  const Tensor n = reshape(so.get(), kept);
                  const Tensor scale =
                      where(eq(n, 0.0), zero, div(reshape(g, kept), p == 2 ? n : pow(n, p - 1)));
                  if (p == 2) return Grads{mul(v, scale)};
                  const Tensor slope = mul(sign(v), pow(abs(v), p - 1));
                  return Grads{mul(where(eq(v, 0.0), zero, slope), scale)};
                });
}

}  // namespace mg
