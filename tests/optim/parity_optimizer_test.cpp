#include <memory>

#include "optim_test_util.h"

// Trajectories of SGD, Adam and AdamW on the tiny float64 MLP against torch.optim (fixture
// optim_trajectories, tools/reference/optim.py): the loss at every one of the 50 steps and the
// parameters after every 10th, to 1e-10.
namespace mg::testing {
namespace {

using optim::Adam;
using optim::AdamOptions;
using optim::AdamW;
using optim::AdamWOptions;
using optim::Optimizer;
using optim::ParamGroup;
using optim::SGD;
using optim::SGDOptions;

constexpr double kTolerance = 1e-10;

const Fixture& fixture() {
  static const Fixture loaded("optim_trajectories");
  return loaded;
}

using Factory = std::function<std::unique_ptr<Optimizer>(TinyMlp&)>;

void expect_trajectory(const std::string& name, const Factory& make, bool masked = false) {
  TinyMlp mlp(fixture());
  std::unique_ptr<Optimizer> optimizer = make(mlp);
  std::vector<double> losses;
  std::vector<std::vector<Tensor>> snapshots(mlp.params.size());
  for (int t = 0; t < 50; ++t) {
    losses.push_back(mlp.forward_backward());
    if (masked) set_fixture_masks(*optimizer, mlp, t);
    optimizer->step();
    if ((t + 1) % 10 == 0)
      for (std::size_t i = 0; i < mlp.params.size(); ++i)
        snapshots[i].push_back(clone(mlp.params[i].detach()));
  }
  EXPECT_CLOSE_TO_REFERENCE(tensor(losses, {50}, kFloat64), fixture().get(name + ".loss"),
                            kTolerance, name + " loss");
  for (std::size_t i = 0; i < mlp.params.size(); ++i)
    EXPECT_CLOSE_TO_REFERENCE(stack(snapshots[i], 0), fixture().get(name + "." + mlp_names()[i]),
                              kTolerance, name + " " + mlp_names()[i]);
}

TEST(OptimizerParity, SgdPlain) {
  expect_trajectory(
      "sgd", [](TinyMlp& m) { return std::make_unique<SGD>(m.params, SGDOptions{.lr = 0.1}); });
}

TEST(OptimizerParity, SgdMomentumDampening) {
  expect_trajectory("sgd_momentum", [](TinyMlp& m) {
    return std::make_unique<SGD>(m.params,
                                 SGDOptions{.lr = 0.1, .momentum = 0.9, .dampening = 0.3});
  });
}

TEST(OptimizerParity, SgdNesterovWeightDecay) {
  expect_trajectory("sgd_nesterov_wd", [](TinyMlp& m) {
    return std::make_unique<SGD>(
        m.params, SGDOptions{.lr = 0.05, .momentum = 0.9, .weight_decay = 0.01, .nesterov = true});
  });
}

TEST(OptimizerParity, Adam) {
  expect_trajectory(
      "adam", [](TinyMlp& m) { return std::make_unique<Adam>(m.params, AdamOptions{.lr = 0.01}); });
}

TEST(OptimizerParity, AdamAmsgrad) {
  expect_trajectory("adam_amsgrad", [](TinyMlp& m) {
    return std::make_unique<Adam>(m.params, AdamOptions{.lr = 0.01, .amsgrad = true});
  });
}

TEST(OptimizerParity, AdamWeightDecay) {
  expect_trajectory("adam_wd", [](TinyMlp& m) {
    return std::make_unique<Adam>(
        m.params, AdamOptions{.lr = 0.01, .betas = {0.8, 0.99}, .weight_decay = 0.1});
  });
}

TEST(OptimizerParity, AdamW) {
  expect_trajectory("adamw", [](TinyMlp& m) {
    return std::make_unique<AdamW>(m.params, AdamWOptions{.lr = 0.01, .weight_decay = 0.1});
  });
}

TEST(OptimizerParity, TwoGroupsWithTheirOwnLrAndMomentum) {
  expect_trajectory("sgd_groups", [](TinyMlp& m) {
    std::vector<ParamGroup> groups = {
        ParamGroup({m.params[0], m.params[1]}, {{"lr", 0.1}, {"momentum", 0.9}}),
        ParamGroup({m.params[2], m.params[3]})};
    return std::make_unique<SGD>(std::move(groups), SGDOptions{.lr = 0.05, .momentum = 0.5});
  });
}

// Grad-mode masks move a masked unit exactly as PyTorch does with its gradient zeroed.
TEST(OptimizerParity, GradMaskSgdMomentumWeightDecay) {
  expect_trajectory(
      "masked_sgd",
      [](TinyMlp& m) {
        return std::make_unique<SGD>(m.named(),
                                     SGDOptions{.lr = 0.1, .momentum = 0.9, .weight_decay = 0.05});
      },
      true);
}

TEST(OptimizerParity, GradMaskAdam) {
  expect_trajectory(
      "masked_adam",
      [](TinyMlp& m) { return std::make_unique<Adam>(m.named(), AdamOptions{.lr = 0.01}); }, true);
}

}  // namespace
}  // namespace mg::testing
