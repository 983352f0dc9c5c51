#include "optim/lr_scheduler.h"

#include <cmath>

#include "core/error.h"

namespace mg::optim {

std::vector<double> LRScheduler::current_lrs() const {
  std::vector<double> lrs(rates_->num_param_groups());
  for (std::size_t i = 0; i < lrs.size(); ++i) lrs[i] = rates_->lr(i);
  return lrs;
}

ChainableLRScheduler::ChainableLRScheduler(LearningRates& rates) : LRScheduler(rates, -1) {
  base_lrs_.resize(rates.num_param_groups());
  for (std::size_t i = 0; i < base_lrs_.size(); ++i) base_lrs_[i] = rates.initial_lr(i);
}

void ChainableLRScheduler::initial_step() {
  step_count_ = 0;
  step();
}

void ChainableLRScheduler::step() {
  ++step_count_;
  ++last_epoch_;
  apply(get_lr());
}

void ChainableLRScheduler::step(std::int64_t epoch) {
  MG_CHECK(epoch >= 0, name(), ".step(epoch): epoch ", epoch, " is negative");
  ++step_count_;
  last_epoch_ = epoch;
  apply(closed_form_lr());
}

void ChainableLRScheduler::apply(const std::vector<double>& lrs) {
  for (std::size_t i = 0; i < lrs.size(); ++i) rates_->set_lr(i, lrs[i]);
  last_lr_ = current_lrs();
}

SchedulerState ChainableLRScheduler::state_dict() const {
  SchedulerState state{{"last_epoch", static_cast<double>(last_epoch_)},
                       {"step_count", static_cast<double>(step_count_)}};
  for (std::size_t i = 0; i < base_lrs_.size(); ++i) {
    state["base_lrs." + std::to_string(i)] = base_lrs_[i];
    state["last_lr." + std::to_string(i)] = last_lr_[i];
  }
  return state;
}

void ChainableLRScheduler::load_state_dict(const SchedulerState& state) {
  detail::check_state_keys(state, state_dict(), name());
  last_epoch_ = detail::state_integer(state, "last_epoch", name());
  step_count_ = detail::state_integer(state, "step_count", name());
  for (std::size_t i = 0; i < base_lrs_.size(); ++i) {
    base_lrs_[i] = state.at("base_lrs." + std::to_string(i));
    last_lr_[i] = state.at("last_lr." + std::to_string(i));
  }
}

namespace detail {

double state_value(const SchedulerState& state, const std::string& key,
                   const std::string& scheduler) {
  const auto found = state.find(key);
  MG_CHECK(found != state.end(), scheduler, ".load_state_dict: no \"", key, "\"");
  return found->second;
}

std::int64_t state_integer(const SchedulerState& state, const std::string& key,
                           const std::string& scheduler) {
  const double value = state_value(state, key, scheduler);
  MG_CHECK(std::isfinite(value) && value == std::trunc(value), scheduler, ".load_state_dict: \"",
           key, "\" = ", value, " is not an integer");
  return static_cast<std::int64_t>(value);
}

void check_state_keys(const SchedulerState& state, const SchedulerState& expected,
                      const std::string& scheduler) {
  for (const auto& [key, value] : expected)
    MG_CHECK(state.count(key), scheduler, ".load_state_dict: no \"", key, "\"");
  for (const auto& [key, value] : state)
    MG_CHECK(expected.count(key), scheduler, ".load_state_dict: unknown key \"", key,
             "\" (a different scheduler, or another number of parameter groups?)");
}

}  // namespace detail

}  // namespace mg::optim
