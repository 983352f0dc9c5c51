#pragma once

#include <memory>

#include "optim/lr_scheduler.h"

namespace mg::optim {

// Runs schedulers one after another, switching at the milestones
// (torch.optim.lr_scheduler.SequentialLR): schedulers[i] drives epochs [milestones[i-1],
// milestones[i]); at a milestone the next one restarts at its epoch 0 through its closed form.
// Warm-up then cosine annealing:
//   auto warmup = std::make_shared<LinearLR>(optimizer, 0.1, 1.0, 5);
//   auto cosine = std::make_shared<CosineAnnealingLR>(optimizer, 55);
//   SequentialLR schedule(optimizer, {warmup, cosine}, {5});
// Construction restores the initial learning rates, rewinds every scheduler by one epoch (undoing
// the step their own construction made) and re-runs the first one's initial step, as PyTorch does.
// Every scheduler must drive `rates`; milestones must be strictly increasing (PyTorch does not
// check) and number one fewer than the schedulers.
// state_dict: last_epoch, last_lr.<i> and each scheduler's entries under "schedulers.<k>.".
class SequentialLR final : public LRScheduler {
 public:
  SequentialLR(LearningRates& rates, std::vector<std::shared_ptr<ChainableLRScheduler>> schedulers,
               std::vector<std::int64_t> milestones);
  void step() override;
  std::string name() const override { return "SequentialLR"; }

  SchedulerState state_dict() const override;
  void load_state_dict(const SchedulerState& state) override;

 private:
  std::vector<std::shared_ptr<ChainableLRScheduler>> schedulers_;
  std::vector<std::int64_t> milestones_;
};

}  // namespace mg::optim
