#include "optim/sequential_lr.h"

#include <algorithm>

#include "core/error.h"

namespace mg::optim {
namespace {

std::string prefix(std::size_t k) {
  return "schedulers." + std::to_string(k) + ".";
}

}  // namespace

SequentialLR::SequentialLR(LearningRates& rates,
                           std::vector<std::shared_ptr<ChainableLRScheduler>> schedulers,
                           std::vector<std::int64_t> milestones)
    : LRScheduler(rates, 0),
      schedulers_(std::move(schedulers)),
      milestones_(std::move(milestones)) {
  MG_CHECK(!schedulers_.empty(), "SequentialLR: no schedulers");
  for (std::size_t k = 0; k < schedulers_.size(); ++k) {
    MG_CHECK(schedulers_[k] != nullptr, "SequentialLR: scheduler ", k, " is null");
    MG_CHECK(&schedulers_[k]->optimizer() == &rates, "SequentialLR: scheduler ", k, " (",
             schedulers_[k]->name(), ") drives another optimizer");
  }
  MG_CHECK(milestones_.size() + 1 == schedulers_.size(), "SequentialLR: ", schedulers_.size(),
           " schedulers need ", schedulers_.size() - 1, " milestones, got ", milestones_.size());
  for (std::size_t i = 1; i < milestones_.size(); ++i)
    MG_CHECK(milestones_[i] > milestones_[i - 1], "SequentialLR: milestones ", milestones_[i - 1],
             " then ", milestones_[i], " are not strictly increasing");
  for (std::size_t i = 0; i < rates.num_param_groups(); ++i) rates.set_lr(i, rates.initial_lr(i));
  for (const auto& scheduler : schedulers_) --scheduler->last_epoch_;
  schedulers_[0]->initial_step();
  last_lr_ = schedulers_[0]->get_last_lr();
}

void SequentialLR::step() {
  ++last_epoch_;
  const auto index = static_cast<std::size_t>(
      std::upper_bound(milestones_.begin(), milestones_.end(), last_epoch_) - milestones_.begin());
  ChainableLRScheduler& scheduler = *schedulers_[index];
  if (index > 0 && milestones_[index - 1] == last_epoch_) {
    scheduler.step(0);
  } else {
    scheduler.step();
  }
  last_lr_ = scheduler.get_last_lr();
}

SchedulerState SequentialLR::state_dict() const {
  SchedulerState state{{"last_epoch", static_cast<double>(last_epoch_)}};
  for (std::size_t i = 0; i < last_lr_.size(); ++i)
    state["last_lr." + std::to_string(i)] = last_lr_[i];
  for (std::size_t k = 0; k < schedulers_.size(); ++k)
    for (const auto& [key, value] : schedulers_[k]->state_dict()) state[prefix(k) + key] = value;
  return state;
}

void SequentialLR::load_state_dict(const SchedulerState& state) {
  detail::check_state_keys(state, state_dict(), name());
  last_epoch_ = detail::state_integer(state, "last_epoch", name());
  for (std::size_t i = 0; i < last_lr_.size(); ++i)
    last_lr_[i] = state.at("last_lr." + std::to_string(i));
  for (std::size_t k = 0; k < schedulers_.size(); ++k) {
    SchedulerState own;
    for (const auto& [key, value] : state)
      if (key.rfind(prefix(k), 0) == 0) own[key.substr(prefix(k).size())] = value;
    schedulers_[k]->load_state_dict(own);
  }
}

}  // namespace mg::optim
