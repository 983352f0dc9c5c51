#include "optim/linear_lr.h"

#include <algorithm>

#include "core/error.h"

namespace mg::optim {

LinearLR::LinearLR(LearningRates& rates, double start_factor, double end_factor,
                   std::int64_t total_iters)
    : ChainableLRScheduler(rates),
      start_factor_(start_factor),
      end_factor_(end_factor),
      total_iters_(total_iters) {
  MG_CHECK(start_factor > 0 && start_factor <= 1, "LinearLR: start_factor ", start_factor,
           " must be in (0, 1]");
  MG_CHECK(end_factor >= 0 && end_factor <= 1, "LinearLR: end_factor ", end_factor,
           " must be in [0, 1]");
  MG_CHECK(total_iters >= 1, "LinearLR: total_iters ", total_iters, " must be at least 1");
  initial_step();
}

// The expressions keep PyTorch's operation order so that the rates agree to the last bit or two.
std::vector<double> LinearLR::get_lr() const {
  std::vector<double> lrs = current_lrs();
  if (last_epoch_ == 0) {
    for (double& lr : lrs) lr *= start_factor_;
    return lrs;
  }
  if (last_epoch_ > total_iters_) return lrs;
  const double change = end_factor_ - start_factor_;
  const double ratio = 1. + change / (static_cast<double>(total_iters_) * start_factor_ +
                                      static_cast<double>(last_epoch_ - 1) * change);
  for (double& lr : lrs) lr *= ratio;
  return lrs;
}

std::vector<double> LinearLR::closed_form_lr() const {
  const double progress = static_cast<double>(std::min(total_iters_, last_epoch_));
  std::vector<double> lrs = base_lrs_;
  for (double& lr : lrs)
    lr *= start_factor_ +
          (end_factor_ - start_factor_) * progress / static_cast<double>(total_iters_);
  return lrs;
}

}  // namespace mg::optim
