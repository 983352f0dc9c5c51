#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/tensor.h"
#include "layers/mask_units.h"
#include "layers/module.h"

// Optimizers over parameter groups, with native per-parameter masks (DESIGN.md section 5).
// This header is the contract the schedulers (optim/lr_scheduler.h) program against: a
// scheduler only reads and writes each group's learning rate.
namespace mg::optim {

// How a mask acts in the step it is set for (specs/amss.md §12, §17.3):
//   Grad    the gradient is multiplied by the per-unit factor before the update; momentum,
//           weight decay and Adam moments still move masked units (the reference code);
//   Strict  a unit with factor 0 keeps its value and its optimizer state bit for bit that step
//           (no weight decay, no momentum or moment update, no Adam step count); the others
//           update with their gradient multiplied by the factor (the paper's rule).
enum class MaskMode { Grad, Strict };
// "grad" or "strict"; anything else is an mg::Error listing both.
MaskMode parse_mask_mode(const std::string& name);
std::string to_string(MaskMode mode);

// What a learning-rate scheduler needs from an optimizer.
class LearningRates {
 public:
  virtual ~LearningRates() = default;
  virtual std::size_t num_param_groups() const = 0;
  virtual double lr(std::size_t group) const = 0;
  virtual void set_lr(std::size_t group, double lr) = 0;
  // The learning rate the group was created with (PyTorch's initial_lr).
  virtual double initial_lr(std::size_t group) const = 0;
};

// The parameters of one group, each with the units its mask is counted in (element units for
// plain tensors), and the options this group overrides, by their state_dict names ("lr",
// "momentum", "beta1", ...; booleans as 0/1), as torch.optim's {"params": ..., "lr": 0.1}.
struct ParamGroup {
  ParamGroup(std::vector<Tensor> params, std::map<std::string, double> options = {});
  ParamGroup(const std::vector<nn::NamedParameter>& params,
             std::map<std::string, double> options = {});

  std::vector<Tensor> params;
  std::vector<nn::MaskUnits> units;
  std::map<std::string, double> options;
};

// What an optimizer keeps for one parameter; its tensors live on the parameter's device.
struct ParamState {
  // Steps taken (Adam); a strict mask makes it per unit: `unit_steps`, int64 [units], then
  // holds each unit's count and `step` is no longer used.
  std::int64_t step = 0;
  Tensor unit_steps;
  // Name → tensor of the parameter's shape and dtype ("momentum_buffer", "exp_avg", ...).
  nn::TensorList buffers;

  // nullptr when absent.
  Tensor* find(const std::string& name);
};

// The base of SGD, Adam and AdamW: parameter groups, per-parameter state keyed by the
// parameter's identity (its TensorImpl), the masks of the coming step and state_dict.
//
// state_dict() is a flat name → tensor list that save_safetensors can write:
//   group.<g>.num_params          int64 0-d: parameters in group g (checked on load)
//   group.<g>.<option>            float64 0-d: every option of group g ("lr", "initial_lr",
//                                 "momentum", "beta1", "amsgrad" as 0/1, ...)
//   state.<g>.<i>.step            int64 0-d: Adam's step count of parameter i of group g; int64
//                                 [units] (per-unit counts) once a strict mask was applied to it
//   state.<g>.<i>.<buffer>        the parameter's state buffers, its shape and dtype:
//                                 momentum_buffer (SGD), exp_avg, exp_avg_sq, max_exp_avg_sq
//                                 (Adam, AdamW)
// Parameters with no state yet have no state.* entries, as in PyTorch.
class Optimizer : public LearningRates {
 public:
  ~Optimizer() override = default;

  // Updates every parameter that has a gradient (the others are skipped, as in PyTorch), with
  // the masks set since the last step, then clears the masks.
  void step();
  // Sets every gradient to none (PyTorch's set_to_none=True).
  void zero_grad();
  // Adds a group; options it does not override take the optimizer's defaults. A parameter may
  // be in one group only.
  void add_param_group(ParamGroup group);
  const std::vector<ParamGroup>& param_groups() const { return groups_; }

  // Per-unit factors for `param` in the next step() only: 1-d, units.count(param.shape()) long
  // (the units registered with the parameter), float32 or float64.
  void set_mask(const Tensor& param, const Tensor& factors);
  void set_mask_mode(MaskMode mode) { mask_mode_ = mode; }
  MaskMode mask_mode() const { return mask_mode_; }

  // The state of `param` (nullptr before its first update).
  const ParamState* state(const Tensor& param) const;

  nn::TensorList state_dict() const;
  // Replaces the state and the group options with those of `state_dict` (from an optimizer of
  // the same kind over groups of the same sizes); throws mg::Error on a mismatched group count
  // or size, a state tensor of the wrong shape, or an unknown entry.
  void load_state_dict(const nn::TensorList& state_dict);

  std::size_t num_param_groups() const override { return groups_.size(); }
  double lr(std::size_t group) const override;
  void set_lr(std::size_t group, double lr) override;
  double initial_lr(std::size_t group) const override;

  // "SGD", "Adam", "AdamW": starts error messages.
  const std::string& name() const { return name_; }
  // The options of a group by name, as state_dict writes them.
  double option(std::size_t group, const std::string& name) const;
  void set_option(std::size_t group, const std::string& name, double value);

 protected:
  explicit Optimizer(std::string name) : name_(std::move(name)) {}

  // The per-group options of the derived optimizer, by name.
  virtual std::vector<std::pair<std::string, double>> group_options(std::size_t group) const = 0;
  // Sets one option of `group`; throws mg::Error for an unknown name or a bad value.
  virtual void set_group_option(std::size_t group, const std::string& name, double value) = 0;
  // Keeps the options of the first `groups` groups; new groups get the defaults.
  virtual void resize_options(std::size_t groups) = 0;
  // The state buffers this optimizer keeps, in state_dict order.
  virtual std::vector<std::string> buffer_names(std::size_t group) const = 0;

  // Updates one parameter of `group` with `grad` (contiguous, the parameter's dtype). `factors`
  // is the mask (undefined: none; else contiguous, the parameter's dtype).
  virtual void update(std::size_t group, const Tensor& param, const Tensor& grad,
                      const nn::MaskUnits& units, const Tensor& factors, ParamState& state) = 0;

  void check_group(std::size_t group, const char* function) const;

 private:
  struct Location {
    std::size_t group;
    std::size_t index;
  };

  std::string name_;
  std::vector<ParamGroup> groups_;
  std::vector<double> initial_lrs_;
  std::unordered_map<const TensorImpl*, Location> locations_;
  std::unordered_map<const TensorImpl*, ParamState> states_;
  std::unordered_map<const TensorImpl*, Tensor> masks_;
  MaskMode mask_mode_ = MaskMode::Grad;
};

}  // namespace mg::optim
