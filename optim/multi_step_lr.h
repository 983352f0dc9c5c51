#pragma once

#include "optim/lr_scheduler.h"

namespace mg::optim {

// Multiplies each group's learning rate by gamma when the epoch reaches a milestone
// (torch.optim.lr_scheduler.MultiStepLR). Deviation: milestones must be strictly increasing and
// non-negative (PyTorch counts a repeated milestone as gamma², and never reaches a negative one);
// gamma must be finite and > 0.
class MultiStepLR final : public ChainableLRScheduler {
 public:
  MultiStepLR(LearningRates& rates, std::vector<std::int64_t> milestones, double gamma = 0.1);
  std::string name() const override { return "MultiStepLR"; }

 private:
  std::vector<double> get_lr() const override;
  std::vector<double> closed_form_lr() const override;

  std::vector<std::int64_t> milestones_;
  double gamma_;
};

}  // namespace mg::optim
