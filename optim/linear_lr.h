#pragma once

#include "optim/lr_scheduler.h"

namespace mg::optim {

// Scales each group's initial learning rate by a factor that moves linearly from start_factor
// (epoch 0) to end_factor (epoch total_iters), then stays (torch.optim.lr_scheduler.LinearLR).
// Linear warm-up is LinearLR with start_factor < 1 and end_factor = 1; chain it with the main
// schedule through SequentialLR (sequential_lr.h).
// Deviation: start_factor must be in (0, 1] (PyTorch 1.13 accepts 0 and then divides by zero at
// epoch 1), end_factor in [0, 1], total_iters >= 1.
class LinearLR final : public ChainableLRScheduler {
 public:
  LinearLR(LearningRates& rates, double start_factor = 1.0 / 3, double end_factor = 1.0,
           std::int64_t total_iters = 5);
  std::string name() const override { return "LinearLR"; }

 private:
  std::vector<double> get_lr() const override;
  std::vector<double> closed_form_lr() const override;

  double start_factor_;
  double end_factor_;
  std::int64_t total_iters_;
};

}  // namespace mg::optim
