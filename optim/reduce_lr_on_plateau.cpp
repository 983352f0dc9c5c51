#include "optim/reduce_lr_on_plateau.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/error.h"

namespace mg::optim {
namespace {

constexpr const char* kName = "ReduceLROnPlateau";

}  // namespace

ReduceLROnPlateau::ReduceLROnPlateau(LearningRates& rates, Options options)
    : rates_(&rates), options_(std::move(options)) {
  MG_CHECK(options_.mode == "min" || options_.mode == "max", kName, ": mode \"", options_.mode,
           "\" is unknown: expected \"min\" or \"max\"");
  MG_CHECK(options_.threshold_mode == "rel" || options_.threshold_mode == "abs", kName,
           ": threshold_mode \"", options_.threshold_mode,
           "\" is unknown: expected \"rel\" or \"abs\"");
  MG_CHECK(options_.factor >= 0 && options_.factor < 1, kName, ": factor ", options_.factor,
           " must be in [0, 1)");
  MG_CHECK(options_.patience >= 0, kName, ": patience ", options_.patience, " is negative");
  MG_CHECK(options_.cooldown >= 0, kName, ": cooldown ", options_.cooldown, " is negative");
  const std::size_t groups = rates.num_param_groups();
  if (options_.min_lr.size() == 1) {
    min_lrs_.assign(groups, options_.min_lr[0]);
  } else {
    MG_CHECK(options_.min_lr.size() == groups, kName, ": expected 1 or ", groups,
             " min_lr values, got ", options_.min_lr.size());
    min_lrs_ = options_.min_lr;
  }
  maximize_ = options_.mode == "max";
  relative_ = options_.threshold_mode == "rel";
  best_ = maximize_ ? -std::numeric_limits<double>::infinity()
                    : std::numeric_limits<double>::infinity();
  last_lr_.resize(groups);
  for (std::size_t i = 0; i < groups; ++i) last_lr_[i] = rates.lr(i);
}

bool ReduceLROnPlateau::is_better(double metric, double best) const {
  const double threshold = options_.threshold;
  if (!maximize_) return relative_ ? metric < best * (1. - threshold) : metric < best - threshold;
  return relative_ ? metric > best * (threshold + 1.) : metric > best + threshold;
}

void ReduceLROnPlateau::step(double metric) {
  ++last_epoch_;
  if (is_better(metric, best_)) {
    best_ = metric;
    num_bad_epochs_ = 0;
  } else {
    ++num_bad_epochs_;
  }
  if (in_cooldown()) {
    --cooldown_counter_;
    num_bad_epochs_ = 0;  // bad epochs in cooldown do not count
  }
  if (num_bad_epochs_ > options_.patience) {
    reduce_lr();
    cooldown_counter_ = options_.cooldown;
    num_bad_epochs_ = 0;
  }
  for (std::size_t i = 0; i < last_lr_.size(); ++i) last_lr_[i] = rates_->lr(i);
}

void ReduceLROnPlateau::reduce_lr() {
  for (std::size_t i = 0; i < min_lrs_.size(); ++i) {
    const double old_lr = rates_->lr(i);
    const double new_lr = std::max(old_lr * options_.factor, min_lrs_[i]);
    if (old_lr - new_lr > options_.eps) rates_->set_lr(i, new_lr);
  }
}

SchedulerState ReduceLROnPlateau::state_dict() const {
  SchedulerState state{{"last_epoch", static_cast<double>(last_epoch_)},
                       {"best", best_},
                       {"num_bad_epochs", static_cast<double>(num_bad_epochs_)},
                       {"cooldown_counter", static_cast<double>(cooldown_counter_)}};
  for (std::size_t i = 0; i < last_lr_.size(); ++i)
    state["last_lr." + std::to_string(i)] = last_lr_[i];
  return state;
}

void ReduceLROnPlateau::load_state_dict(const SchedulerState& state) {
  detail::check_state_keys(state, state_dict(), kName);
  last_epoch_ = detail::state_integer(state, "last_epoch", kName);
  best_ = detail::state_value(state, "best", kName);
  num_bad_epochs_ = detail::state_integer(state, "num_bad_epochs", kName);
  cooldown_counter_ = detail::state_integer(state, "cooldown_counter", kName);
  for (std::size_t i = 0; i < last_lr_.size(); ++i)
    last_lr_[i] = state.at("last_lr." + std::to_string(i));
}

}  // namespace mg::optim
