#include "optim/pmr.h"

#include <cmath>
#include <map>

#include "autograd/ops.h"
#include "layers/fusion.h"
#include "layers/models/av_classifier.h"
#include "optim/sgd.h"
#include "small_av.h"
#include "test_util.h"

namespace mg::optim {
namespace {

using mg::testing::av_batch;
using mg::testing::small_av;

constexpr std::int64_t kB = 4, kD = 2, kC = 3;

// Two modalities whose features are the parameters themselves (the inputs are ignored), so the
// prototype classifier, the ratio and the loss terms can be computed by hand.
class FixedFeatures : public nn::MultimodalClassifier {
 public:
  FixedFeatures(const std::vector<double>& audio, const std::vector<double>& visual)
      : MultimodalClassifier("FixedFeatures") {
    head = register_module(
        "head", std::make_shared<nn::ConcatFusion>(std::vector<std::int64_t>{kD, kD}, kC));
    register_parameter("audio", tensor(audio, {kB, kD}, kFloat32));
    register_parameter("visual", tensor(visual, {kB, kD}, kFloat32));
  }
  std::int64_t num_modalities() const override { return 2; }
  std::string modality_name(std::int64_t m) const override { return m ? "visual" : "audio"; }
  std::int64_t num_inputs() const override { return 2; }
  std::int64_t input_modality(std::int64_t input) const override { return input; }
  nn::MultimodalOutput forward(const std::vector<Tensor>& inputs) override {
    check_inputs(inputs);
    const std::vector<Tensor> features{parameter("audio"), parameter("visual")};
    nn::FusionOutput fused = head->forward(features);
    return {fused.logits, fused.modality_logits, features};
  }
  std::vector<nn::NamedParameter> modality_parameters(std::int64_t m) const override {
    return {{m ? "visual" : "audio", parameter(m ? "visual" : "audio"), {}}};
  }
  nn::FusionHead& fusion_head() const override { return *head; }

  std::shared_ptr<nn::ConcatFusion> head;
};

// Prototypes c0 = (0, 0), c1 = (4, 0), c2 = (0, 4) for both modalities.
const std::vector<double> kPrototypes{0, 0, 4, 0, 0, 4};
const std::vector<std::int64_t> kLabels{0, 1, 2, 1};
// Near their class prototype (confident) and all at (1, 1) (ambiguous).
const std::vector<double> kClear{0.5, 0, 4, 0.5, 0, 3.5, 3, 0};
const std::vector<double> kVague{1, 1, 1, 1, 1, 1, 1, 1};

Batch fixed_batch() {
  return {{zeros({kB, 1}), zeros({kB, 1})}, from_vector(kLabels, {kB})};
}

// −‖f_i − c_k‖ by a naive loop, row-major [B, C].
std::vector<double> naive_logits(const std::vector<double>& features) {
  std::vector<double> out;
  for (std::int64_t i = 0; i < kB; ++i)
    for (std::int64_t k = 0; k < kC; ++k) {
      double s = 0;
      for (std::int64_t j = 0; j < kD; ++j) {
        const double d = features[i * kD + j] - kPrototypes[k * kD + j];
        s += d * d;
      }
      out.push_back(-std::sqrt(s));
    }
  return out;
}

std::vector<double> softmax_rows(const std::vector<double>& logits) {
  std::vector<double> out(logits.size());
  for (std::int64_t i = 0; i < kB; ++i) {
    double z = 0;
    for (std::int64_t k = 0; k < kC; ++k) z += std::exp(logits[i * kC + k]);
    for (std::int64_t k = 0; k < kC; ++k) out[i * kC + k] = std::exp(logits[i * kC + k]) / z;
  }
  return out;
}

double score(const std::vector<double>& q) {
  double s = 0;
  for (std::int64_t i = 0; i < kB; ++i) s += q[i * kC + kLabels[i]];
  return s;
}

double cross_entropy_of(const std::vector<double>& q) {
  double s = 0;
  for (std::int64_t i = 0; i < kB; ++i) s -= std::log(q[i * kC + kLabels[i]]);
  return s / kB;
}

double negative_entropy(const std::vector<double>& q) {
  double s = 0;
  for (double p : q) s += p * std::log(p);
  return s / kB;
}

std::map<std::string, double> as_map(const StepLog& log) {
  return {log.begin(), log.end()};
}

nn::TensorList fixed_prototypes() {
  return {{"prototypes.0", tensor(kPrototypes, {kC, kD}, kFloat32)},
          {"prototypes.1", tensor(kPrototypes, {kC, kD}, kFloat32)}};
}

// Runs one step at `epoch` and returns the result of Naive on the same model too (lr 0: the
// model does not move).
std::pair<StepResult, StepResult> step_both(const std::vector<double>& audio,
                                            const std::vector<double>& visual, Pmr& pmr,
                                            std::int64_t epoch) {
  FixedFeatures model(audio, visual);
  SGD sgd(model.parameters(), SGDOptions{.lr = 0});
  Generator generator(1);
  Naive naive;
  StepResult naive_result = train_step(model, sgd, naive, fixed_batch(), epoch, 0, generator);
  StepResult pmr_result = train_step(model, sgd, pmr, fixed_batch(), epoch, 0, generator);
  return {std::move(pmr_result), std::move(naive_result)};
}

PmrOptions fixed_options() {
  return {.alpha = 0.7, .prototype_batches = 1, .per_mu = 0.3, .per_epochs = 2};
}

TEST(Pmr, PrototypeLogitsAreMinusEuclideanDistance) {
  const Tensor logits =
      Pmr::prototype_logits(tensor(kClear, {kB, kD}), tensor(kPrototypes, {kC, kD}));
  testing::expect_values(logits, naive_logits(kClear), {kB, kC}, 1e-6);
}

// Audio confident, visual ambiguous: ρ > 1, so PCE on visual (1) and the reconstructed PER on
// audio (0); then the mirror case.
TEST(Pmr, RatioPicksTheLaggingModalityForPceAndTheLeadingOneForPer) {
  for (const bool audio_leads : {true, false}) {
    const auto& audio = audio_leads ? kClear : kVague;
    const auto& visual = audio_leads ? kVague : kClear;
    Pmr pmr(fixed_options());
    pmr.load_state_dict(fixed_prototypes());
    const auto [result, naive] = step_both(audio, visual, pmr, 0);

    const auto qa = softmax_rows(naive_logits(audio)), qv = softmax_rows(naive_logits(visual));
    const double ratio = score(qa) / score(qv);
    const auto& slow = audio_leads ? qv : qa;
    const auto& lead = audio_leads ? qa : qv;
    const auto log = as_map(result.log);
    EXPECT_NEAR(log.at("pmr.ratio"), ratio, 1e-5 * ratio);
    EXPECT_EQ(audio_leads, ratio > 1);
    EXPECT_EQ(log.at("pmr.pce_modality"), audio_leads ? 1.0 : 0.0);
    EXPECT_NEAR(log.at("loss.pce"), cross_entropy_of(slow), 1e-5);
    EXPECT_EQ(log.at("pmr.per_reconstruction.active"), 1.0);
    EXPECT_NEAR(log.at("loss.per_reconstruction"), negative_entropy(lead), 1e-5);
    EXPECT_NEAR(result.loss,
                naive.loss + 0.7 * cross_entropy_of(slow) + 0.3 * negative_entropy(lead), 1e-5);
  }
}

// coef_mode = ratio_scaled: α and μ times tanh(max(ρ, 1/ρ) − 1). By hand: ρ = 2 and ρ = ½ give
// tanh(1) = 0.7615941559557649, ρ = 1.25 gives tanh(0.25) = 0.24491866240370913, a tie 0.
TEST(Pmr, RatioScaledCoefficients) {
  EXPECT_EQ(Pmr::coefficient_scale(PmrCoefMode::Constant, 3.0), 1.0);
  EXPECT_NEAR(Pmr::coefficient_scale(PmrCoefMode::RatioScaled, 2.0), 0.7615941559557649, 1e-15);
  EXPECT_NEAR(Pmr::coefficient_scale(PmrCoefMode::RatioScaled, 0.5), 0.7615941559557649, 1e-15);
  EXPECT_NEAR(Pmr::coefficient_scale(PmrCoefMode::RatioScaled, 1.25), 0.24491866240370913, 1e-15);
  EXPECT_EQ(Pmr::coefficient_scale(PmrCoefMode::RatioScaled, 1.0), 0.0);
  EXPECT_EQ(parse_pmr_coef_mode("ratio_scaled"), PmrCoefMode::RatioScaled);
  EXPECT_EQ(to_string(PmrCoefMode::Constant), "constant");
  EXPECT_MG_ERROR(parse_pmr_coef_mode("scaled"), "\"scaled\"", "\"ratio_scaled\"");
}

// The same step as above with ratio_scaled: the loss is CE + s·(0.7·PCE + 0.3·PER) with s from
// the hand-computed ratio.
TEST(Pmr, RatioScaledLossWeighsBothTermsByTheScale) {
  for (const bool audio_leads : {true, false}) {
    const auto& audio = audio_leads ? kClear : kVague;
    const auto& visual = audio_leads ? kVague : kClear;
    PmrOptions options = fixed_options();
    options.coef_mode = PmrCoefMode::RatioScaled;
    Pmr pmr(options);
    pmr.load_state_dict(fixed_prototypes());
    const auto [result, naive] = step_both(audio, visual, pmr, 0);

    const auto qa = softmax_rows(naive_logits(audio)), qv = softmax_rows(naive_logits(visual));
    const double ratio = score(qa) / score(qv);
    const double scale = std::tanh(std::max(ratio, 1 / ratio) - 1);
    ASSERT_GT(scale, 0.01);
    const auto& slow = audio_leads ? qv : qa;
    const auto& lead = audio_leads ? qa : qv;
    const auto log = as_map(result.log);
    EXPECT_NEAR(log.at("pmr.coefficient_scale"), scale, 1e-5);
    EXPECT_NEAR(result.loss,
                naive.loss + scale * (0.7 * cross_entropy_of(slow) + 0.3 * negative_entropy(lead)),
                1e-5);
  }
}

TEST(Pmr, PerStopsAfterItsEpochsAndNothingActsOutsideTheWindow) {
  Pmr pmr({.alpha = 0.7,
           .prototype_batches = 1,
           .modulation_starts = 1,
           .modulation_ends = 3,
           .per_mu = 0.3,
           .per_epochs = 2});
  pmr.load_state_dict(fixed_prototypes());
  const auto qv = softmax_rows(naive_logits(kVague));

  const auto [late, late_naive] = step_both(kClear, kVague, pmr, 2);  // window, past E_PER
  const auto late_log = as_map(late.log);
  EXPECT_EQ(late_log.at("pmr.per_reconstruction.active"), 0.0);
  EXPECT_EQ(late_log.count("loss.per_reconstruction"), 0u);
  EXPECT_NEAR(late.loss, late_naive.loss + 0.7 * cross_entropy_of(qv), 1e-5);

  for (const std::int64_t epoch : {0, 4}) {
    const auto [outside, naive] = step_both(kClear, kVague, pmr, epoch);
    EXPECT_EQ(outside.loss, naive.loss) << "epoch " << epoch;
    EXPECT_TRUE(outside.log.empty()) << "epoch " << epoch;
  }
}

std::vector<Batch> av_batches(std::uint64_t seed, int count) {
  Generator generator(seed);
  std::vector<Batch> out;
  for (int b = 0; b < count; ++b)
    out.push_back(
        {{randn({4, 1, 24, 16}, {}, &generator), randn({4, 3, 1, 32, 32}, {}, &generator)},
         randint(0, 6, {4}, kInt64, &generator)});
  return out;
}

BatchSource source(const std::vector<Batch>& batches) {
  auto next = std::make_shared<std::size_t>(0);
  return [&batches, next](Batch& out) {
    if (*next >= batches.size()) return false;
    out = batches[(*next)++];
    return true;
  };
}

// Class means of each modality's eval-mode features over `batches`, by a naive loop; absent
// classes get `absent`.
std::vector<std::vector<double>> direct_means(nn::AVClassifier& model,
                                              const std::vector<Batch>& batches,
                                              const std::vector<std::vector<double>>& absent) {
  model.eval();
  NoGradGuard no_grad;
  const std::int64_t d = model.feature_dim();
  std::vector<std::vector<double>> sums(2, std::vector<double>(6 * d, 0.0));
  std::vector<double> counts(6, 0.0);
  for (const Batch& batch : batches) {
    const auto out = model.forward(batch.inputs);
    const auto labels = batch.labels.to_vector<std::int64_t>();
    for (std::size_t i = 0; i < labels.size(); ++i) {
      counts[labels[i]] += 1;
      for (int m = 0; m < 2; ++m) {
        const auto f = out.features[m].to_vector<float>();
        for (std::int64_t j = 0; j < d; ++j) sums[m][labels[i] * d + j] += f[i * d + j];
      }
    }
  }
  model.train();
  for (int m = 0; m < 2; ++m)
    for (std::int64_t k = 0; k < 6; ++k)
      for (std::int64_t j = 0; j < d; ++j)
        sums[m][k * d + j] = counts[k] ? sums[m][k * d + j] / counts[k] : absent[m][k * d + j];
  return sums;
}

TEST(Pmr, PrototypesAreClassMeansSmoothedFromTheSecondEpoch) {
  auto model = small_av();
  const std::int64_t d = model->feature_dim();
  const auto batches = av_batches(5, 3);
  Pmr pmr({.prototype_momentum = 0.2, .prototype_batches = 2});
  pmr.on_epoch_start(*model, 0, source(batches));
  EXPECT_TRUE(model->is_training());
  const std::vector<Batch> first(batches.begin(), batches.begin() + 2);  // the third is not read
  const std::vector<std::vector<double>> none(2, std::vector<double>(6 * d, 0.0));
  const auto means0 = direct_means(*model, first, none);
  for (int m = 0; m < 2; ++m) testing::expect_values(pmr.prototypes()[m], means0[m], {6, d}, 1e-5);

  const auto later = av_batches(6, 1);  // 4 samples: some of the 6 classes are absent
  pmr.on_epoch_start(*model, 1, source(later));
  const auto fresh = direct_means(*model, later, means0);  // absent classes: the old prototype
  const auto labels = later[0].labels.to_vector<std::int64_t>();
  for (int m = 0; m < 2; ++m) {
    std::vector<double> expected = fresh[m];
    for (std::int64_t k = 0; k < 6; ++k) {
      if (std::find(labels.begin(), labels.end(), k) == labels.end()) continue;
      for (std::int64_t j = 0; j < d; ++j)
        expected[k * d + j] = 0.8 * fresh[m][k * d + j] + 0.2 * means0[m][k * d + j];
    }
    testing::expect_values(pmr.prototypes()[m], expected, {6, d}, 1e-5);
  }
}

// specs/peers.md §5.3's unit test: the (reconstructed) PER term moves the leading encoder only.
// Two identical models step with PER on and off; the gradient difference is μ·∇L_PER.
TEST(Pmr, PerGradientReachesTheLeadingEncoderOnly) {
  auto with = small_av(), without = small_av();
  without->load_state_dict(with->state_dict());
  const auto batches = av_batches(7, 2);
  Pmr pmr_with({.prototype_batches = 2, .per_mu = 0.5});
  Pmr pmr_without({.prototype_batches = 2, .per_enable = false});
  pmr_with.on_epoch_start(*with, 0, source(batches));
  pmr_without.on_epoch_start(*without, 0, source(batches));
  SGD sgd_with(with->parameters(), SGDOptions{.lr = 0});
  SGD sgd_without(without->parameters(), SGDOptions{.lr = 0});
  Generator g1(1), g2(1);
  const StepResult r = train_step(*with, sgd_with, pmr_with, batches[0], 0, 0, g1);
  train_step(*without, sgd_without, pmr_without, batches[0], 0, 0, g2);
  const auto log = as_map(r.log);
  ASSERT_EQ(log.at("pmr.per_reconstruction.active"), 1.0);
  ASSERT_NE(log.at("loss.per_reconstruction"), 0.0);
  const std::int64_t lead = 1 - static_cast<std::int64_t>(log.at("pmr.pce_modality"));

  for (std::int64_t m = 0; m < 2; ++m) {
    const auto a = with->modality_parameters(m), b = without->modality_parameters(m);
    double largest = 0;
    for (std::size_t i = 0; i < a.size(); ++i) {
      if (!a[i].tensor.grad().defined()) continue;
      const auto ga = a[i].tensor.grad().to_vector<float>();
      const auto gb = b[i].tensor.grad().to_vector<float>();
      for (std::size_t j = 0; j < ga.size(); ++j)
        largest = std::max(largest, std::abs(static_cast<double>(ga[j]) - gb[j]));
    }
    if (m == lead)
      EXPECT_GT(largest, 1e-6) << "modality " << m;
    else
      EXPECT_EQ(largest, 0.0) << "modality " << m;
  }
}

TEST(Pmr, RejectsBadOptionsAndStepsWithoutPrototypes) {
  EXPECT_MG_ERROR(Pmr({.prototype_batches = 0}), "Pmr", "prototype_batches", "0");
  EXPECT_MG_ERROR(Pmr({.prototype_momentum = 1.5, .prototype_batches = 1}), "Pmr", "1.5");
  Pmr pmr(fixed_options());
  FixedFeatures model(kClear, kVague);
  SGD sgd(model.parameters(), SGDOptions{.lr = 0});
  Generator generator(1);
  EXPECT_MG_ERROR(train_step(model, sgd, pmr, fixed_batch(), 0, 0, generator), "Pmr",
                  "on_epoch_start");
}

}  // namespace
}  // namespace mg::optim
