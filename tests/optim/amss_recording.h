#pragma once

#include <map>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "autograd/ops.h"
#include "core/creation.h"
#include "core/ops_copy.h"
#include "layers/module.h"
#include "optim/amss.h"
#include "optim/sgd.h"

// What the AMSS tests read back from a step: the factors the optimizer actually applied, per
// parameter (RecordingSGD), and the step log by key.
namespace mg::testing {

// SGD that keeps the mask factors of its last step (one per registered unit of the parameter;
// absent for an unmasked parameter).
class RecordingSGD : public optim::SGD {
 public:
  using optim::SGD::SGD;

  // nullptr when the parameter got no mask in the last step.
  const std::vector<double>* factors(const Tensor& param) const {
    const auto it = factors_.find(param.impl());
    return it == factors_.end() ? nullptr : &it->second;
  }
  void clear() { factors_.clear(); }

 protected:
  void update(std::size_t group, const Tensor& param, const Tensor& grad,
              const nn::MaskUnits& units, const Tensor& factors,
              optim::ParamState& state) override {
    if (factors.defined())
      factors_[param.impl()] = native::to(factors, kFloat64).to_vector<double>();
    optim::SGD::update(group, param, grad, units, factors, state);
  }

 private:
  std::unordered_map<const TensorImpl*, std::vector<double>> factors_;
};

// A fresh model's slice logits are confidently wrong often enough that the significance guard
// fires (every ρ = 0.5). Shrinking the fusion head (weight × 0.01, bias 0) makes them near
// uniform, so that with four distinct labels score + H(Y) + 0.5 > 0 and ρ ≠ 0.5.
inline void calm_head(nn::Module& model) {
  const Tensor& weight = model.parameter("fusion_module.fc_out.weight");
  native::copy_(weight, mul(weight.detach(), 0.01));
  const Tensor& bias = model.parameter("fusion_module.fc_out.bias");
  native::copy_(bias, zeros_like(bias));
}

inline optim::Batch distinct_labels(optim::Batch batch) {
  batch.labels = from_vector<std::int64_t>({2, 3, 4, 5}, {4});
  return batch;
}

inline std::map<std::string, double> log_map(const optim::StepLog& log) {
  std::map<std::string, double> out;
  for (const auto& [key, value] : log) out[key] = value;
  return out;
}

inline std::int64_t nonzero(const std::vector<double>& factors, std::size_t begin = 0,
                            std::size_t end = SIZE_MAX) {
  std::int64_t count = 0;
  for (std::size_t i = begin; i < std::min(end, factors.size()); ++i) count += factors[i] != 0;
  return count;
}

}  // namespace mg::testing
