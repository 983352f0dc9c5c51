#pragma once

#include <vector>

#include "optim/optimizer.h"

namespace mg::optim {

// torch.optim.SGD's options (state_dict / ParamGroup names: lr, momentum, dampening,
// weight_decay, nesterov).
struct SGDOptions {
  double lr = 1e-3;  // torch has no default; maskgrad picks one
  double momentum = 0;
  double dampening = 0;
  double weight_decay = 0;
  bool nesterov = false;
};

// Stochastic gradient descent with PyTorch's semantics: d = g·factor + wd·p; with momentum the
// buffer is a copy of d on the first step and b ← momentum·b + (1 − dampening)·d after; Nesterov
// uses d + momentum·b, otherwise b; p ← p − lr·d. One fused pass per parameter.
// Strict masks: a buffer created in a step where a unit is masked starts at 0 for that unit, so
// with dampening ≠ 0 that unit's first real update is dampened (PyTorch has no masks).
class SGD : public Optimizer {
 public:
  SGD(std::vector<ParamGroup> groups, SGDOptions defaults = {});
  SGD(std::vector<Tensor> params, SGDOptions defaults = {});
  SGD(const std::vector<nn::NamedParameter>& params, SGDOptions defaults = {});

  const SGDOptions& options(std::size_t group) const;
  void set_options(std::size_t group, const SGDOptions& options);

 protected:
  std::vector<std::pair<std::string, double>> group_options(std::size_t group) const override;
  void set_group_option(std::size_t group, const std::string& name, double value) override;
  void resize_options(std::size_t groups) override;
  std::vector<std::string> buffer_names(std::size_t group) const override;
  void update(std::size_t group, const Tensor& param, const Tensor& grad,
              const nn::MaskUnits& units, const Tensor& factors, ParamState& state) override;

 private:
  SGDOptions defaults_;
  std::vector<SGDOptions> options_;
};

}  // namespace mg::optim
