#include "optim/optimizer.h"

#include <cstdlib>

#include "autograd/ops.h"
#include "core/creation.h"
#include "core/error.h"

namespace mg::optim {

MaskMode parse_mask_mode(const std::string& name) {
  if (name == "grad") return MaskMode::Grad;
  if (name == "strict") return MaskMode::Strict;
  throw Error(str("mask mode \"", name, "\" is unknown: expected \"grad\" or \"strict\""));
}

std::string to_string(MaskMode mode) {
  return mode == MaskMode::Grad ? "grad" : "strict";
}

ParamGroup::ParamGroup(std::vector<Tensor> params, std::map<std::string, double> options)
    : params(std::move(params)),
      units(this->params.size(), nn::MaskUnits::element()),
      options(std::move(options)) {}

ParamGroup::ParamGroup(const std::vector<nn::NamedParameter>& named,
                       std::map<std::string, double> options)
    : options(std::move(options)) {
  for (const nn::NamedParameter& parameter : named) {
    params.push_back(parameter.tensor);
    units.push_back(parameter.units);
  }
}

Tensor* ParamState::find(const std::string& name) {
  for (auto& [key, tensor] : buffers)
    if (key == name) return &tensor;
  return nullptr;
}

void Optimizer::check_group(std::size_t group, const char* function) const {
  MG_CHECK(group < groups_.size(), name_, "::", function, ": group ", group, " out of range (",
           groups_.size(), " groups)");
}

void Optimizer::add_param_group(ParamGroup group) {
  const std::size_t g = groups_.size();
  MG_CHECK(group.units.size() == group.params.size(), name_,
           "::add_param_group: ", group.params.size(), " parameters but ", group.units.size(),
           " unit declarations");
  for (std::size_t i = 0; i < group.params.size(); ++i) {
    const Tensor& p = group.params[i];
    MG_CHECK(p.defined(), name_, "::add_param_group: parameter ", i, " is undefined");
    MG_CHECK(is_floating(p.dtype()), name_, "::add_param_group: parameter ", i,
             " must be floating-point, got ", describe(p));
    MG_CHECK(p.is_contiguous(), name_, "::add_param_group: parameter ", i,
             " must be contiguous, got ", describe(p));
    MG_CHECK(!locations_.count(p.impl()), name_, "::add_param_group: parameter ", i, " (",
             describe(p), ") appears in more than one parameter group");
    group.units[i].count(p.shape());  // throws when the units do not fit the shape
  }
  resize_options(g + 1);
  try {
    for (const auto& [key, value] : group.options)
      if (key != "initial_lr") set_group_option(g, key, value);
  } catch (...) {
    resize_options(g);  // leave the optimizer as it was
    throw;
  }
  for (std::size_t i = 0; i < group.params.size(); ++i)
    locations_[group.params[i].impl()] = Location{g, i};
  const auto initial = group.options.find("initial_lr");
  const bool has_initial = initial != group.options.end();
  const double initial_value = has_initial ? initial->second : 0.0;
  groups_.push_back(std::move(group));
  initial_lrs_.push_back(has_initial ? initial_value : lr(g));
}

void Optimizer::zero_grad() {
  for (const ParamGroup& group : groups_)
    for (Tensor p : group.params)
      if (p.grad().defined()) p.mutable_grad() = Tensor();
}

void Optimizer::set_mask(const Tensor& param, const Tensor& factors) {
  MG_CHECK(param.defined() && locations_.count(param.impl()), name_,
           "::set_mask: the parameter is not in this optimizer",
           param.defined() ? " (" + describe(param) + ")" : std::string());
  const Location at = locations_.at(param.impl());
  const nn::MaskUnits& units = groups_[at.group].units[at.index];
  const std::int64_t count = units.count(param.shape());
  MG_CHECK(factors.defined() && factors.dim() == 1 && factors.numel() == count, name_,
           "::set_mask: ", units.to_string(), " units of a parameter ", describe(param), " need ",
           count, " factors, got ", factors.defined() ? describe(factors) : "undefined");
  MG_CHECK(is_floating(factors.dtype()), name_, "::set_mask: factors must be floating-point, got ",
           describe(factors));
  NoGradGuard no_grad;
  // The update kernels read the factors where the parameter lives.
  masks_[param.impl()] = contiguous(to(to(factors.detach(), param.dtype()), param.device()));
}

const ParamState* Optimizer::state(const Tensor& param) const {
  const auto found = states_.find(param.impl());
  return found == states_.end() ? nullptr : &found->second;
}

void Optimizer::step() {
  NoGradGuard no_grad;
  for (std::size_t g = 0; g < groups_.size(); ++g) {
    const ParamGroup& group = groups_[g];
    for (std::size_t i = 0; i < group.params.size(); ++i) {
      const Tensor& p = group.params[i];
      const Tensor& grad = p.grad();
      if (!grad.defined()) continue;
      MG_CHECK(grad.shape() == p.shape() && grad.dtype() == p.dtype(), name_,
               "::step: the gradient ", describe(grad), " does not match the parameter ",
               describe(p));
      MG_CHECK(grad.device() == p.device(), name_, "::step: the gradient of ", describe(p),
               " is on ", grad.device(), ", the parameter on ", p.device());
      const auto mask = masks_.find(p.impl());
      update(g, p, grad.is_contiguous() ? grad : contiguous(grad), group.units[i],
             mask == masks_.end() ? Tensor() : mask->second, states_[p.impl()]);
      p.bump_version();
    }
  }
  masks_.clear();
}

double Optimizer::option(std::size_t group, const std::string& name) const {
  check_group(group, "option");
  if (name == "initial_lr") return initial_lrs_[group];
  for (const auto& [key, value] : group_options(group))
    if (key == name) return value;
  throw Error(str(name_, "::option: no option \"", name, "\""));
}

void Optimizer::set_option(std::size_t group, const std::string& name, double value) {
  check_group(group, "set_option");
  if (name == "initial_lr") {
    initial_lrs_[group] = value;
    return;
  }
  set_group_option(group, name, value);
}

double Optimizer::lr(std::size_t group) const {
  return option(group, "lr");
}
void Optimizer::set_lr(std::size_t group, double lr) {
  set_option(group, "lr", lr);
}
double Optimizer::initial_lr(std::size_t group) const {
  return option(group, "initial_lr");
}

nn::TensorList Optimizer::state_dict() const {
  nn::TensorList out;
  const auto scalar = [](double value) { return mg::scalar_tensor(value, kFloat64); };
  for (std::size_t g = 0; g < groups_.size(); ++g) {
    const std::string prefix = "group." + std::to_string(g) + ".";
    out.emplace_back(prefix + "num_params",
                     mg::scalar_tensor(static_cast<double>(groups_[g].params.size()), kInt64));
    out.emplace_back(prefix + "initial_lr", scalar(initial_lrs_[g]));
    for (const auto& [key, value] : group_options(g)) out.emplace_back(prefix + key, scalar(value));
  }
  NoGradGuard no_grad;
  for (std::size_t g = 0; g < groups_.size(); ++g) {
    for (std::size_t i = 0; i < groups_[g].params.size(); ++i) {
      const auto found = states_.find(groups_[g].params[i].impl());
      if (found == states_.end()) continue;
      const ParamState& state = found->second;
      const std::string prefix = "state." + std::to_string(g) + "." + std::to_string(i) + ".";
      if (state.unit_steps.defined())
        out.emplace_back(prefix + "step", clone(state.unit_steps));
      else if (state.step > 0)
        out.emplace_back(prefix + "step",
                         mg::scalar_tensor(static_cast<double>(state.step), kInt64));
      for (const auto& [key, tensor] : state.buffers) out.emplace_back(prefix + key, clone(tensor));
    }
  }
  return out;
}

void Optimizer::load_state_dict(const nn::TensorList& state_dict) {
  const std::string where = name_ + "::load_state_dict: ";
  std::map<std::string, Tensor> entries;
  for (const auto& [key, tensor] : state_dict) entries[key] = tensor;
  std::size_t groups_found = 0;
  while (entries.count("group." + std::to_string(groups_found) + ".num_params")) ++groups_found;
  MG_CHECK(groups_found == groups_.size(), where, "the state dict has ", groups_found,
           " parameter groups, the optimizer ", groups_.size());
  NoGradGuard no_grad;
  // Check everything before changing anything.
  std::vector<std::vector<std::pair<std::string, double>>> options(groups_.size());
  std::unordered_map<const TensorImpl*, ParamState> states;
  for (const auto& [key, tensor] : state_dict) {
    const auto fail = [&](const std::string& why) { throw Error(str(where, key, ": ", why)); };
    const std::size_t first_dot = key.find('.');
    const std::string kind = key.substr(0, first_dot);
    MG_CHECK(tensor.defined(), where, key, " is undefined");
    if (kind == "group") {
      const std::size_t second = key.find('.', first_dot + 1);
      if (second == std::string::npos) fail("expected group.<g>.<option>");
      const std::size_t g = std::strtoull(key.substr(first_dot + 1).c_str(), nullptr, 10);
      const std::string name = key.substr(second + 1);
      if (g >= groups_.size() || tensor.numel() != 1) fail("bad group entry " + describe(tensor));
      const double value = to(to(tensor, Device::cpu()), kFloat64).item<double>();
      if (name == "num_params") {
        if (value != static_cast<double>(groups_[g].params.size()))
          fail(str("group ", g, " has ", groups_[g].params.size(), " parameters, the state dict ",
                   value));
      } else {
        options[g].emplace_back(name, value);
      }
    } else if (kind == "state") {
      const std::size_t second = key.find('.', first_dot + 1);
      const std::size_t third = second == std::string::npos ? second : key.find('.', second + 1);
      if (third == std::string::npos) fail("expected state.<g>.<i>.<name>");
      const std::size_t g = std::strtoull(key.substr(first_dot + 1).c_str(), nullptr, 10);
      const std::size_t i = std::strtoull(key.substr(second + 1).c_str(), nullptr, 10);
      const std::string name = key.substr(third + 1);
      if (g >= groups_.size() || i >= groups_[g].params.size())
        fail(str("no parameter ", i, " in group ", g));
      const Tensor& p = groups_[g].params[i];
      ParamState& state = states[p.impl()];
      if (name == "step") {
        if (tensor.dim() == 0) {
          state.step = to(to(tensor, Device::cpu()), kInt64).item<std::int64_t>();
        } else {
          const std::int64_t units = groups_[g].units[i].count(p.shape());
          if (tensor.shape() != Shape{units})
            fail(str("per-unit steps of ", units, " units expected, got ", describe(tensor)));
          state.unit_steps = contiguous(clone(to(to(tensor, kInt64), p.device())));
        }
      } else {
        const std::vector<std::string> known = buffer_names(g);
        if (std::find(known.begin(), known.end(), name) == known.end())
          fail("unknown state for " + name_);
        if (tensor.shape() != p.shape())
          fail(str("expected the parameter's shape ", p.shape(), ", got ", describe(tensor)));
        state.buffers.emplace_back(name, contiguous(clone(to(to(tensor, p.dtype()), p.device()))));
      }
    } else {
      fail("unknown entry (expected group.* or state.*)");
    }
  }
  // Validate the options on a copy of each group's current values, then apply.
  std::vector<std::vector<std::pair<std::string, double>>> previous(groups_.size());
  for (std::size_t g = 0; g < groups_.size(); ++g) previous[g] = group_options(g);
  try {
    for (std::size_t g = 0; g < groups_.size(); ++g)
      for (const auto& [name, value] : options[g]) set_option(g, name, value);
  } catch (...) {
    for (std::size_t g = 0; g < groups_.size(); ++g)
      for (const auto& [name, value] : previous[g]) set_group_option(g, name, value);
    throw;
  }
  // Buffers in the optimizer's order.
  for (auto& [impl, state] : states) {
    const Location at = locations_.at(impl);
    nn::TensorList ordered;
    for (const std::string& name : buffer_names(at.group))
      if (Tensor* found = state.find(name)) ordered.emplace_back(name, *found);
    state.buffers = std::move(ordered);
  }
  states_ = std::move(states);
  masks_.clear();
}

}  // namespace mg::optim
