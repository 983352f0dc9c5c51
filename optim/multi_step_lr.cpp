#include "optim/multi_step_lr.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"

namespace mg::optim {
namespace {

std::string join(const std::vector<std::int64_t>& values) {
  std::string out = "[";
  for (std::size_t i = 0; i < values.size(); ++i)
    out += (i ? ", " : "") + std::to_string(values[i]);
  return out + "]";
}

}  // namespace

MultiStepLR::MultiStepLR(LearningRates& rates, std::vector<std::int64_t> milestones, double gamma)
    : ChainableLRScheduler(rates), milestones_(std::move(milestones)), gamma_(gamma) {
  for (std::size_t i = 0; i < milestones_.size(); ++i) {
    MG_CHECK(milestones_[i] >= 0 && (i == 0 || milestones_[i] > milestones_[i - 1]),
             "MultiStepLR: milestones ", join(milestones_),
             " must be non-negative and strictly increasing");
  }
  MG_CHECK(std::isfinite(gamma) && gamma > 0, "MultiStepLR: gamma ", gamma,
           " must be finite and positive");
  initial_step();
}

std::vector<double> MultiStepLR::get_lr() const {
  std::vector<double> lrs = current_lrs();
  if (!std::binary_search(milestones_.begin(), milestones_.end(), last_epoch_)) return lrs;
  for (double& lr : lrs) lr *= gamma_;
  return lrs;
}

std::vector<double> MultiStepLR::closed_form_lr() const {
  // bisect_right: the milestones already passed, the current epoch included.
  const auto passed =
      std::upper_bound(milestones_.begin(), milestones_.end(), last_epoch_) - milestones_.begin();
  std::vector<double> lrs = base_lrs_;
  for (double& lr : lrs) lr *= std::pow(gamma_, static_cast<double>(passed));
  return lrs;
}

}  // namespace mg::optim
