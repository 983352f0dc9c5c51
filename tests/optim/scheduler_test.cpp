#include <cmath>
#include <limits>
#include <memory>
#include <numbers>

#include "fake_learning_rates.h"
#include "optim/clip_grad.h"
#include "optim/schedulers.h"
#include "test_util.h"

namespace mg::optim {
namespace {

using testing::FakeLearningRates;

// The rates after construction and after each of `steps` steps, for group `group`.
std::vector<double> trajectory(LRScheduler& scheduler, int steps, std::size_t group = 0) {
  std::vector<double> out{scheduler.get_last_lr().at(group)};
  for (int t = 0; t < steps; ++t) {
    scheduler.step();
    out.push_back(scheduler.get_last_lr().at(group));
  }
  return out;
}

void expect_near_all(const std::vector<double>& actual, const std::vector<double>& expected,
                     double tol = 1e-15) {
  ASSERT_EQ(actual.size(), expected.size());
  for (std::size_t i = 0; i < actual.size(); ++i)
    EXPECT_NEAR(actual[i], expected[i], tol) << "entry " << i;
}

TEST(StepLR, DecaysEveryStepSizeEpochs) {
  FakeLearningRates rates({1.0, 0.5});
  StepLR scheduler(rates, 2, 0.5);
  EXPECT_EQ(scheduler.last_epoch(), 0);
  expect_near_all(trajectory(scheduler, 5), {1, 1, 0.5, 0.5, 0.25, 0.25});
  EXPECT_EQ(rates.lr(1), 0.125);
  EXPECT_EQ(scheduler.last_epoch(), 5);
}

TEST(StepLR, StepToEpochUsesTheClosedForm) {
  FakeLearningRates rates({1.0});
  StepLR scheduler(rates, 3, 0.1);
  scheduler.step(7);
  EXPECT_EQ(scheduler.last_epoch(), 7);
  EXPECT_NEAR(rates.lr(0), 0.01, 1e-17);
}

TEST(MultiStepLR, DecaysAtEachMilestone) {
  FakeLearningRates rates({1.0});
  MultiStepLR scheduler(rates, {2, 3, 6}, 0.5);
  expect_near_all(trajectory(scheduler, 7), {1, 1, 0.5, 0.25, 0.25, 0.25, 0.125, 0.125});
  scheduler.step(4);
  EXPECT_EQ(rates.lr(0), 0.25);  // two milestones passed
}

TEST(CosineAnnealingLR, RecursiveFormFollowsTheCosineOverTwoPeriods) {
  const double base = 0.1;
  const double eta_min = 0.001;
  const int T_max = 10;
  FakeLearningRates rates({base});
  CosineAnnealingLR scheduler(rates, T_max, eta_min);
  const std::vector<double> lrs = trajectory(scheduler, 2 * T_max + 5);
  for (std::size_t t = 0; t < lrs.size(); ++t) {
    const double closed =
        eta_min + (base - eta_min) * (1 + std::cos(std::numbers::pi * t / T_max)) / 2;
    EXPECT_NEAR(lrs[t], closed, 1e-15) << "epoch " << t;
  }
  EXPECT_NEAR(lrs[T_max], eta_min, 1e-15);
  EXPECT_NEAR(lrs[2 * T_max], base, 1e-15);
}

TEST(LinearLR, WarmsUpToTheInitialRateThenStays) {
  // torch.optim.lr_scheduler.LinearLR's documented example.
  FakeLearningRates rates({0.05});
  LinearLR scheduler(rates, 0.5, 1.0, 4);
  expect_near_all(trajectory(scheduler, 6), {0.025, 0.03125, 0.0375, 0.04375, 0.05, 0.05, 0.05},
                  1e-17);
}

TEST(SequentialLR, WarmUpThenStepDecay) {
  FakeLearningRates rates({1.0});
  auto warmup = std::make_shared<LinearLR>(rates, 0.25, 1.0, 3);
  auto decay = std::make_shared<StepLR>(rates, 2, 0.5);
  SequentialLR scheduler(rates, {warmup, decay}, {3});
  EXPECT_EQ(scheduler.last_epoch(), 0);
  // Warm-up 0.25, 0.5, 0.75; at epoch 3 the StepLR restarts at its epoch 0 (rate 1), then halves
  // every 2 epochs.
  expect_near_all(trajectory(scheduler, 8), {0.25, 0.5, 0.75, 1, 1, 0.5, 0.5, 0.25, 0.25});
}

// Runs `make()` on two optimizers: one straight through, one saved after `split` steps and
// resumed in a fresh scheduler (optimizer learning rates restored as the optimizer's own
// state_dict would). Both must give the same rates bit for bit.
template <typename Make, typename Step>
void expect_resumes(const Make& make, const Step& step, int split, int total) {
  FakeLearningRates straight_rates({0.1, 0.03});
  auto straight = make(straight_rates);
  for (int t = 0; t < split; ++t) step(*straight, t);
  const SchedulerState saved = straight->state_dict();
  const std::vector<double> saved_lrs = straight_rates.lrs();

  FakeLearningRates resumed_rates({0.1, 0.03});
  auto resumed = make(resumed_rates);
  resumed->load_state_dict(saved);
  for (std::size_t i = 0; i < saved_lrs.size(); ++i) resumed_rates.set_lr(i, saved_lrs[i]);
  EXPECT_EQ(resumed->state_dict(), saved);
  EXPECT_EQ(resumed->get_last_lr(), straight->get_last_lr());
  EXPECT_EQ(resumed->last_epoch(), straight->last_epoch());
  for (int t = split; t < total; ++t) {
    step(*straight, t);
    step(*resumed, t);
    ASSERT_EQ(resumed_rates.lrs(), straight_rates.lrs()) << "step " << t;
    ASSERT_EQ(resumed->get_last_lr(), straight->get_last_lr()) << "step " << t;
  }
}

const auto plain_step = [](LRScheduler& scheduler, int) { scheduler.step(); };

TEST(SchedulerState, EveryScheduleResumesMidwayBitForBit) {
  expect_resumes([](LearningRates& r) { return std::make_unique<StepLR>(r, 4, 0.5); }, plain_step,
                 9, 30);
  expect_resumes(
      [](LearningRates& r) {
        return std::make_unique<MultiStepLR>(r, std::vector<std::int64_t>{3, 12});
      },
      plain_step, 7, 20);
  expect_resumes([](LearningRates& r) { return std::make_unique<CosineAnnealingLR>(r, 10, 1e-3); },
                 plain_step, 13, 40);
  expect_resumes([](LearningRates& r) { return std::make_unique<LinearLR>(r, 0.2, 1.0, 6); },
                 plain_step, 3, 10);
  const auto warmup_cosine = [](LearningRates& r) {
    return std::make_unique<SequentialLR>(
        r,
        std::vector<std::shared_ptr<ChainableLRScheduler>>{
            std::make_shared<LinearLR>(r, 0.1, 1.0, 5), std::make_shared<CosineAnnealingLR>(r, 20)},
        std::vector<std::int64_t>{5});
  };
  expect_resumes(warmup_cosine, plain_step, 3, 30);   // saved during the warm-up
  expect_resumes(warmup_cosine, plain_step, 11, 30);  // saved during the cosine
}

TEST(SchedulerState, ReduceLROnPlateauResumesInCooldown) {
  const auto make = [](LearningRates& r) {
    ReduceLROnPlateau::Options options;
    options.patience = 1;
    options.cooldown = 3;
    options.factor = 0.5;
    return std::make_unique<ReduceLROnPlateau>(r, options);
  };
  // Improves for 3 steps, then a plateau: after 6 steps the rates have halved once (PyTorch:
  // [0.05, 0.015]) and the scheduler is in its cooldown.
  const auto step = [](ReduceLROnPlateau& scheduler, int t) {
    scheduler.step(t < 3 ? 1.0 - 0.1 * t : 0.8);
  };
  FakeLearningRates rates({0.1, 0.03});
  auto probe = make(rates);
  for (int t = 0; t < 6; ++t) step(*probe, t);
  ASSERT_TRUE(probe->in_cooldown());  // so the split below is mid-cooldown
  EXPECT_EQ(probe->get_last_lr(), (std::vector<double>{0.05, 0.015}));
  EXPECT_EQ(probe->best(), 0.8);
  expect_resumes(make, step, 6, 20);
}

TEST(SchedulerState, LoadRejectsMissingUnknownAndFractionalEntries) {
  FakeLearningRates rates({0.1, 0.03});
  StepLR scheduler(rates, 2);
  SchedulerState missing = scheduler.state_dict();
  missing.erase("step_count");
  EXPECT_MG_ERROR(scheduler.load_state_dict(missing), "StepLR", "\"step_count\"");
  SchedulerState unknown = scheduler.state_dict();
  unknown["base_lrs.2"] = 0.1;  // a third parameter group
  EXPECT_MG_ERROR(scheduler.load_state_dict(unknown), "StepLR", "unknown key \"base_lrs.2\"");
  SchedulerState fractional = scheduler.state_dict();
  fractional["last_epoch"] = 2.5;
  EXPECT_MG_ERROR(scheduler.load_state_dict(fractional), "StepLR", "\"last_epoch\"", "2.5",
                  "not an integer");
  ReduceLROnPlateau plateau(rates);
  EXPECT_MG_ERROR(plateau.load_state_dict(scheduler.state_dict()), "ReduceLROnPlateau", "\"best\"");
}

TEST(SchedulerErrors, BadArgumentsNameTheSchedulerAndTheValue) {
  FakeLearningRates rates({0.1});
  EXPECT_MG_ERROR(StepLR(rates, 3, -0.5), "StepLR", "gamma -0.5");
  EXPECT_MG_ERROR(StepLR(rates, 3, std::numeric_limits<double>::quiet_NaN()), "StepLR",
                  "gamma nan");
  EXPECT_MG_ERROR(StepLR(rates, 0), "StepLR", "step_size 0");
  EXPECT_MG_ERROR(MultiStepLR(rates, {3, 3}), "MultiStepLR", "[3, 3]", "strictly increasing");
  EXPECT_MG_ERROR(MultiStepLR(rates, {5, 2}), "MultiStepLR", "[5, 2]");
  EXPECT_MG_ERROR(MultiStepLR(rates, {2}, 0), "MultiStepLR", "gamma 0");
  EXPECT_MG_ERROR(CosineAnnealingLR(rates, 0), "CosineAnnealingLR", "T_max 0");
  EXPECT_MG_ERROR(CosineAnnealingLR(rates, -4), "CosineAnnealingLR", "T_max -4");
  EXPECT_MG_ERROR(LinearLR(rates, 0.0), "LinearLR", "start_factor 0");
  EXPECT_MG_ERROR(LinearLR(rates, 0.5, 1.5), "LinearLR", "end_factor 1.5");
  EXPECT_MG_ERROR(LinearLR(rates, 0.5, 1.0, 0), "LinearLR", "total_iters 0");

  ReduceLROnPlateau::Options options;
  options.mode = "median";
  EXPECT_MG_ERROR(ReduceLROnPlateau(rates, options), "ReduceLROnPlateau", "mode \"median\"",
                  "\"min\" or \"max\"");
  options = {};
  options.threshold_mode = "percent";
  EXPECT_MG_ERROR(ReduceLROnPlateau(rates, options), "ReduceLROnPlateau", "\"percent\"");
  options = {};
  options.factor = 1.0;
  EXPECT_MG_ERROR(ReduceLROnPlateau(rates, options), "ReduceLROnPlateau", "factor 1");
  options = {};
  options.min_lr = {0.0, 0.1};
  FakeLearningRates three({0.1, 0.1, 0.1});
  EXPECT_MG_ERROR(ReduceLROnPlateau(three, options), "ReduceLROnPlateau", "1 or 3", "got 2");
}

TEST(SchedulerErrors, SequentialLRChecksItsSchedulersAndMilestones) {
  FakeLearningRates rates({0.1});
  FakeLearningRates other({0.1});
  auto a = std::make_shared<LinearLR>(rates);
  auto b = std::make_shared<StepLR>(rates, 2);
  auto foreign = std::make_shared<StepLR>(other, 2);
  EXPECT_MG_ERROR(SequentialLR(rates, {a, b}, {}), "SequentialLR", "2 schedulers need 1", "got 0");
  EXPECT_MG_ERROR(SequentialLR(rates, {a, foreign}, {3}), "SequentialLR", "scheduler 1", "StepLR",
                  "another optimizer");
  EXPECT_MG_ERROR(SequentialLR(rates, {a, b, b}, {4, 4}), "SequentialLR", "strictly increasing");
  EXPECT_MG_ERROR(SequentialLR(rates, {}, {}), "SequentialLR", "no schedulers");
}

TEST(ReduceLROnPlateau, CountsPatienceAndCooldownAsPyTorchDoes) {
  FakeLearningRates rates({1.0});
  ReduceLROnPlateau::Options options;
  options.mode = "max";
  options.patience = 2;
  options.cooldown = 1;
  options.factor = 0.5;
  options.min_lr = {0.2};
  ReduceLROnPlateau scheduler(rates, options);
  EXPECT_EQ(scheduler.best(), -std::numeric_limits<double>::infinity());
  // 1 improves; three bad steps exceed patience 2 → 0.5; one cooldown step; three more bad
  // → 0.25; then min_lr 0.2 caps the next reduction, and after it nothing changes.
  std::vector<double> lrs;
  for (int t = 0; t < 16; ++t) {
    scheduler.step(t == 0 ? 1.0 : 0.5);
    lrs.push_back(rates.lr(0));
  }
  expect_near_all(lrs,
                  {1, 1, 1, 0.5, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25, 0.25, 0.2, 0.2, 0.2, 0.2, 0.2});
  EXPECT_EQ(scheduler.last_epoch(), 16);
}

Tensor parameter_with_grad(const std::vector<double>& grad) {
  Tensor parameter = zeros({static_cast<std::int64_t>(grad.size())}, kFloat64);
  parameter.requires_grad_(true);
  parameter.mutable_grad() = tensor(grad, {static_cast<std::int64_t>(grad.size())}, kFloat64);
  return parameter;
}

TEST(ClipGradNorm, ScalesByMaxNormOverTotalNorm) {
  const std::vector<Tensor> parameters{parameter_with_grad({3, 0}), parameter_with_grad({0, 4})};
  const Tensor total = clip_grad_norm_(parameters, 1.0);
  EXPECT_DOUBLE_EQ(total.item<double>(), 5.0);
  const double coefficient = 1.0 / (5.0 + 1e-6);
  testing::expect_values(parameters[0].grad(), {3 * coefficient, 0}, {2}, 1e-15);
  testing::expect_values(parameters[1].grad(), {0, 4 * coefficient}, {2}, 1e-15);
}

TEST(ClipGradNorm, LeavesSmallGradientsAndSkipsParametersWithoutGradients) {
  Tensor without = zeros({2}, kFloat64);
  without.requires_grad_(true);
  const std::vector<Tensor> parameters{parameter_with_grad({-1, 2}), without};
  const Tensor total = clip_grad_norm_(parameters, 10.0, kInfNorm);
  EXPECT_EQ(total.item<double>(), 2.0);
  testing::expect_values(parameters[0].grad(), {-1, 2}, {2}, 0);
  EXPECT_FALSE(without.grad().defined());
  const Tensor none = clip_grad_norm_({without}, 1.0);
  EXPECT_EQ(none.dtype(), kFloat32);
  EXPECT_EQ(none.item<double>(), 0.0);
}

TEST(ClipGradNorm, NonFiniteNormIsAnErrorOnlyWhenAsked) {
  const double inf = std::numeric_limits<double>::infinity();
  std::vector<Tensor> parameters{parameter_with_grad({inf, 1})};
  EXPECT_MG_ERROR(clip_grad_norm_(parameters, 1.0, 2.0, true), "clip_grad_norm_", "inf",
                  "error_if_nonfinite");
  testing::expect_values(parameters[0].grad(), {inf, 1}, {2}, 0);  // untouched
  clip_grad_norm_(parameters, 1.0);
  // PyTorch: coefficient 1/inf = 0, so inf·0 = NaN and 1·0 = 0.
  const std::vector<double> clipped = parameters[0].grad().to_vector<double>();
  EXPECT_TRUE(std::isnan(clipped[0]));
  EXPECT_EQ(clipped[1], 0.0);
}

TEST(ClipGradNorm, NamedParametersAndBadArguments) {
  const std::vector<nn::NamedParameter> named{{"w", parameter_with_grad({6, 8}), {}}};
  EXPECT_DOUBLE_EQ(clip_grad_norm_(named, 5.0, 1.0).item<double>(), 14.0);
  testing::expect_values(named[0].tensor.grad(), {6 * 5 / (14 + 1e-6), 8 * 5 / (14 + 1e-6)}, {2},
                         1e-14);
  EXPECT_MG_ERROR(clip_grad_norm_(named, -1.0), "clip_grad_norm_", "max_norm -1");
  EXPECT_MG_ERROR(clip_grad_norm_(named, 1.0, -2.0), "clip_grad_norm_", "norm_type -2");
}

TEST(ClipGradValue, ClampsEveryEntry) {
  const std::vector<nn::NamedParameter> named{{"w", parameter_with_grad({-3, 0.2, 7}), {}}};
  clip_grad_value_(named, 1.5);
  testing::expect_values(named[0].tensor.grad(), {-1.5, 0.2, 1.5}, {3}, 0);
  EXPECT_MG_ERROR(clip_grad_value_(named, -1.0), "clip_grad_value_", "clip_value -1");
}

}  // namespace
}  // namespace mg::optim
