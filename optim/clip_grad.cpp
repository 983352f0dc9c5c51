#include "optim/clip_grad.h"

#include <cmath>

#include "autograd/ops.h"
#include "core/error.h"

namespace mg::optim {
namespace {

std::vector<Tensor> gradients(const std::vector<Tensor>& parameters) {
  std::vector<Tensor> grads;
  for (const Tensor& parameter : parameters)
    if (parameter.grad().defined()) grads.push_back(parameter.grad());
  return grads;
}

std::vector<Tensor> tensors(const std::vector<nn::NamedParameter>& parameters) {
  std::vector<Tensor> out;
  out.reserve(parameters.size());
  for (const auto& parameter : parameters) out.push_back(parameter.tensor);
  return out;
}

Tensor like(const Tensor& x, const Tensor& target) {
  Tensor out = x.device() == target.device() ? x : to(x, target.device());
  return out.dtype() == target.dtype() ? out : to(out, target.dtype());
}

}  // namespace

Tensor clip_grad_norm_(const std::vector<Tensor>& parameters, double max_norm, double norm_type,
                       bool error_if_nonfinite) {
  MG_CHECK(max_norm >= 0, "clip_grad_norm_: max_norm ", max_norm, " must be >= 0");
  MG_CHECK(norm_type >= 0, "clip_grad_norm_: norm_type ", norm_type, " must be >= 0 or infinity");
  NoGradGuard no_grad;
  const std::vector<Tensor> grads = gradients(parameters);
  if (grads.empty()) return scalar_tensor(0.0);
  const Device device = grads[0].device();
  const auto on_device = [&](const Tensor& x) { return x.device() == device ? x : to(x, device); };
  std::vector<Tensor> norms;
  norms.reserve(grads.size());
  for (const Tensor& grad : grads) {
    norms.push_back(on_device(norm_type == kInfNorm ? max(abs(grad)) : norm(grad, norm_type)));
  }
  Tensor total;
  if (norm_type == kInfNorm) {
    total = norms.size() == 1 ? norms[0] : max(stack(norms));
  } else {
    total = norm(stack(norms), norm_type);
  }
  if (error_if_nonfinite) {
    const double value = total.item<double>();
    MG_CHECK(std::isfinite(value), "clip_grad_norm_: the total norm of order ", norm_type,
             " of the gradients is ", value,
             ", so they cannot be clipped (error_if_nonfinite is set)");
  }
  const Tensor coefficient = clamp(max_norm / add(total, 1e-6), std::nullopt, 1.0);
  for (const Tensor& grad : grads) mul_(grad, like(coefficient, grad));
  return total;
}

Tensor clip_grad_norm_(const std::vector<nn::NamedParameter>& parameters, double max_norm,
                       double norm_type, bool error_if_nonfinite) {
  return clip_grad_norm_(tensors(parameters), max_norm, norm_type, error_if_nonfinite);
}

void clip_grad_value_(const std::vector<Tensor>& parameters, double clip_value) {
  MG_CHECK(clip_value >= 0, "clip_grad_value_: clip_value ", clip_value, " must be >= 0");
  NoGradGuard no_grad;
  for (const Tensor& grad : gradients(parameters)) clamp_(grad, -clip_value, clip_value);
}

void clip_grad_value_(const std::vector<nn::NamedParameter>& parameters, double clip_value) {
  clip_grad_value_(tensors(parameters), clip_value);
}

}  // namespace mg::optim
