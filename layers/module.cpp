#include "layers/module.h"

#include <algorithm>
#include <set>
#include <sstream>

#include "autograd/grad_mode.h"
#include "core/error.h"
#include "core/ops_copy.h"
#include "core/safetensors.h"

namespace mg::nn {

std::string LoadReport::to_string() const {
  std::ostringstream out;
  for (const auto& name : missing) out << "missing: " << name << "\n";
  for (const auto& name : unexpected) out << "unexpected: " << name << "\n";
  for (const auto& entry : mismatched) out << "mismatched: " << entry << "\n";
  return out.str();
}

Module::Module(std::string type_name) : type_name_(std::move(type_name)) {}

Tensor Module::forward(const Tensor& /*input*/) {
  throw Error(str(type_name_, ": this module has no forward(Tensor); call its own forward"));
}

void Module::check_new_name(const std::string& name, const char* what) const {
  MG_CHECK(!name.empty() && name.find('.') == std::string::npos, type_name_, ": ", what, " name \"",
           name, "\" must be non-empty and contain no '.'");
  const auto taken = [&](const Slots& slots) {
    return std::any_of(slots.begin(), slots.end(), [&](const auto& s) { return s->name == name; });
  };
  const bool child_taken = std::any_of(children_.begin(), children_.end(),
                                       [&](const auto& child) { return child.first == name; });
  MG_CHECK(!taken(parameters_) && !taken(buffers_) && !child_taken, type_name_, ": ", what,
           " name \"", name, "\" is already registered");
}

Tensor& Module::register_parameter(const std::string& name, Tensor tensor, bool requires_grad,
                                   MaskUnits units) {
  check_new_name(name, "parameter");
  if (tensor.defined()) {
    MG_CHECK(is_floating(tensor.dtype()), type_name_, ": parameter \"", name,
             "\" must be floating point, got ", describe(tensor));
    MG_CHECK(tensor.is_leaf(), type_name_, ": parameter \"", name,
             "\" must be a leaf tensor; detach() it first");
    units.count(tensor.shape());  // throws when the partition does not fit
    tensor.requires_grad_(requires_grad);
  }
  parameters_.push_back(std::make_unique<Slot>(Slot{name, std::move(tensor), units}));
  return parameters_.back()->tensor;
}

Tensor& Module::register_buffer(const std::string& name, Tensor tensor) {
  check_new_name(name, "buffer");
  buffers_.push_back(std::make_unique<Slot>(Slot{name, std::move(tensor), MaskUnits()}));
  return buffers_.back()->tensor;
}

void Module::add_module(const std::string& name, std::shared_ptr<Module> module) {
  check_new_name(name, "submodule");
  MG_CHECK(module != nullptr, type_name_, ": submodule \"", name, "\" is null");
  children_.emplace_back(name, std::move(module));
}

void Module::set_module(const std::string& name, std::shared_ptr<Module> module) {
  MG_CHECK(module != nullptr, type_name_, ": submodule \"", name, "\" is null");
  for (auto& child : children_) {
    if (child.first != name) continue;
    child.second = std::move(module);
    return;
  }
  throw Error(str(type_name_, ": no submodule \"", name, "\" to replace"));
}

void Module::collect_parameters(const std::string& prefix, std::vector<NamedParameter>& out) const {
  for (const auto& slot : parameters_)
    if (slot->tensor.defined()) out.push_back({prefix + slot->name, slot->tensor, slot->units});
  for (const auto& [name, child] : children_) child->collect_parameters(prefix + name + ".", out);
}

void Module::collect_buffers(const std::string& prefix, TensorList& out) const {
  for (const auto& slot : buffers_)
    if (slot->tensor.defined()) out.emplace_back(prefix + slot->name, slot->tensor);
  for (const auto& [name, child] : children_) child->collect_buffers(prefix + name + ".", out);
}

void Module::collect_state(const std::string& prefix, TensorList& out) const {
  for (const auto& slot : parameters_)
    if (slot->tensor.defined()) out.emplace_back(prefix + slot->name, slot->tensor);
  for (const auto& slot : buffers_)
    if (slot->tensor.defined()) out.emplace_back(prefix + slot->name, slot->tensor);
  for (const auto& [name, child] : children_) child->collect_state(prefix + name + ".", out);
}

std::vector<NamedParameter> Module::named_parameters(bool recurse) const {
  std::vector<NamedParameter> out;
  if (recurse) {
    collect_parameters("", out);
  } else {
    for (const auto& slot : parameters_)
      if (slot->tensor.defined()) out.push_back({slot->name, slot->tensor, slot->units});
  }
  return out;
}

std::vector<Tensor> Module::parameters(bool recurse) const {
  std::vector<Tensor> out;
  for (auto& parameter : named_parameters(recurse)) out.push_back(std::move(parameter.tensor));
  return out;
}

TensorList Module::named_buffers(bool recurse) const {
  TensorList out;
  if (recurse) {
    collect_buffers("", out);
  } else {
    for (const auto& slot : buffers_)
      if (slot->tensor.defined()) out.emplace_back(slot->name, slot->tensor);
  }
  return out;
}

std::vector<Tensor> Module::buffers(bool recurse) const {
  std::vector<Tensor> out;
  for (auto& entry : named_buffers(recurse)) out.push_back(std::move(entry.second));
  return out;
}

std::vector<std::shared_ptr<Module>> Module::children() const {
  std::vector<std::shared_ptr<Module>> out;
  for (const auto& child : children_) out.push_back(child.second);
  return out;
}

std::vector<std::pair<std::string, std::shared_ptr<Module>>> Module::named_children() const {
  return children_;
}

std::vector<std::pair<std::string, std::shared_ptr<Module>>> Module::named_modules() {
  // A non-owning handle to this module, which callers always hold through a shared_ptr.
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> out{
      {"", std::shared_ptr<Module>(std::shared_ptr<Module>(), this)}};
  for (const auto& [name, child] : children_) {
    for (auto& [sub_name, sub] : child->named_modules())
      out.emplace_back(sub_name.empty() ? name : name + "." + sub_name, sub);
  }
  return out;
}

Module::Slot* Module::find_slot(const Slots& slots, const std::string& dotted_name,
                                const Module** owner) const {
  const auto dot = dotted_name.find('.');
  if (dot == std::string::npos) {
    for (const auto& slot : slots)
      if (slot->name == dotted_name) {
        if (owner) *owner = this;
        return slot.get();
      }
    return nullptr;
  }
  const std::string head = dotted_name.substr(0, dot);
  for (const auto& [name, child] : children_) {
    if (name != head) continue;
    const Slots& child_slots = &slots == &parameters_ ? child->parameters_ : child->buffers_;
    return child->find_slot(child_slots, dotted_name.substr(dot + 1), owner);
  }
  return nullptr;
}

const Tensor& Module::parameter(const std::string& dotted_name) const {
  const Slot* slot = find_slot(parameters_, dotted_name);
  MG_CHECK(slot != nullptr && slot->tensor.defined(), type_name_, ": no parameter \"", dotted_name,
           "\"");
  return slot->tensor;
}

const Tensor& Module::buffer(const std::string& dotted_name) const {
  const Slot* slot = find_slot(buffers_, dotted_name);
  MG_CHECK(slot != nullptr && slot->tensor.defined(), type_name_, ": no buffer \"", dotted_name,
           "\"");
  return slot->tensor;
}

std::shared_ptr<Module> Module::submodule(const std::string& dotted_name) const {
  const auto dot = dotted_name.find('.');
  const std::string head = dotted_name.substr(0, dot);
  for (const auto& [name, child] : children_) {
    if (name != head) continue;
    return dot == std::string::npos ? child : child->submodule(dotted_name.substr(dot + 1));
  }
  throw Error(str(type_name_, ": no submodule \"", dotted_name, "\""));
}

std::int64_t Module::parameter_count() const {
  std::int64_t count = 0;
  for (const auto& parameter : named_parameters()) count += parameter.tensor.numel();
  return count;
}

const MaskUnits& Module::mask_units(const std::string& dotted_name) const {
  const Slot* slot = find_slot(parameters_, dotted_name);
  MG_CHECK(slot != nullptr && slot->tensor.defined(), type_name_, ": no parameter \"", dotted_name,
           "\"");
  return slot->units;
}

void Module::set_mask_units(const std::string& dotted_name, MaskUnits units) {
  Slot* slot = find_slot(parameters_, dotted_name);
  MG_CHECK(slot != nullptr && slot->tensor.defined(), type_name_, ": no parameter \"", dotted_name,
           "\"");
  units.count(slot->tensor.shape());
  slot->units = units;
}

void Module::train(bool on) {
  training_ = on;
  on_train(on);
  for (const auto& child : children_) child.second->train(on);
}

template <typename Convert>
void Module::convert_all(const Convert& convert) {
  // Convert everything first, then swap: a failed conversion (a missing device, memory) leaves
  // the module as it was.
  NoGradGuard no_grad;
  std::vector<std::pair<Tensor, Tensor>> swaps;  // tensor, its converted data
  std::vector<std::pair<Tensor*, Tensor>> grads;
  std::vector<Module*> pending{this};
  while (!pending.empty()) {
    Module* module = pending.back();
    pending.pop_back();
    for (const auto& slot : module->parameters_) {
      if (!slot->tensor.defined()) continue;
      swaps.emplace_back(slot->tensor, convert(slot->tensor, true));
      Tensor& grad = slot->tensor.mutable_grad();
      if (grad.defined()) grads.emplace_back(&grad, convert(grad, true));
    }
    for (const auto& slot : module->buffers_)
      if (slot->tensor.defined()) swaps.emplace_back(slot->tensor, convert(slot->tensor, false));
    for (const auto& child : module->children_) pending.push_back(child.second.get());
  }
  for (const auto& [tensor, data] : swaps) tensor.set_data(data);
  for (auto& [grad, converted] : grads) *grad = std::move(converted);
}

void Module::to(Device device) {
  convert_all([&](const Tensor& t, bool) { return native::to(t, device); });
}

void Module::to(DType dtype) {
  MG_CHECK(is_floating(dtype), type_name_, ": to(dtype) needs a floating-point dtype, got ", dtype);
  convert_all([&](const Tensor& t, bool is_parameter) {
    return is_parameter || is_floating(t.dtype()) ? native::to(t, dtype) : t;
  });
}

void Module::zero_grad() {
  for (const auto& parameter : named_parameters()) {
    Tensor handle = parameter.tensor;
    handle.mutable_grad() = Tensor();
  }
}

TensorList Module::state_dict() const {
  TensorList out;
  collect_state("", out);
  return out;
}

LoadReport Module::load_state_dict(const TensorList& state, bool strict) {
  LoadReport report;
  std::map<std::string, const Tensor*> given;
  for (const auto& [name, tensor] : state) {
    MG_CHECK(given.emplace(name, &tensor).second, type_name_,
             ": load_state_dict got two entries named \"", name, "\"");
  }
  std::vector<std::pair<Tensor, const Tensor*>> copies;  // destination, source
  std::vector<std::pair<Module*, std::string>> resets;   // optional state found absent
  std::set<std::string> known;
  for (const auto& [name, destination] : state_dict()) {
    known.insert(name);
    const auto found = given.find(name);
    if (found == given.end()) {
      const auto dot = name.rfind('.');
      Module* owner = dot == std::string::npos ? this : submodule(name.substr(0, dot)).get();
      const std::string local = dot == std::string::npos ? name : name.substr(dot + 1);
      if (owner->is_optional_state(local))
        resets.emplace_back(owner, local);
      else
        report.missing.push_back(name);
    } else if (found->second->shape() != destination.shape()) {
      report.mismatched.push_back(
          str(name, ": expected ", destination.shape(), ", got ", found->second->shape()));
    } else {
      copies.emplace_back(destination, found->second);
    }
  }
  for (const auto& [name, tensor] : state)
    if (!known.count(name)) report.unexpected.push_back(name);
  MG_CHECK(!strict || report.ok(), type_name_, ": load_state_dict found ", report.missing.size(),
           " missing, ", report.unexpected.size(), " unexpected and ", report.mismatched.size(),
           " mis-shaped entries:\n", report.to_string());
  // Convert every source before writing any destination, so a failure changes nothing.
  NoGradGuard no_grad;
  std::vector<Tensor> sources;
  for (const auto& [destination, source] : copies)
    sources.push_back(native::to(native::to(*source, destination.device()), destination.dtype()));
  for (std::size_t i = 0; i < copies.size(); ++i) native::copy_(copies[i].first, sources[i]);
  for (const auto& [owner, local] : resets) owner->reset_optional_state(local);
  return report;
}

void Module::save(const std::string& path) const {
  save_safetensors(path, state_dict());
}

LoadReport Module::load(const std::string& path, bool strict) {
  return load_state_dict(load_safetensors(path).tensors, strict);
}

void Module::print(std::ostream& out, const std::string& name, int indent) const {
  out << std::string(indent, ' ') << (name.empty() ? "" : name + ": ") << type_name_;
  for (const auto& slot : parameters_)
    if (slot->tensor.defined()) out << " " << slot->name << slot->tensor.shape();
  out << "\n";
  for (const auto& [child_name, child] : children_) child->print(out, child_name, indent + 2);
}

std::string Module::to_string() const {
  std::ostringstream out;
  print(out, "", 0);
  return out.str();
}

}  // namespace mg::nn
