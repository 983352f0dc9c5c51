#include "optim/rebalancer.h"

#include "layers/models/av_classifier.h"
#include "optim/sgd.h"
#include "small_av.h"
#include "test_util.h"

namespace mg::optim {
namespace {

using mg::testing::av_batch;
using mg::testing::small_av;

// Records the order of the hooks and changes nothing.
struct Recorder : Rebalancer {
  std::vector<std::string> calls;
  std::string name() const override { return "recorder"; }
  void before_forward(StepContext&) override { calls.push_back("before_forward"); }
  nn::MultimodalOutput forward(StepContext& c) override {
    calls.push_back("forward");
    return Rebalancer::forward(c);
  }
  Tensor loss(StepContext& c) override {
    calls.push_back("loss");
    return Rebalancer::loss(c);
  }
  void after_backward(StepContext& c) override {
    calls.push_back(c.model.parameters().front().grad().defined() ? "after_backward(grads)"
                                                                  : "after_backward(none)");
    c.log.emplace_back("seen", 1.0);
  }
  void before_step(StepContext&) override { calls.push_back("before_step"); }
};

TEST(TrainStep, RunsTheHooksInOrderAndStepsLikeNaive) {
  auto a = small_av(), b = small_av();
  b->load_state_dict(a->state_dict());
  SGD sgd_a(a->parameters(), SGDOptions{.lr = 0.1, .momentum = 0.9});
  SGD sgd_b(b->parameters(), SGDOptions{.lr = 0.1, .momentum = 0.9});
  Recorder recorder;
  Naive naive;
  Generator g1(1), g2(1);
  const auto before = a->parameter("fusion_module.fc_out.weight").to_vector<float>();
  const StepResult ra = train_step(*a, sgd_a, recorder, av_batch(), 0, 0, g1);
  const StepResult rb = train_step(*b, sgd_b, naive, av_batch(), 0, 0, g2);
  EXPECT_EQ(recorder.calls, (std::vector<std::string>{"before_forward", "forward", "loss",
                                                      "after_backward(grads)", "before_step"}));
  EXPECT_EQ(ra.loss, rb.loss);
  EXPECT_EQ(ra.log, (StepLog{{"seen", 1.0}}));
  EXPECT_EQ(a->parameter("fusion_module.fc_out.weight").to_vector<float>(),
            b->parameter("fusion_module.fc_out.weight").to_vector<float>());
  EXPECT_NE(a->parameter("fusion_module.fc_out.weight").to_vector<float>(), before);
}

TEST(TrainStep, RejectsBadLabels) {
  auto model = small_av();
  SGD sgd(model->parameters(), SGDOptions{.lr = 0.1});
  Naive naive;
  Generator generator(1);
  Batch bad = av_batch();
  bad.labels = zeros({4, 1}, kInt64);
  EXPECT_MG_ERROR(train_step(*model, sgd, naive, bad, 0, 0, generator), "train_step", "naive",
                  "int64[4, 1]");
}

}  // namespace
}  // namespace mg::optim
