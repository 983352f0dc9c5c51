#pragma once

#include "optim/lr_scheduler.h"

namespace mg::optim {

// Multiplies each group's learning rate by gamma every step_size epochs (torch.optim.lr_scheduler
// .StepLR). step_size >= 1; gamma must be finite and > 0 (PyTorch does not check).
class StepLR final : public ChainableLRScheduler {
 public:
  StepLR(LearningRates& rates, std::int64_t step_size, double gamma = 0.1);
  std::string name() const override { return "StepLR"; }

 private:
  std::vector<double> get_lr() const override;
  std::vector<double> closed_form_lr() const override;

  std::int64_t step_size_;
  double gamma_;
};

}  // namespace mg::optim
