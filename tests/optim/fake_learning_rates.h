#pragma once

#include <vector>

#include "optim/optimizer.h"

namespace mg::testing {

// Parameter groups reduced to their learning rates: what a scheduler sees of an optimizer.
class FakeLearningRates : public optim::LearningRates {
 public:
  explicit FakeLearningRates(std::vector<double> lrs) : initial_(lrs), lrs_(std::move(lrs)) {}
  std::size_t num_param_groups() const override { return lrs_.size(); }
  double lr(std::size_t group) const override { return lrs_.at(group); }
  void set_lr(std::size_t group, double lr) override { lrs_.at(group) = lr; }
  double initial_lr(std::size_t group) const override { return initial_.at(group); }
  const std::vector<double>& lrs() const { return lrs_; }

 private:
  std::vector<double> initial_;
  std::vector<double> lrs_;
};

}  // namespace mg::testing
