#pragma once

#include <memory>

#include "optim/lr_scheduler.h"
#include "optim/reduce_lr_on_plateau.h"

// The learning-rate schedule of a run, stepped once per epoch: an LRScheduler (step,
// multistep, cosine), or ReduceLROnPlateau on the epoch's training loss (the paper's "×0.1 when
// the loss saturates"), or nothing.
namespace mg::train {

class EpochSchedule {
 public:
  EpochSchedule() = default;
  explicit EpochSchedule(std::unique_ptr<optim::LRScheduler> scheduler)
      : scheduler_(std::move(scheduler)) {}
  explicit EpochSchedule(std::unique_ptr<optim::ReduceLROnPlateau> plateau)
      : plateau_(std::move(plateau)) {}

  void step(double train_loss) {
    if (scheduler_) scheduler_->step();
    if (plateau_) plateau_->step(train_loss);
  }
  // Empty without a schedule.
  optim::SchedulerState state_dict() const {
    if (scheduler_) return scheduler_->state_dict();
    if (plateau_) return plateau_->state_dict();
    return {};
  }
  void load_state_dict(const optim::SchedulerState& state) {
    if (scheduler_) scheduler_->load_state_dict(state);
    if (plateau_) plateau_->load_state_dict(state);
  }

 private:
  std::unique_ptr<optim::LRScheduler> scheduler_;
  std::unique_ptr<optim::ReduceLROnPlateau> plateau_;
};

}  // namespace mg::train
