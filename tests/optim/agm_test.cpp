#include "optim/agm.h"

#include <cmath>
#include <map>

#include "autograd/ops.h"
#include "layers/models/av_classifier.h"
#include "optim/clip_grad.h"
#include "optim/sgd.h"
#include "small_av.h"
#include "test_util.h"

namespace mg::optim {
namespace {

using mg::testing::av_batch;
using mg::testing::small_av;

std::map<std::string, double> as_map(const StepLog& log) {
  return {log.begin(), log.end()};
}

std::vector<double> values(const Tensor& t) {
  return to(t, kFloat64).to_vector<double>();
}

// Keeps the gradients of the responses, and optionally scales the loss (to trigger the clip).
struct Probe : Agm {
  using Agm::Agm;
  double loss_scale = 1;
  double head_max = 0;  // max |head weight gradient| before the clip
  std::vector<std::vector<double>> grads_before;
  Tensor loss(StepContext& context) override {
    for (const Tensor& o : responses()) o.retain_grad();
    return mul(Agm::loss(context), loss_scale);
  }
  void before_step(StepContext& context) override {
    head_max = 0;
    grads_before.clear();
    const Tensor& w = context.model.parameter("fusion_module.fc_out.weight");
    head_max = amax(abs(w.grad())).item<double>();
    for (const Tensor& p : context.model.parameters())
      if (p.grad().defined()) grads_before.push_back(values(p.grad()));
    Agm::before_step(context);
  }
};

double total_grad_norm(nn::Module& model) {
  double s = 0;
  for (const Tensor& p : model.parameters())
    if (p.grad().defined())
      for (double g : values(p.grad())) s += g * g;
  return std::sqrt(s);
}

// Batch mean of −log max(softmax(o)[y], 1e-8), by a naive loop over [4, 6] values.
double naive_score(const std::vector<double>& o, const std::vector<std::int64_t>& labels) {
  double s = 0;
  for (std::size_t i = 0; i < labels.size(); ++i) {
    double z = 0;
    for (int k = 0; k < 6; ++k) z += std::exp(o[i * 6 + k]);
    s -= std::log(std::max(std::exp(o[i * 6 + labels[i]]) / z, 1e-8));
  }
  return s / static_cast<double>(labels.size());
}

TEST(Agm, ResponseWeightsAreShapleyWithTheBaselineShared) {
  // M = 2: o_a = ½[f(a,v) − f(0,v) + f(a,0)] (bit 0 = audio).
  EXPECT_DOUBLE_EQ(Agm::response_weight(2, 0b11, 0), 0.5);
  EXPECT_DOUBLE_EQ(Agm::response_weight(2, 0b10, 0), -0.5);
  EXPECT_DOUBLE_EQ(Agm::response_weight(2, 0b01, 0), 0.5);
  EXPECT_DOUBLE_EQ(Agm::response_weight(2, 0b00, 0), 0.0);
  // M = 3, every coalition: Σ_m weight(S, m) is 1 for the full coalition and 0 otherwise
  // (efficiency), and m's own singleton weighs 1/3.
  for (std::uint64_t s = 0; s < 8; ++s) {
    double total = 0;
    for (int m = 0; m < 3; ++m) total += Agm::response_weight(3, s, m);
    EXPECT_NEAR(total, s == 7 ? 1.0 : 0.0, 1e-15) << "coalition " << s;
  }
  EXPECT_NEAR(Agm::response_weight(3, 0b001, 0), 1.0 / 3, 1e-15);
  EXPECT_NEAR(Agm::response_weight(3, 0b110, 0), -1.0 / 3, 1e-15);
}

// o_a + o_v = f(a, v) = z' in value, o_a = ½[f(a,v) − f(0,v) + f(a,0)] with the zero passes in
// eval mode, and the model is back in training mode.
TEST(Agm, ResponsesFromZeroInputPassesSumToTheFusedLogits) {
  auto model = small_av(), copy = small_av();
  copy->load_state_dict(model->state_dict());
  const Batch batch = av_batch();
  SGD sgd(model->parameters(), SGDOptions{.lr = 0});
  Agm agm;
  Generator generator(1);
  const StepResult r = train_step(*model, sgd, agm, batch, 0, 0, generator);
  EXPECT_TRUE(model->is_training());

  NoGradGuard no_grad;
  const auto full = values(copy->forward(batch.inputs).logits);  // train mode, as in the step
  copy->eval();
  const auto audio_only =
      values(copy->forward(copy->zero_absent(batch.inputs, {true, false})).logits);
  const auto visual_only =
      values(copy->forward(copy->zero_absent(batch.inputs, {false, true})).logits);
  const auto oa = values(agm.responses()[0]), ov = values(agm.responses()[1]);
  const auto z = values(r.output.logits);
  for (std::size_t i = 0; i < full.size(); ++i) {
    EXPECT_NEAR(oa[i] + ov[i], full[i], 1e-5) << i;
    EXPECT_NEAR(z[i], full[i], 1e-5) << i;
    EXPECT_NEAR(oa[i], 0.5 * (full[i] - visual_only[i] + audio_only[i]), 1e-5) << i;
    EXPECT_NEAR(ov[i], 0.5 * (full[i] - audio_only[i] + visual_only[i]), 1e-5) << i;
  }
}

// The gradient reaching o_m is κ_m·g with g = ∂CE/∂z = (softmax(z) − onehot(y))/B, computed here
// by hand from z's values; κ = 1 (α = 0) gives g itself. κ of the first step is
// exp(α·min(1 − r_m, 10)) (s̄ = 0 so r̄ = 1) with r_a = exp(s_v − s_a) from hand-computed scores.
TEST(Agm, CoefficientsScaleTheGradientReachingEachResponse) {
  const Batch batch = av_batch();
  const auto labels = batch.labels.to_vector<std::int64_t>();
  for (const double alpha : {0.0, 1.5}) {
    auto model = small_av();
    SGD sgd(model->parameters(), SGDOptions{.lr = 0});
    Probe agm(AgmOptions{.alpha = alpha});
    Generator generator(1);
    const StepResult r = train_step(*model, sgd, agm, batch, 0, 0, generator);

    const auto z = values(r.output.logits);
    std::vector<double> g(z.size());
    for (std::size_t i = 0; i < labels.size(); ++i) {
      double total = 0;
      for (int k = 0; k < 6; ++k) total += std::exp(z[i * 6 + k]);
      for (int k = 0; k < 6; ++k)
        g[i * 6 + k] = (std::exp(z[i * 6 + k]) / total - (k == labels[i])) / 4.0;
    }
    const double sa = naive_score(values(agm.responses()[0]), labels);
    const double sv = naive_score(values(agm.responses()[1]), labels);
    const double kappa_a = std::exp(alpha * std::min(1 - std::exp(sv - sa), 10.0));
    const double kappa_v = std::exp(alpha * std::min(1 - std::exp(sa - sv), 10.0));
    const auto log = as_map(r.log);
    EXPECT_NEAR(log.at("agm.score.audio"), sa, 1e-5);
    EXPECT_NEAR(log.at("agm.score.visual"), sv, 1e-5);
    EXPECT_NEAR(log.at("agm.coefficient.audio"), kappa_a, 1e-5 * kappa_a);
    EXPECT_NEAR(log.at("agm.coefficient.visual"), kappa_v, 1e-5 * kappa_v);
    if (alpha > 0) {
      EXPECT_GT(std::abs(kappa_a - kappa_v), 1e-3);  // the check has teeth
    }
    const double kappas[2] = {kappa_a, kappa_v};
    for (int m = 0; m < 2; ++m) {
      const auto grad = values(agm.responses()[m].grad());
      for (std::size_t i = 0; i < g.size(); ++i)
        EXPECT_NEAR(grad[i], kappas[m] * g[i], 1e-6) << "modality " << m << " element " << i;
    }
  }
}

// The clip fires on a head-weight gradient entry beyond 1, not on a large global norm alone.
TEST(Agm, ClipsOnlyWhenAHeadGradientExceedsOne) {
  const Batch batch = av_batch();
  for (const double scale : {1.0, 1e4}) {
    auto model = small_av();
    SGD sgd(model->parameters(), SGDOptions{.lr = 0});
    Probe agm;
    agm.loss_scale = scale;
    Generator generator(1);
    const StepResult r = train_step(*model, sgd, agm, batch, 0, 0, generator);
    const bool exceeds = agm.head_max > 1;
    EXPECT_EQ(exceeds, scale > 1) << "head max " << agm.head_max;
    EXPECT_EQ(as_map(r.log).at("agm.clipped"), exceeds ? 1.0 : 0.0);
    if (exceeds) {
      EXPECT_NEAR(total_grad_norm(*model), 1.0, 1e-4);
    } else {
      // The global norm is above max_norm, yet nothing is clipped: only the head decides.
      EXPECT_GT(total_grad_norm(*model), 1.0);
      std::size_t i = 0;
      for (const Tensor& p : model->parameters())
        if (p.grad().defined()) {
          EXPECT_EQ(values(p.grad()), agm.grads_before[i++]);
        }
    }
  }
}

// s̄ moves after κ: step 0 sees s̄ = 0 and leaves s̄ = s(0); step 1's κ uses r̄ from s(0).
// A second Agm loaded with the first one's state_dict makes the same decision.
TEST(Agm, RunningMeansUpdateAfterTheCoefficientAndRestore) {
  auto model = small_av(), copy = small_av();
  copy->load_state_dict(model->state_dict());
  SGD sgd(model->parameters(), SGDOptions{.lr = 0.05});
  SGD sgd_copy(copy->parameters(), SGDOptions{.lr = 0.05});
  const double alpha = 1.2;
  Agm agm(AgmOptions{.alpha = alpha});
  Generator generator(1);
  const auto log0 = as_map(train_step(*model, sgd, agm, av_batch(3), 0, 0, generator).log);
  const double sa0 = log0.at("agm.score.audio"), sv0 = log0.at("agm.score.visual");
  EXPECT_EQ(agm.steps(), 1);
  EXPECT_EQ(agm.score_means(), (std::vector<double>{sa0, sv0}));

  Agm twin(AgmOptions{.alpha = alpha});
  train_step(*copy, sgd_copy, twin, av_batch(3), 0, 0, generator);  // moves `copy` the same way
  Agm restored(AgmOptions{.alpha = alpha});
  restored.load_state_dict(agm.state_dict());

  const auto log1 = as_map(train_step(*model, sgd, agm, av_batch(4), 0, 1, generator).log);
  const auto log1r =
      as_map(train_step(*copy, sgd_copy, restored, av_batch(4), 0, 1, generator).log);
  const double sa1 = log1.at("agm.score.audio"), sv1 = log1.at("agm.score.visual");
  const double kappa_a =
      std::exp(alpha * std::min(std::exp(sv0 - sa0) - std::exp(sv1 - sa1), 10.0));
  const double kappa_v =
      std::exp(alpha * std::min(std::exp(sa0 - sv0) - std::exp(sa1 - sv1), 10.0));
  EXPECT_NEAR(log1.at("agm.coefficient.audio"), kappa_a, 1e-12 * kappa_a);
  EXPECT_NEAR(log1.at("agm.coefficient.visual"), kappa_v, 1e-12 * kappa_v);
  EXPECT_EQ(log1, log1r);
  EXPECT_EQ(agm.steps(), 2);
  EXPECT_NEAR(agm.score_means()[0], 0.5 * (sa0 + sa1), 1e-12);
}

TEST(Agm, OutsideTheWindowCoefficientsAreOneButMeansStillMove) {
  auto model = small_av();
  SGD sgd(model->parameters(), SGDOptions{.lr = 0});
  Agm agm(AgmOptions{.alpha = 1.5, .modulation_starts = 2, .modulation_ends = 3});
  Generator generator(1);
  const auto log = as_map(train_step(*model, sgd, agm, av_batch(), 0, 0, generator).log);
  EXPECT_EQ(log.at("agm.coefficient.audio"), 1.0);
  EXPECT_EQ(log.at("agm.coefficient.visual"), 1.0);
  EXPECT_EQ(agm.steps(), 1);
}

TEST(Agm, RejectsBadOptionsAndState) {
  EXPECT_MG_ERROR(Agm(AgmOptions{.alpha = -1}), "Agm", "alpha", "-1");
  EXPECT_MG_ERROR(Agm(AgmOptions{.modulation_starts = 5, .modulation_ends = 2}), "Agm", "[5, 2]");
  Agm agm;
  EXPECT_MG_ERROR(agm.load_state_dict({{"agm.bogus", scalar_tensor(1, kFloat64)}}), "Agm",
                  "agm.bogus");
}

}  // namespace
}  // namespace mg::optim
