#include "core/ops_reduction.h"

#include "core/checks.h"
#include "core/creation.h"
#include "core/ops_view.h"

namespace mg::native {

namespace {
const char* reduce_name(ReduceOp op) {
  switch (op) {
    case ReduceOp::Sum:
      return "sum";
    case ReduceOp::Mean:
      return "mean";
    case ReduceOp::Max:
      return "max";
    case ReduceOp::Min:
      return "min";
  }
  return "reduce";
}
}  // namespace

Tensor reduce(ReduceOp op, const Tensor& x, const Shape& dims, bool keepdim) {
  const char* name = reduce_name(op);
  check_defined(name, x, "input");
  const std::vector<bool> reduced = dim_mask(dims, x.dim(), name);
  Shape kept_shape = x.shape(), out_shape;
  for (std::int64_t d = 0; d < x.dim(); ++d) {
    if (reduced[d]) {
      MG_CHECK(x.size(d) > 0 || op == ReduceOp::Sum || op == ReduceOp::Mean, name,
               ": cannot reduce over the empty dimension ", d, " of ", describe(x));
      kept_shape[d] = 1;
    } else {
      out_shape.push_back(x.size(d));
    }
  }
  DType out_dtype = x.dtype();
  if (op == ReduceOp::Mean) check_floating(name, x);
  if (op == ReduceOp::Sum && !is_floating(x.dtype())) out_dtype = kInt64;
  if (op == ReduceOp::Max || op == ReduceOp::Min) {
    MG_CHECK(x.dtype() != kBool, name, ": expected a numeric tensor, got ", describe(x));
  }
  Tensor out = empty(kept_shape, x.options().dtype(out_dtype));
  backend_for(x.device()).reduce(op, x, out);
  return keepdim ? out : view(out, out_shape);
}

}  // namespace mg::native

namespace mg {

namespace {
Tensor arg_reduce(ReduceOp op, const char* name, const Tensor& x, std::optional<std::int64_t> dim,
                  bool keepdim) {
  check_defined(name, x, "input");
  MG_CHECK(x.dtype() != kBool, name, ": expected a numeric tensor, got ", describe(x));
  if (!dim) {
    MG_CHECK(x.numel() > 0, name, ": cannot reduce an empty tensor ", describe(x));
    const Tensor flat = native::reshape(x, {-1});
    Tensor out = empty({1}, x.options().dtype(kInt64));
    backend_for(x.device()).arg_reduce(op, flat, 0, out);
    return keepdim ? native::view(out, Shape(static_cast<std::size_t>(x.dim()), 1))
                   : native::view(out, {});
  }
  const std::int64_t d = wrap_dim(*dim, x.dim(), name);
  if (x.dim() == 0) return zeros({}, x.options().dtype(kInt64));
  MG_CHECK(x.size(d) > 0, name, ": cannot reduce over the empty dimension ", d, " of ",
           describe(x));
  Shape kept_shape = x.shape();
  kept_shape[d] = 1;
  Tensor out = empty(kept_shape, x.options().dtype(kInt64));
  backend_for(x.device()).arg_reduce(op, x, d, out);
  return keepdim ? out : native::squeeze(out, d);
}
}  // namespace

Tensor argmax(const Tensor& x, std::optional<std::int64_t> dim, bool keepdim) {
  return arg_reduce(ReduceOp::Max, "argmax", x, dim, keepdim);
}

Tensor argmin(const Tensor& x, std::optional<std::int64_t> dim, bool keepdim) {
  return arg_reduce(ReduceOp::Min, "argmin", x, dim, keepdim);
}

}  // namespace mg
