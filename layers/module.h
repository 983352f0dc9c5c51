#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/device.h"
#include "core/dtype.h"
#include "core/tensor.h"
#include "layers/mask_units.h"

namespace mg::nn {

// A parameter as the optimizer and the mask pipeline see it.
struct NamedParameter {
  std::string name;  // dotted path from the module it was listed from: "layer1.0.conv1.weight"
  Tensor tensor;
  MaskUnits units;
};

// Name → tensor, in registration order (what state_dict() returns and safetensors stores).
using TensorList = std::vector<std::pair<std::string, Tensor>>;

// What load_state_dict found. With strict loading any entry here is an error instead.
struct LoadReport {
  std::vector<std::string> missing;     // in the module, absent from the state dict
  std::vector<std::string> unexpected;  // in the state dict, not in the module
  std::vector<std::string> mismatched;  // "name: expected [64, 3, 7, 7], got [64, 1, 7, 7]"
  bool ok() const { return missing.empty() && unexpected.empty() && mismatched.empty(); }
  // One line per problem, empty when ok().
  std::string to_string() const;
};

// The base of every layer and model, after libtorch's torch::nn::Module: a module owns named
// parameters (tensors the optimizer trains), buffers (state that is saved but not trained, such
// as batch-norm running statistics) and submodules, all kept in registration order.
//
// Modules are created with std::make_shared and handled through shared_ptr; they are neither
// copied nor moved, because the registry holds the very tensors a layer computes with.
// Parameters are leaves that require gradients; `to(device)` and `to(dtype)` swap their data in
// place (Tensor::set_data), so handles a layer keeps stay valid.
class Module {
 public:
  explicit Module(std::string type_name = "Module");
  virtual ~Module() = default;
  Module(const Module&) = delete;
  Module& operator=(const Module&) = delete;

  // "Linear", "ResNet", ...: what error messages and printing call this module.
  const std::string& type_name() const { return type_name_; }

  // The one-tensor forward that Sequential chains. Modules with other signatures (several
  // inputs, several outputs) define their own `forward` and leave this one throwing.
  virtual Tensor forward(const Tensor& input);
  Tensor operator()(const Tensor& input) { return forward(input); }

  // Registration. Names are unique within a module and contain no dot. A parameter must be a
  // floating-point leaf; it is made to require gradients unless `requires_grad` is false.
  // An undefined tensor registers an absent parameter (a Linear without bias): it is skipped by
  // parameters() and state_dict().
  Tensor& register_parameter(const std::string& name, Tensor tensor, bool requires_grad = true,
                             MaskUnits units = MaskUnits::element());
  Tensor& register_buffer(const std::string& name, Tensor tensor);
  template <typename M>
  std::shared_ptr<M> register_module(const std::string& name, std::shared_ptr<M> module) {
    add_module(name, module);
    return module;
  }
  // Listing, depth-first in registration order, parameters of a module before its children's.
  std::vector<Tensor> parameters(bool recurse = true) const;
  std::vector<NamedParameter> named_parameters(bool recurse = true) const;
  std::vector<Tensor> buffers(bool recurse = true) const;
  TensorList named_buffers(bool recurse = true) const;
  std::vector<std::shared_ptr<Module>> children() const;
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> named_children() const;
  // This module ("" as its name) and every descendant with its dotted name. The entry for this
  // module does not own it: keep it no longer than the module itself lives.
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> named_modules();
  // Throws mg::Error naming the path when there is no such entry.
  const Tensor& parameter(const std::string& dotted_name) const;
  const Tensor& buffer(const std::string& dotted_name) const;
  std::shared_ptr<Module> submodule(const std::string& dotted_name) const;
  // The number of scalars in all parameters (parameters that do not require gradients
  // included, as in sum(p.numel() for p in module.parameters())).
  std::int64_t parameter_count() const;

  // Mode: dropout and batch norm behave differently in training and evaluation.
  void train(bool on = true);
  void eval() { train(false); }
  bool is_training() const { return training_; }

  // Moves or converts every parameter and buffer (and existing gradients); floating-point
  // buffers follow a dtype change, integer ones (num_batches_tracked) keep theirs. All or
  // nothing: when a conversion fails, no tensor has moved.
  void to(Device device);
  void to(DType dtype);
  // Drops every parameter's gradient (set_to_none, as PyTorch does by default).
  void zero_grad();

  // Parameters then buffers of each module, depth-first, dotted names: PyTorch's key order.
  TensorList state_dict() const;
  // Copies values in (converting dtype and device to the module's); with `strict` any missing,
  // unexpected or mis-shaped entry is an mg::Error listing all of them and nothing is copied;
  // without it the matching entries are copied and the rest reported. Two entries with one name
  // are an error. State a module declares optional (batch norm's num_batches_tracked, which
  // PyTorch also fills in for old checkpoints) is reset, not reported, when absent.
  LoadReport load_state_dict(const TensorList& state, bool strict = true);
  // The state dict as a safetensors file (written to a temporary file, then renamed) and back.
  void save(const std::string& path) const;
  LoadReport load(const std::string& path, bool strict = true);

  // The mask units of the parameter `dotted_name`.
  const MaskUnits& mask_units(const std::string& dotted_name) const;
  // Overrides the units a layer declared (a custom partition for an experiment).
  void set_mask_units(const std::string& dotted_name, MaskUnits units);

  // An indented tree of submodule names and types, with parameter shapes.
  std::string to_string() const;

 protected:
  // Called by train(); layers with their own notion of mode override it and call the base.
  virtual void on_train(bool /*on*/) {}
  // Swaps a registered submodule for another. Only for a module that also points its own
  // member at the new one (its forward would otherwise keep running the old module).
  template <typename M>
  std::shared_ptr<M> replace_module(const std::string& name, std::shared_ptr<M> module) {
    set_module(name, module);
    return module;
  }
  // Whether load_state_dict may find this module's own entry `name` absent; it then calls
  // reset_optional_state(name).
  virtual bool is_optional_state(const std::string& /*name*/) const { return false; }
  virtual void reset_optional_state(const std::string& /*name*/) {}

 private:
  struct Slot {
    std::string name;
    Tensor tensor;
    MaskUnits units;
  };
  // Slots live in unique_ptrs so the references register_* return stay valid.
  using Slots = std::vector<std::unique_ptr<Slot>>;

  void add_module(const std::string& name, std::shared_ptr<Module> module);
  void set_module(const std::string& name, std::shared_ptr<Module> module);
  void check_new_name(const std::string& name, const char* what) const;
  Slot* find_slot(const Slots& slots, const std::string& dotted_name,
                  const Module** owner = nullptr) const;
  void collect_parameters(const std::string& prefix, std::vector<NamedParameter>& out) const;
  void collect_buffers(const std::string& prefix, TensorList& out) const;
  void collect_state(const std::string& prefix, TensorList& out) const;
  void print(std::ostream& out, const std::string& name, int indent) const;
  template <typename Convert>
  void convert_all(const Convert& convert);

  std::string type_name_;
  bool training_ = true;
  Slots parameters_;
  Slots buffers_;
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> children_;
};

// Restores a module's training mode when the scope ends (an exception included): for passes that
// switch a model to evaluation mode in the middle of training (PMR's prototypes, AGM's
// zero-input passes).
class TrainingModeGuard {
 public:
  explicit TrainingModeGuard(Module& module) : module_(module), training_(module.is_training()) {}
  ~TrainingModeGuard() { module_.train(training_); }
  TrainingModeGuard(const TrainingModeGuard&) = delete;
  TrainingModeGuard& operator=(const TrainingModeGuard&) = delete;

 private:
  Module& module_;
  bool training_;
};

}  // namespace mg::nn
