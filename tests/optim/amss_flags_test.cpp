#include <cmath>
#include <string>
#include <vector>

#include "amss_recording.h"
#include "autograd/ops.h"
#include "optim/amss.h"
#include "small_av.h"
#include "test_util.h"

// The bug-compatibility flags of specs/amss.md §17.2: each changes exactly what §16 describes,
// and is off by default.
namespace mg::optim {
namespace {

using mg::testing::av_batch;
using mg::testing::log_map;
using mg::testing::nonzero;
using mg::testing::RecordingSGD;
using mg::testing::small_av;

constexpr const char* kStageConv = "audio_net.layer1.0.conv1.weight";

// Σ g² per output channel of a conv weight.
std::vector<double> channel_scores(const Tensor& param) {
  const std::int64_t n = param.shape()[0];
  const std::vector<float> g = clone(param.grad()).to_vector<float>();
  std::vector<double> s(static_cast<std::size_t>(n), 0.0);
  for (std::size_t i = 0; i < g.size(); ++i) s[i / (g.size() / n)] += double(g[i]) * g[i];
  return s;
}

// B1: with the flag the text-image family's ratios are the own softmax weights, so the more
// significant modality keeps the larger fraction; without it the swapped softmax.
TEST(AmssFlags, ItRatioSwapGivesEachModalityItsOwnSoftmaxWeight) {
  std::vector<double> ratios[2];
  for (bool flag : {false, true}) {
    manual_seed(1);  // the same model both times
    auto model = small_av(nn::Activation::GELU);
    RecordingSGD sgd(model->named_parameters(), SGDOptions{.lr = 0.1});
    AmssOptions options{.mode = AmssMode::Reference,
                        .significance = SignificanceFormula::TextImage};
    options.bug_it_ratio_swap = flag;
    Amss amss(options);
    const Batch batch = av_batch();
    const nn::MultimodalOutput out = model->forward(batch.inputs);  // the step's forward
    const Significance s = modality_significance(SignificanceFormula::TextImage,
                                                 out.modality_logits, {}, batch.labels, true);
    Generator generator(3);
    const auto log = log_map(train_step(*model, sgd, amss, batch, 0, 0, generator).log);
    ratios[flag] = amss.ratios();
    const std::vector<double> expected = update_ratios(s, 0.5, 0, flag);
    EXPECT_NEAR(ratios[flag][0], expected[0], 1e-12);
    EXPECT_NEAR(ratios[flag][1], expected[1], 1e-12);
    EXPECT_EQ(log.at("rho.audio"), ratios[flag][0]);
    // The kept channels follow the flag's ratio.
    const Tensor p = model->parameter(kStageConv);
    EXPECT_EQ(log.at(std::string("k.") + kStageConv), sample_size(ratios[flag][0], p.shape()[0]));
    EXPECT_EQ(nonzero(*sgd.factors(p)), sample_size(ratios[flag][0], p.shape()[0]));
  }
  ASSERT_NE(ratios[0][0], ratios[0][1]);
  EXPECT_EQ(ratios[1][0], ratios[0][1]);
  EXPECT_EQ(ratios[1][1], ratios[0][0]);
  EXPECT_MG_ERROR(
      resolve(AmssOptions{.bug_it_ratio_swap = true}, SignificanceFormula::ThreeModality), "Amss",
      "bug_it_ratio_swap");
}

// B5: the audio-video classifier blocks leave the plan (paper mode masks them otherwise).
TEST(AmssFlags, AvClassifierUnmaskedDropsTheHeadFromThePlan) {
  const std::string head = "fusion_module.fc_out.weight";
  for (bool flag : {false, true}) {
    auto model = small_av(nn::Activation::GELU);
    RecordingSGD sgd(model->named_parameters(), SGDOptions{.lr = 0.1});
    AmssOptions options;
    options.bug_av_classifier_unmasked = flag;
    Amss amss(options);
    std::size_t classifier = 0;
    for (const Amss::Target& target : amss.plan(*model))
      classifier += target.kind == Amss::Target::Kind::ClassifierRows;
    EXPECT_EQ(classifier, flag ? 0u : 2u);
    Generator generator(5);
    const auto log = log_map(train_step(*model, sgd, amss, av_batch(), 0, 0, generator).log);
    const std::vector<double>* factors = sgd.factors(model->parameter(head));
    EXPECT_EQ(factors == nullptr, flag);
    EXPECT_EQ(log.count("k." + head + "[audio]") == 0, flag);
    // The encoders are masked either way.
    EXPECT_NE(sgd.factors(model->parameter(kStageConv)), nullptr);
  }
  // Reference mode (scope code) leaves the AV head unmasked without the flag.
  auto model = small_av();
  Amss reference(AmssOptions{.mode = AmssMode::Reference});
  for (const Amss::Target& target : reference.plan(*model))
    EXPECT_NE(target.kind, Amss::Target::Kind::ClassifierRows);
}

// B9/B10: each unit is kept independently with probability q_u = s_u/Σs whatever ρ, with factor
// 1 even for AMSS+. Monte Carlo over repeated masks of one fixed gradient (lr 0: nothing moves).
TEST(AmssFlags, BernoulliCodeKeepsUnitsWithProbabilityQAndIgnoresRho) {
  auto model = small_av(nn::Activation::GELU);
  RecordingSGD sgd(model->named_parameters(), SGDOptions{.lr = 0.0});
  // The significance guard must not fire, so that the two τ below give different ρ.
  mg::testing::calm_head(*model);
  const Batch batch = mg::testing::distinct_labels(av_batch());
  Generator generator(17);
  StepContext step{*model, sgd, batch, 0, 0, generator, model->forward(batch.inputs), {}, {}};
  step.loss = cross_entropy(step.output.logits, batch.labels);
  backward(step.loss);

  const Tensor p = model->parameter(kStageConv);
  const std::int64_t n = p.shape()[0];
  const std::vector<double> s = channel_scores(p);
  double total = 0;
  for (double v : s) total += v;

  // Two temperatures give different ratios but the same draws (ρ is not read).
  AmssOptions options{.plus = true, .tau = 0.01};
  options.bug_bernoulli_code = true;
  Amss cold(options);
  options.tau = 1000.0;
  Amss hot(options);
  Generator cold_generator(23), hot_generator(23);
  const int draws = 2000, compared = 200;
  std::vector<int> kept(static_cast<std::size_t>(n), 0);
  for (int t = 0; t < draws; ++t) {
    std::vector<double> factors[2];
    for (int which = 0; which < (t < compared ? 2 : 1); ++which) {
      StepContext c{*model,      sgd,       batch, 0, 0, which ? hot_generator : cold_generator,
                    step.output, step.loss, {}};
      (which ? hot : cold).after_backward(c);
      sgd.step();
      factors[which] = *sgd.factors(p);
    }
    if (t < compared) ASSERT_EQ(factors[0], factors[1]) << "draw " << t;
    for (std::int64_t u = 0; u < n; ++u) {
      ASSERT_TRUE(factors[0][u] == 0 || factors[0][u] == 1) << factors[0][u];
      kept[u] += factors[0][u] == 1;
    }
  }
  ASSERT_NE(cold.ratios()[0], hot.ratios()[0]);
  for (std::int64_t u = 0; u < n; ++u) {
    const double q = s[u] / total;
    EXPECT_NEAR(kept[u] / double(draws), q, 5 * std::sqrt(q * (1 - q) / draws) + 1e-12)
        << "unit " << u;
  }

  // Off (the default): ceil(ρN) units with the exact 1/π factor.
  Amss off(AmssOptions{.plus = true});
  off.after_backward(step);
  sgd.step();
  const std::vector<double>& factors = *sgd.factors(p);
  EXPECT_EQ(nonzero(factors), sample_size(off.ratios()[0], n));
  bool rescaled = false;
  for (double f : factors) rescaled |= f != 0 && f != 1;
  EXPECT_TRUE(rescaled);
}

// B10, text-image: the code applies its own factor 1/(q + 1/N + b) in the Bernoulli mode too;
// audio-video: factor 1.
TEST(AmssFlags, BernoulliCodeFactorIsOneExceptTheTextImageCodeFactor) {
  for (bool text_image : {false, true}) {
    auto model = small_av(nn::Activation::GELU);
    RecordingSGD sgd(model->named_parameters(), SGDOptions{.lr = 0.1});
    AmssOptions options{.plus = true, .mode = AmssMode::Reference};
    if (text_image) options.significance = SignificanceFormula::TextImage;
    options.bug_bernoulli_code = true;
    Amss amss(options);
    Generator generator(29);
    train_step(*model, sgd, amss, av_batch(), 0, 0, generator);
    std::int64_t checked = 0;
    for (const Amss::Target& target : amss.plan(*model)) {
      if (target.kind != Amss::Target::Kind::Units) continue;
      const Tensor& p = target.params[0];
      const std::int64_t n = p.shape()[0];
      const std::vector<double> s = channel_scores(p);
      double total = 0;
      for (double v : s) total += v;
      const std::vector<double>& factors = *sgd.factors(p);
      for (std::int64_t u = 0; u < n; ++u) {
        if (factors[u] == 0) continue;
        const double expected = text_image ? 1 / (s[u] / total + 1.0 / n + 0.2) : 1.0;
        EXPECT_NEAR(factors[u], expected, 1e-6 * expected) << target.names[0] << " unit " << u;
        ++checked;
      }
    }
    EXPECT_GT(checked, 10);  // about one unit per layer
  }
}

}  // namespace
}  // namespace mg::optim
