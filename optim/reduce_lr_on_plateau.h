#pragma once

#include <string>
#include <vector>

#include "optim/lr_scheduler.h"

namespace mg::optim {

// Multiplies the learning rates by `factor` once a metric has not improved for more than
// `patience` steps (torch.optim.lr_scheduler.ReduceLROnPlateau); after a reduction `cooldown`
// steps pass before bad steps count again. A step improves when the metric beats the best so far
// by the threshold: mode "min" with threshold_mode "rel": metric < best·(1 - threshold); "abs":
// metric < best - threshold; mode "max" mirrors both. A group's rate never goes below its min_lr
// and changes only when it would drop by more than eps.
// Not an LRScheduler (as in PyTorch): step takes the metric.
// Deviations: factor must be in [0, 1) (PyTorch only checks < 1); patience and cooldown
// >= 0; get_last_lr() before the first step gives the rates at construction (PyTorch has none).
class ReduceLROnPlateau {
 public:
  struct Options {
    std::string mode = "min";  // "min" or "max"
    double factor = 0.1;
    std::int64_t patience = 10;
    double threshold = 1e-4;
    std::string threshold_mode = "rel";  // "rel" or "abs"
    std::int64_t cooldown = 0;
    // One bound for every group, or one per group.
    std::vector<double> min_lr = {0.0};
    double eps = 1e-8;
  };

  ReduceLROnPlateau(LearningRates& rates, Options options);
  explicit ReduceLROnPlateau(LearningRates& rates) : ReduceLROnPlateau(rates, Options()) {}

  void step(double metric);
  const std::vector<double>& get_last_lr() const { return last_lr_; }
  std::int64_t last_epoch() const { return last_epoch_; }
  double best() const { return best_; }
  std::int64_t num_bad_epochs() const { return num_bad_epochs_; }
  std::int64_t cooldown_counter() const { return cooldown_counter_; }
  bool in_cooldown() const { return cooldown_counter_ > 0; }
  bool is_better(double metric, double best) const;

  // last_epoch, best (±inf before the first step), num_bad_epochs, cooldown_counter,
  // last_lr.<i>; the options come from the constructor (see lr_scheduler.h).
  SchedulerState state_dict() const;
  void load_state_dict(const SchedulerState& state);

 private:
  void reduce_lr();

  LearningRates* rates_;
  bool maximize_;
  bool relative_;
  Options options_;
  std::vector<double> min_lrs_;
  std::int64_t last_epoch_ = 0;
  double best_;
  std::int64_t num_bad_epochs_ = 0;
  std::int64_t cooldown_counter_ = 0;
  std::vector<double> last_lr_;
};

}  // namespace mg::optim
