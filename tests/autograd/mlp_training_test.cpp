#include "experiments/toy_mlp.h"
#include "test_util.h"

namespace mg {
namespace {

// End to end: core ops, autograd and a gradient-descent step teach an MLP three spirals.
TEST(MlpTraining, TwoHundredStepsBeatALossBoundAnUntrainedModelMisses) {
  constexpr double kLossBound = 0.35;  // chance level is ln 3 ≈ 1.10
  Generator generator(0);
  const auto problem = toy::make_spirals(3, 200, generator);
  toy::Mlp model(2, 64, 3, generator);
  const double untrained =
      cross_entropy(model.forward(problem.points), problem.labels).item<double>();
  EXPECT_GT(untrained, kLossBound);
  for (int step = 0; step < 200; ++step) {
    backward(cross_entropy(model.forward(problem.points), problem.labels));
    model.sgd_step(0.5);
  }
  const Tensor logits = model.forward(problem.points);
  EXPECT_LT(cross_entropy(logits, problem.labels).item<double>(), kLossBound);
  EXPECT_GT(toy::accuracy(logits, problem.labels), 0.85);
}

}  // namespace
}  // namespace mg
