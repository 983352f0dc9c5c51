#include "optim/step_lr.h"

#include <cmath>

#include "core/error.h"

namespace mg::optim {

StepLR::StepLR(LearningRates& rates, std::int64_t step_size, double gamma)
    : ChainableLRScheduler(rates), step_size_(step_size), gamma_(gamma) {
  MG_CHECK(step_size >= 1, "StepLR: step_size ", step_size, " must be at least 1");
  MG_CHECK(std::isfinite(gamma) && gamma > 0, "StepLR: gamma ", gamma,
           " must be finite and positive");
  initial_step();
}

std::vector<double> StepLR::get_lr() const {
  std::vector<double> lrs = current_lrs();
  if (last_epoch_ == 0 || last_epoch_ % step_size_ != 0) return lrs;
  for (double& lr : lrs) lr *= gamma_;
  return lrs;
}

std::vector<double> StepLR::closed_form_lr() const {
  std::vector<double> lrs = base_lrs_;
  const double decays = static_cast<double>(last_epoch_ / step_size_);
  for (double& lr : lrs) lr *= std::pow(gamma_, decays);
  return lrs;
}

}  // namespace mg::optim
