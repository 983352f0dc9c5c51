#include "core/ops_nn.h"

#include <algorithm>

#include "core/backend.h"
#include "core/checks.h"
#include "core/creation.h"
#include "core/ops_copy.h"
#include "core/ops_view.h"

namespace mg::native {

namespace {

// ---- softmax --------------------------------------------------------------------------------

Tensor softmax_forward(const char* name, const Tensor& x, std::int64_t dim, bool log) {
  check_defined(name, x, "input");
  check_floating(name, x);
  const std::int64_t d = wrap_dim(dim, x.dim(), name);
  Tensor out = empty(x.shape(), x.options());
  backend_for(x.device()).softmax(contiguous(x), d, log, out);
  return out;
}

Tensor softmax_backward_impl(const char* name, const Tensor& grad_y, const Tensor& y,
                             std::int64_t dim, bool log) {
  check_defined(name, grad_y, "grad_output");
  check_defined(name, y, "output");
  check_same_device(name, {&grad_y, &y});
  check_floating(name, y);
  check_same_dtype(name, grad_y, y);
  MG_CHECK(grad_y.shape() == y.shape(), name, ": grad_output ", describe(grad_y),
           " does not match the output ", describe(y));
  const std::int64_t d = wrap_dim(dim, y.dim(), name);
  Tensor grad_x = empty(y.shape(), y.options());
  backend_for(y.device()).softmax_backward(contiguous(grad_y), contiguous(y), d, log, grad_x);
  return grad_x;
}

// ---- parameters -----------------------------------------------------------------------------

// An optional parameter (weight, bias, running statistics) of `shape`, on x's device and dtype.
void check_parameter(const char* op, const Tensor& param, const char* name, const Tensor& x,
                     const Shape& shape) {
  if (!param.defined()) return;
  check_same_device(op, {&x, &param});
  MG_CHECK(param.shape() == shape, op, ": expected ", name, " of shape ", shape, ", got ",
           describe(param), " for input ", describe(x));
  MG_CHECK(param.dtype() == x.dtype(), op, ": expected ", name, " to be ", x.dtype(),
           " like the input ", describe(x), ", got ", describe(param));
}

// A defined parameter as a contiguous 1-d tensor, as the kernels read it.
Tensor flat(const Tensor& param) {
  return param.defined() ? reshape(contiguous(param), {param.numel()}) : Tensor();
}

// ---- layer norm -----------------------------------------------------------------------------

// x as [rows, cols], cols being the normalised trailing dims.
struct RowsCols {
  std::int64_t rows, cols;
  Shape stat_shape;  // leading dims, then a 1 per normalised dim
};

RowsCols layer_norm_rows(const char* op, const Tensor& x, const Shape& normalized_shape) {
  const auto k = static_cast<std::int64_t>(normalized_shape.size());
  MG_CHECK(k >= 1, op, ": expected a normalized_shape of at least 1 dim, got ", normalized_shape);
  const Shape trailing(x.shape().end() - std::min(k, x.dim()), x.shape().end());
  MG_CHECK(x.dim() >= k && trailing == normalized_shape, op, ": normalized_shape ",
           normalized_shape, " does not match the trailing dims of the input ", describe(x),
           " (expected an input of shape [*, ",
           str(normalized_shape).substr(1, str(normalized_shape).size() - 2), "])");
  RowsCols result{1, mg::numel(normalized_shape), {}};
  for (std::int64_t d = 0; d < x.dim(); ++d) {
    const bool normalized = d >= x.dim() - k;
    if (!normalized) result.rows *= x.size(d);
    result.stat_shape.push_back(normalized ? 1 : x.size(d));
  }
  return result;
}

// ---- batch norm -----------------------------------------------------------------------------

std::int64_t batch_norm_channels(const char* op, const Tensor& x) {
  MG_CHECK(x.dim() >= 2, op, ": expected an input of shape [N, C, *] (at least 2 dims), got ",
           describe(x));
  return x.size(1);
}

}  // namespace

Tensor softmax(const Tensor& x, std::int64_t dim) {
  return softmax_forward("softmax", x, dim, false);
}

Tensor log_softmax(const Tensor& x, std::int64_t dim) {
  return softmax_forward("log_softmax", x, dim, true);
}

Tensor softmax_backward(const Tensor& grad_y, const Tensor& y, std::int64_t dim) {
  return softmax_backward_impl("softmax_backward", grad_y, y, dim, false);
}

Tensor log_softmax_backward(const Tensor& grad_y, const Tensor& y, std::int64_t dim) {
  return softmax_backward_impl("log_softmax_backward", grad_y, y, dim, true);
}

LayerNormResult layer_norm(const Tensor& x, const Shape& normalized_shape, const Tensor& weight,
                           const Tensor& bias, double eps) {
  const char* name = "layer_norm";
  check_defined(name, x, "input");
  check_floating(name, x);
  const RowsCols rc = layer_norm_rows(name, x, normalized_shape);
  check_parameter(name, weight, "weight", x, normalized_shape);
  check_parameter(name, bias, "bias", x, normalized_shape);
  LayerNormResult result{empty(x.shape(), x.options()), empty(rc.stat_shape, x.options()),
                         empty(rc.stat_shape, x.options())};
  backend_for(x.device())
      .layer_norm(view(contiguous(x), {rc.rows, rc.cols}), flat(weight), flat(bias), eps,
                  view(result.out, {rc.rows, rc.cols}), view(result.mean, {rc.rows}),
                  view(result.rstd, {rc.rows}));
  return result;
}

LayerNormGrads layer_norm_backward(const Tensor& grad_out, const Tensor& x,
                                   const Shape& normalized_shape, const LayerNormResult& forward,
                                   const Tensor& weight, bool need_x, bool need_weight,
                                   bool need_bias) {
  const char* name = "layer_norm_backward";
  check_defined(name, grad_out, "grad_output");
  check_defined(name, x, "input");
  check_defined(name, forward.mean, "mean");
  check_defined(name, forward.rstd, "rstd");
  check_floating(name, x);
  check_same_device(name, {&grad_out, &x, &forward.mean, &forward.rstd});
  MG_CHECK(grad_out.shape() == x.shape() && grad_out.dtype() == x.dtype(), name, ": grad_output ",
           describe(grad_out), " does not match the input ", describe(x));
  const RowsCols rc = layer_norm_rows(name, x, normalized_shape);
  check_parameter(name, weight, "weight", x, normalized_shape);
  check_parameter(name, forward.mean, "mean", x, rc.stat_shape);
  check_parameter(name, forward.rstd, "rstd", x, rc.stat_shape);
  LayerNormGrads grads;
  if (need_x) grads.x = empty(x.shape(), x.options());
  if (need_weight) grads.weight = empty(normalized_shape, x.options());
  if (need_bias) grads.bias = empty(normalized_shape, x.options());
  if (!need_x && !need_weight && !need_bias) return grads;
  const auto rows_cols = [&](const Tensor& t) {
    return t.defined() ? view(t, {rc.rows, rc.cols}) : Tensor();
  };
  backend_for(x.device())
      .layer_norm_backward(rows_cols(contiguous(grad_out)), rows_cols(contiguous(x)),
                           flat(forward.mean), flat(forward.rstd), flat(weight), rows_cols(grads.x),
                           flat(grads.weight), flat(grads.bias));
  return grads;
}

BatchNormResult batch_norm(const Tensor& x, const Tensor& weight, const Tensor& bias,
                           const Tensor& running_mean, const Tensor& running_var, bool training,
                           double momentum, double eps) {
  const char* name = "batch_norm";
  check_defined(name, x, "input");
  check_floating(name, x);
  const std::int64_t channels = batch_norm_channels(name, x);
  check_parameter(name, weight, "weight", x, {channels});
  check_parameter(name, bias, "bias", x, {channels});
  check_parameter(name, running_mean, "running_mean", x, {channels});
  check_parameter(name, running_var, "running_var", x, {channels});
  MG_CHECK(running_mean.defined() == running_var.defined(), name,
           ": running_mean and running_var must be given together (or both left undefined)");
  if (training) {
    MG_CHECK(x.numel() > channels, name,
             ": expected more than 1 value per channel when training, got input ", describe(x));
    // Updated in place by the kernel, through a flat view.
    MG_CHECK(
        !running_mean.defined() || (running_mean.is_contiguous() && running_var.is_contiguous()),
        name, ": running_mean and running_var must be contiguous to be updated in place");
  } else {
    MG_CHECK(running_mean.defined(), name,
             ": running_mean and running_var are needed in evaluation mode (training = false)");
  }
  BatchNormResult result{empty(x.shape(), x.options()), empty({channels}, x.options()),
                         empty({channels}, x.options())};
  backend_for(x.device())
      .batch_norm(contiguous(x), flat(weight), flat(bias), flat(running_mean), flat(running_var),
                  training, momentum, eps, result.out, result.save_mean, result.save_invstd);
  if (training && running_mean.defined()) {
    running_mean.bump_version();
    running_var.bump_version();
  }
  return result;
}

BatchNormGrads batch_norm_backward(const Tensor& grad_out, const Tensor& x, const Tensor& weight,
                                   const BatchNormResult& forward, bool training, bool need_x,
                                   bool need_weight, bool need_bias) {
  const char* name = "batch_norm_backward";
  check_defined(name, grad_out, "grad_output");
  check_defined(name, x, "input");
  check_defined(name, forward.save_mean, "save_mean");
  check_defined(name, forward.save_invstd, "save_invstd");
  check_floating(name, x);
  check_same_device(name, {&grad_out, &x});
  MG_CHECK(grad_out.shape() == x.shape() && grad_out.dtype() == x.dtype(), name, ": grad_output ",
           describe(grad_out), " does not match the input ", describe(x));
  const std::int64_t channels = batch_norm_channels(name, x);
  check_parameter(name, weight, "weight", x, {channels});
  check_parameter(name, forward.save_mean, "save_mean", x, {channels});
  check_parameter(name, forward.save_invstd, "save_invstd", x, {channels});
  BatchNormGrads grads;
  if (need_x) grads.x = empty(x.shape(), x.options());
  if (need_weight) grads.weight = empty({channels}, x.options());
  if (need_bias) grads.bias = empty({channels}, x.options());
  if (!need_x && !need_weight && !need_bias) return grads;
  backend_for(x.device())
      .batch_norm_backward(contiguous(grad_out), contiguous(x), flat(weight),
                           flat(forward.save_mean), flat(forward.save_invstd), training, grads.x,
                           grads.weight, grads.bias);
  return grads;
}

}  // namespace mg::native
