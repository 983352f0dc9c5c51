#include "autograd/gradcheck.h"

#include <cmath>
#include <sstream>

#include "autograd/engine.h"
#include "autograd/grad_mode.h"
#include "core/autograd_meta.h"
#include "core/creation.h"
#include "core/ops_copy.h"
#include "core/ops_elementwise.h"
#include "core/ops_reduction.h"
#include "core/random.h"

namespace mg::autograd {

namespace {

using Fn = std::function<Tensor(const std::vector<Tensor>&)>;

// The element at row-major position `index` of a float64 CPU tensor, through its strides.
double& element(const Tensor& t, std::int64_t index) {
  std::int64_t offset = 0;
  for (std::int64_t d = t.dim() - 1; d >= 0; --d) {
    offset += (index % t.size(d)) * t.stride(d);
    index /= t.size(d);
  }
  return t.data_ptr<double>()[offset];
}

Tensor evaluate(const Fn& fn, const std::vector<Tensor>& inputs) {
  NoGradGuard no_grad;
  return native::to(fn(inputs), kFloat64);
}

bool close(double analytic, double numeric, const GradcheckOptions& options) {
  return std::abs(analytic - numeric) <= options.atol + options.rtol * std::abs(numeric);
}

void clear_grad(const Tensor& t) {
  if (t.autograd_meta()) t.autograd_meta()->grad = Tensor();
}

// Gradient of <v, fn(inputs)> for input `which`, by backward.
Tensor analytic_vjp(const Fn& fn, const std::vector<Tensor>& inputs, std::size_t which,
                    const Tensor& v, const Tensor& output) {
  clear_grad(inputs[which]);
  backward({output}, {v}, true);
  const Tensor& grad = inputs[which].grad();
  return grad.defined() ? grad : zeros(inputs[which].shape(), kFloat64);
}

GradcheckResult fail(std::string message) {
  return {false, std::move(message)};
}

GradcheckResult check_full(const Fn& fn, const std::vector<Tensor>& inputs, std::size_t which,
                           const Tensor& output, const GradcheckOptions& options) {
  const Tensor& x = inputs[which];
  const std::int64_t n_in = x.numel(), n_out = output.numel();
  // numeric[i][j] = d out_j / d x_i
  std::vector<std::vector<double>> numeric(static_cast<std::size_t>(n_in));
  for (std::int64_t i = 0; i < n_in; ++i) {
    double& value = element(x, i);
    const double original = value;
    value = original + options.eps;
    const auto plus = evaluate(fn, inputs).to_vector<double>();
    value = original - options.eps;
    const auto minus = evaluate(fn, inputs).to_vector<double>();
    value = original;
    numeric[i].resize(static_cast<std::size_t>(n_out));
    for (std::int64_t j = 0; j < n_out; ++j)
      numeric[i][j] = (plus[j] - minus[j]) / (2 * options.eps);
  }
  for (std::int64_t j = 0; j < n_out; ++j) {
    Tensor one_hot = zeros(output.shape(), kFloat64);
    element(one_hot, j) = 1;
    const Tensor row = analytic_vjp(fn, inputs, which, one_hot, output);
    for (std::int64_t i = 0; i < n_in; ++i) {
      const double analytic = element(row, i);
      if (!close(analytic, numeric[i][j], options)) {
        return fail(str("gradcheck: input ", which, " ", describe(x), ", element ", i,
                        ", output element ", j, ": backward gives ", analytic,
                        ", finite differences give ", numeric[i][j]));
      }
    }
  }
  return {};
}

// The perturbations bump x's version, so the analytic side runs on a fresh forward pass.
GradcheckResult check_projected(const Fn& fn, const std::vector<Tensor>& inputs, std::size_t which,
                                const Tensor& output, const GradcheckOptions& options) {
  const Tensor& x = inputs[which];
  Generator generator(options.seed + which);
  for (int k = 0; k < options.projections; ++k) {
    const Tensor u = randn(x.shape(), kFloat64, &generator);
    const Tensor v = randn(output.shape(), kFloat64, &generator);
    const Tensor saved = native::clone(x);
    double numeric;
    {
      NoGradGuard no_grad;
      native::binary_(BinaryOp::Add, x, u, options.eps);
      const double plus =
          native::reduce(ReduceOp::Sum, native::binary(BinaryOp::Mul, evaluate(fn, inputs), v))
              .item<double>();
      native::copy_(x, saved);
      native::binary_(BinaryOp::Sub, x, u, options.eps);
      const double minus =
          native::reduce(ReduceOp::Sum, native::binary(BinaryOp::Mul, evaluate(fn, inputs), v))
              .item<double>();
      native::copy_(x, saved);
      numeric = (plus - minus) / (2 * options.eps);
    }
    const Tensor grad = analytic_vjp(fn, inputs, which, v, fn(inputs));
    const double analytic =
        native::reduce(ReduceOp::Sum, native::binary(BinaryOp::Mul, grad, u)).item<double>();
    if (!close(analytic, numeric, options)) {
      return fail(str("gradcheck: input ", which, " ", describe(x), ", random projection ", k,
                      ": vᵀJu by backward is ", analytic, ", by finite differences ", numeric));
    }
  }
  return {};
}

}  // namespace

GradcheckResult gradcheck(const Fn& fn, const std::vector<Tensor>& inputs,
                          const GradcheckOptions& options) {
  bool any = false;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    const Tensor& x = inputs[i];
    if (!x.defined() || !x.requires_grad()) continue;
    any = true;
    MG_CHECK(x.dtype() == kFloat64 && x.device().is_cpu(), "gradcheck: input ", i, " is ",
             describe(x), "; gradients are checked on float64 CPU tensors");
    MG_CHECK(x.is_leaf(), "gradcheck: input ", i, " must be a leaf tensor");
  }
  MG_CHECK(any, "gradcheck: no input requires gradients");
  const Tensor output = fn(inputs);
  MG_CHECK(output.defined() && output.dtype() == kFloat64, "gradcheck: the function must return ",
           "a float64 tensor, got ", describe(output));
  if (!output.requires_grad()) return fail("gradcheck: the output does not require gradients");
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    if (!inputs[i].defined() || !inputs[i].requires_grad()) continue;
    const bool full = inputs[i].numel() * output.numel() <= options.max_full_entries;
    // A fresh forward pass per input: the checks before it bumped the versions of tensors
    // that an older graph saved.
    const Tensor fresh = fn(inputs);
    GradcheckResult result = full ? check_full(fn, inputs, i, fresh, options)
                                  : check_projected(fn, inputs, i, fresh, options);
    if (!result) return result;
  }
  for (const Tensor& x : inputs) {
    if (x.defined()) clear_grad(x);
  }
  return {};
}

}  // namespace mg::autograd
