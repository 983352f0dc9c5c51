#pragma once

#include "optim/lr_scheduler.h"

namespace mg::optim {

// Cosine annealing from each group's initial learning rate to eta_min over T_max epochs
// (torch.optim.lr_scheduler.CosineAnnealingLR), computed as PyTorch 1.13's step() does: the
// recursive form lr_t = (1 + cos(π t/T)) / (1 + cos(π (t-1)/T)) · (lr_{t-1} - eta_min) + eta_min,
// with the additive form at t = (2k+1)·T_max + 1 where the ratio would divide by zero. Past
// T_max the rate climbs back (no restarts: that is CosineAnnealingWarmRestarts). T_max >= 1;
// eta_min finite.
class CosineAnnealingLR final : public ChainableLRScheduler {
 public:
  CosineAnnealingLR(LearningRates& rates, std::int64_t T_max, double eta_min = 0);
  std::string name() const override { return "CosineAnnealingLR"; }

 private:
  std::vector<double> get_lr() const override;
  std::vector<double> closed_form_lr() const override;

  std::int64_t T_max_;
  double eta_min_;
};

}  // namespace mg::optim
