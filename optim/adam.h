#pragma once

#include <utility>
#include <vector>

#include "optim/optimizer.h"

namespace mg::optim {

// torch.optim.Adam's options (state_dict / ParamGroup names: lr, beta1, beta2, eps,
// weight_decay, amsgrad).
struct AdamOptions {
  double lr = 1e-3;
  std::pair<double, double> betas = {0.9, 0.999};
  double eps = 1e-8;
  double weight_decay = 0;
  bool amsgrad = false;
};

// torch.optim.AdamW's: the same with its default decoupled weight decay of 0.01.
struct AdamWOptions {
  double lr = 1e-3;
  std::pair<double, double> betas = {0.9, 0.999};
  double eps = 1e-8;
  double weight_decay = 1e-2;
  bool amsgrad = false;
  AdamOptions adam() const { return {lr, betas, eps, weight_decay, amsgrad}; }
};

// Adam with PyTorch's semantics (torch 1.13, single-tensor path): step t ← t + 1;
// g ← g·factor (+ wd·p, L2 decay); m ← β1·m + (1 − β1)·g; v ← β2·v + (1 − β2)·g²; with amsgrad
// v_max ← max(v_max, v) replaces v below; p ← p − lr/(1 − β1^t) · m / (√v / √(1 − β2^t) + eps).
// State: step, exp_avg, exp_avg_sq, max_exp_avg_sq (amsgrad). One fused pass per parameter.
// A strict mask leaves the step count of its factor-0 units alone, so from the first strict
// mask on the parameter keeps one count per unit (ParamState::unit_steps, state_dict "step" of
// shape [units]) and the bias correction is per unit.
class Adam : public Optimizer {
 public:
  Adam(std::vector<ParamGroup> groups, AdamOptions defaults = {});
  Adam(std::vector<Tensor> params, AdamOptions defaults = {});
  Adam(const std::vector<nn::NamedParameter>& params, AdamOptions defaults = {});

  const AdamOptions& options(std::size_t group) const;
  void set_options(std::size_t group, const AdamOptions& options);

 protected:
  // AdamW: decoupled weight decay, p ← p·(1 − lr·wd) before the moments.
  Adam(std::string name, bool decoupled, std::vector<ParamGroup> groups, AdamOptions defaults);

  std::vector<std::pair<std::string, double>> group_options(std::size_t group) const override;
  void set_group_option(std::size_t group, const std::string& name, double value) override;
  void resize_options(std::size_t groups) override;
  std::vector<std::string> buffer_names(std::size_t group) const override;
  void update(std::size_t group, const Tensor& param, const Tensor& grad,
              const nn::MaskUnits& units, const Tensor& factors, ParamState& state) override;

 private:
  void check(const AdamOptions& options) const;

  bool decoupled_ = false;
  AdamOptions defaults_;
  std::vector<AdamOptions> options_;
};

// torch.optim.AdamW: Adam with decoupled weight decay (p ← p·(1 − lr·wd) first, no L2 term).
class AdamW : public Adam {
 public:
  AdamW(std::vector<ParamGroup> groups, AdamWOptions defaults = {});
  AdamW(std::vector<Tensor> params, AdamWOptions defaults = {});
  AdamW(const std::vector<nn::NamedParameter>& params, AdamWOptions defaults = {});
};

}  // namespace mg::optim
