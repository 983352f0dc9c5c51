#include <cmath>
#include <memory>

#include "fake_learning_rates.h"
#include "optim/clip_grad.h"
#include "optim/schedulers.h"
#include "parity_util.h"
#include "test_util.h"

// Against tests/fixtures/schedulers.safetensors, written by tools/reference/schedulers.py with
// PyTorch 1.13: every learning rate over 60 steps, two parameter groups, and the gradient
// clipping functions on fixed gradients. The schedulers are built from the fixture's config.
namespace mg::optim {
namespace {

using testing::FakeLearningRates;

// The rates use PyTorch's expressions operation for operation: measured, the cosine schedules
// differ by at most 1.7e-15 relative (a fused multiply-add), everything else is bit-identical.
constexpr double kTolerance = 1e-12;

const testing::Fixture& fixture() {
  static const testing::Fixture file("schedulers");
  return file;
}
const Json& config() {
  static const Json parsed = fixture().config();
  return parsed;
}

std::vector<double> doubles(const Json& array) {
  std::vector<double> out;
  for (const Json& value : array.as_array()) out.push_back(value.as_double());
  return out;
}

std::vector<std::int64_t> integers(const Json& array) {
  std::vector<std::int64_t> out;
  for (const Json& value : array.as_array()) out.push_back(value.as_int());
  return out;
}

std::shared_ptr<ChainableLRScheduler> build(const std::string& name, const Json& args,
                                            LearningRates& rates) {
  if (name == "StepLR")
    return std::make_shared<StepLR>(rates, args.at("step_size").as_int(),
                                    args.at("gamma").as_double());
  if (name == "MultiStepLR")
    return std::make_shared<MultiStepLR>(rates, integers(args.at("milestones")),
                                         args.at("gamma").as_double());
  if (name == "CosineAnnealingLR")
    return std::make_shared<CosineAnnealingLR>(rates, args.at("T_max").as_int(),
                                               args.at("eta_min").as_double());
  if (name == "LinearLR")
    return std::make_shared<LinearLR>(rates, args.at("start_factor").as_double(),
                                      args.at("end_factor").as_double(),
                                      args.at("total_iters").as_int());
  throw Error("parity_schedulers_test: no scheduler " + name);
}

std::shared_ptr<LRScheduler> build_schedule(const Json& entry, LearningRates& rates) {
  const std::string name = entry.as_array().at(0).as_string();
  const Json& args = entry.as_array().at(1);
  if (name != "SequentialLR") return build(name, args, rates);
  std::vector<std::shared_ptr<ChainableLRScheduler>> children;
  for (const Json& child : args.at("schedulers").as_array())
    children.push_back(build(child.as_array().at(0).as_string(), child.as_array().at(1), rates));
  return std::make_shared<SequentialLR>(rates, children, integers(args.at("milestones")));
}

void expect_row(const std::vector<double>& actual, const std::vector<double>& expected,
                const std::string& what) {
  ASSERT_EQ(actual.size(), expected.size()) << what;
  for (std::size_t i = 0; i < actual.size(); ++i)
    EXPECT_LE(std::abs(actual[i] - expected[i]), kTolerance * std::abs(expected[i]))
        << what << " group " << i << ": " << actual[i] << " vs " << expected[i];
}

std::vector<double> row(const Tensor& table, std::int64_t t) {
  const std::vector<double> all = table.to_vector<double>();
  const std::int64_t groups = table.shape()[1];
  return {all.begin() + t * groups, all.begin() + (t + 1) * groups};
}

TEST(ParitySchedulers, EveryScheduleMatchesPyTorchOver60Steps) {
  const std::int64_t steps = config().at("steps").as_int();
  for (const auto& [name, entry] : config().at("schedules").as_object()) {
    FakeLearningRates rates(doubles(config().at("lrs")));
    const auto schedule = build_schedule(entry, rates);
    const Tensor& expected = fixture().get(name + ".lr");
    ASSERT_EQ(expected.shape(), (Shape{steps + 1, 2})) << name;
    expect_row(schedule->get_last_lr(), row(expected, 0), name + " at construction");
    expect_row(rates.lrs(), row(expected, 0), name + " optimizer at construction");
    for (std::int64_t t = 1; t <= steps; ++t) {
      schedule->step();
      expect_row(schedule->get_last_lr(), row(expected, t), name + " step " + std::to_string(t));
      expect_row(rates.lrs(), row(expected, t), name + " optimizer step " + std::to_string(t));
      EXPECT_EQ(schedule->last_epoch(), t) << name;
    }
  }
}

TEST(ParitySchedulers, ReduceLROnPlateauMatchesPyTorchInBothModes) {
  for (const auto& [name, args] : config().at("plateaus").as_object()) {
    FakeLearningRates rates(doubles(config().at("lrs")));
    ReduceLROnPlateau::Options options;
    options.mode = args.at("mode").as_string();
    options.factor = args.at("factor").as_double();
    options.patience = args.at("patience").as_int();
    options.threshold = args.at("threshold").as_double();
    options.threshold_mode = args.at("threshold_mode").as_string();
    options.cooldown = args.at("cooldown").as_int();
    options.min_lr = doubles(args.at("min_lr"));
    options.eps = args.at("eps").as_double();
    ReduceLROnPlateau scheduler(rates, options);
    const Tensor& expected = fixture().get(name + ".lr");
    const std::vector<double> metrics = fixture().get(name + ".metric").to_vector<double>();
    expect_row(scheduler.get_last_lr(), row(expected, 0), name + " at construction");
    for (std::size_t t = 1; t <= metrics.size(); ++t) {
      scheduler.step(metrics[t - 1]);
      expect_row(scheduler.get_last_lr(), row(expected, t), name + " step " + std::to_string(t));
      expect_row(rates.lrs(), row(expected, t), name + " optimizer step " + std::to_string(t));
    }
    // The sequence reaches every group's floor, so min_lr was exercised.
    const std::vector<double> floors = doubles(args.at("min_lr"));
    EXPECT_EQ(rates.lr(1), floors.size() == 1 ? floors[0] : floors[1]) << name;
  }
}

// Fresh parameters holding the fixture's gradients, plus one without a gradient (skipped).
std::vector<Tensor> parameters_with_gradients() {
  std::vector<Tensor> parameters;
  for (const Tensor& grad : fixture().numbered("clip.grad.")) {
    Tensor parameter = zeros(grad.shape(), kFloat64);
    parameter.requires_grad_(true);
    parameter.mutable_grad() = clone(grad);
    parameters.push_back(parameter);
  }
  Tensor without = zeros({2}, kFloat64);
  without.requires_grad_(true);
  parameters.push_back(without);
  return parameters;
}

void expect_gradients(const std::vector<Tensor>& parameters, const std::string& prefix) {
  const std::vector<Tensor> expected = fixture().numbered(prefix);
  ASSERT_EQ(expected.size(), parameters.size() - 1) << prefix;
  for (std::size_t i = 0; i < expected.size(); ++i)
    EXPECT_CLOSE_TO_REFERENCE(parameters[i].grad(), expected[i], kTolerance,
                              prefix + std::to_string(i));
  EXPECT_FALSE(parameters.back().grad().defined()) << prefix;
}

TEST(ParityClipGrad, ClipGradNormMatchesPyTorchForNorms2And1AndInf) {
  for (const auto& [key, max_norm] : config().at("clip_max_norm").as_object()) {
    const std::string order = key.substr(0, key.find('_'));
    const double norm_type = order == "inf" ? kInfNorm : std::stod(order);
    std::vector<Tensor> parameters = parameters_with_gradients();
    const Tensor total = clip_grad_norm_(parameters, max_norm.as_double(), norm_type);
    EXPECT_CLOSE_TO_REFERENCE(total, fixture().get("clip_norm_" + key + ".total"), kTolerance,
                              "clip_norm_" + key + ".total");
    expect_gradients(parameters, "clip_norm_" + key + ".grad.");
  }
}

TEST(ParityClipGrad, ClipGradValueMatchesPyTorch) {
  std::vector<Tensor> parameters = parameters_with_gradients();
  clip_grad_value_(parameters, config().at("clip_value").as_double());
  expect_gradients(parameters, "clip_value.grad.");
}

}  // namespace
}  // namespace mg::optim
