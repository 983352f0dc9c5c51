#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "optim/optimizer.h"

// Learning-rate schedulers with torch.optim.lr_scheduler's semantics (PyTorch 1.13), written
// against LearningRates only. The concrete schedulers live one per file:
// step_lr.h, multi_step_lr.h, cosine_annealing_lr.h, linear_lr.h, sequential_lr.h and
// reduce_lr_on_plateau.h (optim/schedulers.h includes them all).
//
// Deviations from PyTorch, for every scheduler here:
//   - no `last_epoch` constructor argument: construction always starts a schedule (PyTorch's
//     last_epoch = -1, which the initial step turns into 0); resume with load_state_dict;
//   - state_dict() holds the progress only (epoch, step count, base and last learning rates),
//     as name → double; the hyper-parameters come from the constructor, so load into a scheduler
//     built with the same arguments. Loading checks the key set exactly (a missing or unknown
//     key, e.g. from a different number of parameter groups, is an mg::Error). As in PyTorch,
//     loading does not touch the optimizer's learning rates (the optimizer's own state holds
//     them);
//   - the scheduler keeps a reference to the LearningRates: it must outlive the scheduler.
namespace mg::optim {

using SchedulerState = std::map<std::string, double>;

class LRScheduler {
 public:
  virtual ~LRScheduler() = default;
  LRScheduler(const LRScheduler&) = delete;
  LRScheduler& operator=(const LRScheduler&) = delete;

  // Advances one epoch (or iteration) and writes the new learning rates.
  virtual void step() = 0;
  // The learning rates as of the last step (the initial step counts).
  const std::vector<double>& get_last_lr() const { return last_lr_; }
  std::int64_t last_epoch() const { return last_epoch_; }
  LearningRates& optimizer() const { return *rates_; }
  virtual std::string name() const = 0;

  virtual SchedulerState state_dict() const = 0;
  virtual void load_state_dict(const SchedulerState& state) = 0;

 protected:
  explicit LRScheduler(LearningRates& rates, std::int64_t last_epoch)
      : rates_(&rates), last_epoch_(last_epoch) {}
  std::vector<double> current_lrs() const;

  LearningRates* rates_;
  std::int64_t last_epoch_;
  std::vector<double> last_lr_;
};

// PyTorch's _LRScheduler: step() applies the chainable (recursive) form get_lr(), step(epoch)
// the closed form. Each concrete constructor validates its arguments and ends with
// initial_step(), which sets last_epoch to 0 and applies the schedule's first learning rate.
class ChainableLRScheduler : public LRScheduler {
 public:
  void step() override;
  // PyTorch's deprecated step(epoch): jumps to `epoch` through the closed form (SequentialLR
  // uses it with 0 when it switches schedulers).
  void step(std::int64_t epoch);
  const std::vector<double>& base_lrs() const { return base_lrs_; }

  // last_epoch, step_count, base_lrs.<i>, last_lr.<i>.
  SchedulerState state_dict() const override;
  void load_state_dict(const SchedulerState& state) override;

 protected:
  // base_lrs are the groups' initial learning rates; last_epoch starts at -1.
  explicit ChainableLRScheduler(LearningRates& rates);
  void initial_step();
  // The learning rates for last_epoch_ from the current ones (last_epoch_ already advanced).
  virtual std::vector<double> get_lr() const = 0;
  // The learning rates for last_epoch_ from base_lrs alone.
  virtual std::vector<double> closed_form_lr() const = 0;

  std::vector<double> base_lrs_;
  // How many steps ran, the initial one included (PyTorch's _step_count).
  std::int64_t step_count_ = 0;

 private:
  void apply(const std::vector<double>& lrs);
  friend class SequentialLR;
};

namespace detail {
// Reads `key` from `state` as an integer (the value must be integral); mg::Error naming
// `scheduler` otherwise.
std::int64_t state_integer(const SchedulerState& state, const std::string& key,
                           const std::string& scheduler);
double state_value(const SchedulerState& state, const std::string& key,
                   const std::string& scheduler);
// mg::Error naming `scheduler` unless `state` has exactly the keys of `expected`.
void check_state_keys(const SchedulerState& state, const SchedulerState& expected,
                      const std::string& scheduler);
}  // namespace detail

}  // namespace mg::optim
