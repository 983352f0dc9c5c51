#include "optim/adam.h"

#include "autograd/ops.h"
#include "core/creation.h"
#include "core/error.h"
#include "optim/update_kernels.h"

namespace mg::optim {

Adam::Adam(std::string name, bool decoupled, std::vector<ParamGroup> groups, AdamOptions defaults)
    : Optimizer(std::move(name)), decoupled_(decoupled), defaults_(defaults) {
  check(defaults_);
  for (ParamGroup& group : groups) add_param_group(std::move(group));
}

Adam::Adam(std::vector<ParamGroup> groups, AdamOptions defaults)
    : Adam("Adam", false, std::move(groups), defaults) {}

Adam::Adam(std::vector<Tensor> params, AdamOptions defaults)
    : Adam(std::vector<ParamGroup>{ParamGroup(std::move(params))}, defaults) {}

Adam::Adam(const std::vector<nn::NamedParameter>& params, AdamOptions defaults)
    : Adam(std::vector<ParamGroup>{ParamGroup(params)}, defaults) {}

AdamW::AdamW(std::vector<ParamGroup> groups, AdamWOptions defaults)
    : Adam("AdamW", true, std::move(groups), defaults.adam()) {}

AdamW::AdamW(std::vector<Tensor> params, AdamWOptions defaults)
    : AdamW(std::vector<ParamGroup>{ParamGroup(std::move(params))}, defaults) {}

AdamW::AdamW(const std::vector<nn::NamedParameter>& params, AdamWOptions defaults)
    : AdamW(std::vector<ParamGroup>{ParamGroup(params)}, defaults) {}

void Adam::check(const AdamOptions& o) const {
  MG_CHECK(o.lr >= 0, name(), ": invalid learning rate ", o.lr);
  MG_CHECK(o.eps >= 0, name(), ": invalid epsilon ", o.eps);
  MG_CHECK(o.betas.first >= 0 && o.betas.first < 1, name(), ": invalid beta1 ", o.betas.first);
  MG_CHECK(o.betas.second >= 0 && o.betas.second < 1, name(), ": invalid beta2 ", o.betas.second);
  MG_CHECK(o.weight_decay >= 0, name(), ": invalid weight_decay ", o.weight_decay);
}

const AdamOptions& Adam::options(std::size_t group) const {
  check_group(group, "options");
  return options_[group];
}

void Adam::set_options(std::size_t group, const AdamOptions& options) {
  check_group(group, "set_options");
  check(options);
  options_[group] = options;
}

std::vector<std::pair<std::string, double>> Adam::group_options(std::size_t group) const {
  const AdamOptions& o = options_[group];
  return {{"lr", o.lr},   {"beta1", o.betas.first},         {"beta2", o.betas.second},
          {"eps", o.eps}, {"weight_decay", o.weight_decay}, {"amsgrad", o.amsgrad ? 1.0 : 0.0}};
}

void Adam::set_group_option(std::size_t group, const std::string& name, double value) {
  AdamOptions o = options_.at(group);
  if (name == "lr")
    o.lr = value;
  else if (name == "beta1")
    o.betas.first = value;
  else if (name == "beta2")
    o.betas.second = value;
  else if (name == "eps")
    o.eps = value;
  else if (name == "weight_decay")
    o.weight_decay = value;
  else if (name == "amsgrad")
    o.amsgrad = value != 0;
  else
    throw Error(str(this->name(), ": unknown option \"", name,
                    "\" (expected lr, beta1, beta2, eps, weight_decay, amsgrad)"));
  check(o);
  options_[group] = o;
}

void Adam::resize_options(std::size_t groups) {
  options_.resize(groups, defaults_);
}

std::vector<std::string> Adam::buffer_names(std::size_t group) const {
  return {"exp_avg", "exp_avg_sq", "max_exp_avg_sq"};
}

void Adam::update(std::size_t group, const Tensor& param, const Tensor& grad,
                  const nn::MaskUnits& units, const Tensor& factors, ParamState& state) {
  const AdamOptions& o = options_[group];
  const auto buffer = [&](const char* name) {
    Tensor* found = state.find(name);
    if (!found) {
      state.buffers.emplace_back(name, zeros(param.shape(), param.options()));
      found = &state.buffers.back().second;
    }
    return found->raw_data();
  };
  AdamArgs args;
  args.numel = param.numel();
  args.param = param.raw_data();
  args.grad = grad.raw_data();
  args.exp_avg = buffer("exp_avg");
  args.exp_avg_sq = buffer("exp_avg_sq");
  if (o.amsgrad) args.max_exp_avg_sq = buffer("max_exp_avg_sq");
  args.lr = o.lr;
  args.beta1 = o.betas.first;
  args.beta2 = o.betas.second;
  args.eps = o.eps;
  args.weight_decay = o.weight_decay;
  args.decoupled = decoupled_;

  const bool strict = factors.defined() && mask_mode() == MaskMode::Strict;
  const std::int64_t count = units.count(param.shape());
  const Device device = param.device();
  if (strict && !state.unit_steps.defined())
    state.unit_steps =
        full({count}, static_cast<double>(state.step), TensorOptions(kInt64).device(device));
  Tensor unit_factors = factors;
  if (state.unit_steps.defined()) {
    // Per-unit counts need the unit walk even without a mask: factors of 1 change nothing.
    if (!unit_factors.defined()) unit_factors = ones({count}, param.options());
    auto* steps = static_cast<std::int64_t*>(state.unit_steps.raw_data());
    if (device.is_cuda()) {
      count_unit_steps_cuda(device.index, param.dtype(), steps, unit_factors.raw_data(), count,
                            strict);
    } else {
      visit_floating(param.dtype(), "Adam", [&](auto zero) {
        using T = decltype(zero);
        const T* f = static_cast<const T*>(unit_factors.raw_data());
        for (std::int64_t u = 0; u < count; ++u)
          if (!strict || f[u] != T(0)) ++steps[u];
      });
    }
    args.unit_steps = steps;
  } else {
    args.step = ++state.step;
  }
  MaskArgs mask;
  if (unit_factors.defined()) {
    mask.factors = unit_factors.raw_data();
    mask.layout = unit_layout(units, param.shape());
    mask.strict = strict;
  }
  if (device.is_cuda())
    adam_update_cuda(device.index, param.dtype(), args, mask);
  else
    adam_update_cpu(param.dtype(), args, mask);
}

}  // namespace mg::optim
