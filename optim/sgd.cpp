#include "optim/sgd.h"

#include "core/creation.h"
#include "core/error.h"
#include "optim/update_kernels.h"

namespace mg::optim {

namespace {

void check(const SGDOptions& o) {
  MG_CHECK(o.lr >= 0, "SGD: invalid learning rate ", o.lr);
  MG_CHECK(o.momentum >= 0, "SGD: invalid momentum ", o.momentum);
  MG_CHECK(o.weight_decay >= 0, "SGD: invalid weight_decay ", o.weight_decay);
  MG_CHECK(!o.nesterov || (o.momentum > 0 && o.dampening == 0),
           "SGD: Nesterov momentum requires a momentum and zero dampening, got momentum ",
           o.momentum, " and dampening ", o.dampening);
}

}  // namespace

SGD::SGD(std::vector<ParamGroup> groups, SGDOptions defaults)
    : Optimizer("SGD"), defaults_(defaults) {
  check(defaults_);
  for (ParamGroup& group : groups) add_param_group(std::move(group));
}

SGD::SGD(std::vector<Tensor> params, SGDOptions defaults)
    : SGD(std::vector<ParamGroup>{ParamGroup(std::move(params))}, defaults) {}

SGD::SGD(const std::vector<nn::NamedParameter>& params, SGDOptions defaults)
    : SGD(std::vector<ParamGroup>{ParamGroup(params)}, defaults) {}

const SGDOptions& SGD::options(std::size_t group) const {
  check_group(group, "options");
  return options_[group];
}

void SGD::set_options(std::size_t group, const SGDOptions& options) {
  check_group(group, "set_options");
  check(options);
  options_[group] = options;
}

std::vector<std::pair<std::string, double>> SGD::group_options(std::size_t group) const {
  const SGDOptions& o = options_[group];
  return {{"lr", o.lr},
          {"momentum", o.momentum},
          {"dampening", o.dampening},
          {"weight_decay", o.weight_decay},
          {"nesterov", o.nesterov ? 1.0 : 0.0}};
}

void SGD::set_group_option(std::size_t group, const std::string& name, double value) {
  SGDOptions o = options_.at(group);
  if (name == "lr")
    o.lr = value;
  else if (name == "momentum")
    o.momentum = value;
  else if (name == "dampening")
    o.dampening = value;
  else if (name == "weight_decay")
    o.weight_decay = value;
  else if (name == "nesterov")
    o.nesterov = value != 0;
  else
    throw Error(str("SGD: unknown option \"", name, "\" (expected lr, momentum, dampening, ",
                    "weight_decay, nesterov)"));
  check(o);
  options_[group] = o;
}

void SGD::resize_options(std::size_t groups) {
  options_.resize(groups, defaults_);
}

std::vector<std::string> SGD::buffer_names(std::size_t group) const {
  return {"momentum_buffer"};
}

void SGD::update(std::size_t group, const Tensor& param, const Tensor& grad,
                 const nn::MaskUnits& units, const Tensor& factors, ParamState& state) {
  const SGDOptions& o = options_[group];
  SgdArgs args;
  args.numel = param.numel();
  args.param = param.raw_data();
  args.grad = grad.raw_data();
  args.lr = o.lr;
  args.momentum = o.momentum;
  args.dampening = o.dampening;
  args.weight_decay = o.weight_decay;
  args.nesterov = o.nesterov;
  if (o.momentum != 0) {
    Tensor* buffer = state.find("momentum_buffer");
    if (!buffer) {
      state.buffers.emplace_back("momentum_buffer", empty(param.shape(), param.options()));
      buffer = &state.buffers.back().second;
      args.first_step = true;
    }
    args.momentum_buffer = buffer->raw_data();
  }
  MaskArgs mask;
  if (factors.defined()) {
    mask.factors = factors.raw_data();
    mask.layout = unit_layout(units, param.shape());
    mask.strict = mask_mode() == MaskMode::Strict;
  }
  if (param.device().is_cuda())
    sgd_update_cuda(param.device().index, param.dtype(), args, mask);
  else
    sgd_update_cpu(param.dtype(), args, mask);
}

}  // namespace mg::optim
