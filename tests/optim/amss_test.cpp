#include "optim/amss.h"

#include <cmath>

#include "layers/models/av_classifier.h"
#include "optim/sgd.h"
#include "small_av.h"
#include "test_util.h"

namespace mg::optim {
namespace {

using mg::testing::av_batch;
using mg::testing::small_av;

// Fixed float64 slice logits, features and labels (B = 4, C = 3, d = 4). Labels {0, 2, 2, 0}: class
// 1 is absent below the largest label, so bincount has a zero entry. The expected numbers below
// are printed by tools/amss_significance_reference.py (numpy, float64; /usr/bin/python3) from the
// formulas of specs/amss.md §6.2, §6.3 and §7.
std::vector<Tensor> slice_logits() {
  return {
      tensor({1.0, -0.5, 0.25, 0.3, 0.8, -1.2, -0.4, 0.1, 0.9, 2.0, 0.0, -1.0}, {4, 3}, kFloat64),
      tensor({0.2, 0.1, -0.3, -0.6, 0.4, 0.5, 0.0, -0.2, 1.5, 0.7, 0.3, -0.1}, {4, 3}, kFloat64)};
}
std::vector<Tensor> features() {
  return {
      tensor({0.5, 1.0, -1.0, 0.0, 2.0, 0.1, 0.3, -0.7, 0.0, 0.0, 0.0, 1.0, -1.5, 0.5, 0.2, 0.4},
             {4, 4}, kFloat64),
      tensor({1.0, 0.2, 0.3, 0.4, 0.1, -0.1, 0.6, 0.0, 0.9, -0.8, 0.7, -0.6, 0.3, 0.3, 0.3, 0.3},
             {4, 4}, kFloat64)};
}
Tensor labels() {
  return from_vector<std::int64_t>({0, 2, 2, 0}, {4});
}

TEST(ModalitySignificance, AudioVideoCodeFormulaMatchesNumpy) {
  const Significance s = modality_significance(SignificanceFormula::AudioVideo, slice_logits(),
                                               features(), labels(), true);
  EXPECT_NEAR(s.scores[0], -0.9490460561674039, 1e-12);
  EXPECT_NEAR(s.scores[1], -0.7045366977635982, 1e-12);
  EXPECT_NEAR(s.label_entropy, 0.9580200879470335, 1e-12);  // B7: CE against its own softmax
  EXPECT_NEAR(s.rates[0], 0.4440732362639696, 1e-12);
  EXPECT_NEAR(s.rates[1], 0.5769389717910833, 1e-12);
  EXPECT_FALSE(s.fallback);
  const std::vector<double> rho = update_ratios(s, 0.2);
  EXPECT_NEAR(rho[0], 0.6602320944390667, 1e-12);  // audio is less significant: larger ratio
  EXPECT_NEAR(rho[1], 0.3397679055609332, 1e-12);
}

TEST(ModalitySignificance, AudioVideoPaperFormulaUsesTheLabelEntropy) {
  const Significance s = modality_significance(SignificanceFormula::AudioVideo, slice_logits(),
                                               features(), labels(), false);
  EXPECT_NEAR(s.label_entropy, std::log(2.0), 1e-12);
  EXPECT_NEAR(s.rates[0], 0.21297506260909407, 1e-12);
  EXPECT_NEAR(s.rates[1], 0.37412693262188723, 1e-12);
  const std::vector<double> rho = update_ratios(s, 0.25);
  EXPECT_NEAR(rho[0], 0.6557942438235927, 1e-12);
  EXPECT_NEAR(rho[1], 0.34420575617640725, 1e-12);
}

TEST(ModalitySignificance, TextImageCodeFormulaIsInBits) {
  const Significance s =
      modality_significance(SignificanceFormula::TextImage, slice_logits(), {}, labels(), true);
  EXPECT_NEAR(s.label_entropy, 0.9999999711460993, 1e-12);
  EXPECT_NEAR(s.rates[0], 0.05095391497869539, 1e-12);
  EXPECT_NEAR(s.rates[1], 0.2954632733825011, 1e-12);
}

// Three-modality form (§6.4, §7 with M = 3): the AV/IT inputs plus a third (depth) modality.
// Expected values printed by tools/amss_significance_reference.py (numpy, float64; run with
// /usr/bin/python3), sections "three_modality code" and "three_modality paper".
TEST(ModalitySignificance, ThreeModalityMatchesTheReferenceScript) {
  std::vector<Tensor> logits = slice_logits();
  logits.push_back(
      tensor({0.4, 0.0, 0.6, -0.3, -0.2, 0.9, 1.1, 0.2, -0.5, 0.5, 0.1, 0.3}, {4, 3}, kFloat64));
  std::vector<Tensor> feats = features();
  feats.push_back(
      tensor({0.0, 0.8, -0.2, 0.1, 1.2, 0.4, -0.9, 0.3, -0.1, 0.2, 0.5, 0.0, 0.6, -0.4, 1.0, 0.2},
             {4, 4}, kFloat64));
  const Significance code =
      modality_significance(SignificanceFormula::ThreeModality, logits, feats, labels(), true);
  ASSERT_FALSE(code.fallback);
  EXPECT_NEAR(code.scores[2], -1.1350264699139958, 1e-12);
  EXPECT_NEAR(code.label_entropy, 0.9999999997114609, 1e-12);  // bits, +1e-10 (B8)
  EXPECT_NEAR(code.rates[0], 18.451007593148123, 1e-10);
  EXPECT_NEAR(code.rates[1], 17.490335248843117, 1e-10);
  EXPECT_NEAR(code.rates[2], 15.53462725556312, 1e-10);
  // τ = 0.2 (the code's): the most significant modality clamps to 0.1, the others to 0.9.
  EXPECT_EQ(update_ratios(code, 0.2), (std::vector<double>{0.1, 0.9, 0.9}));
  std::vector<double> rho = update_ratios(code, 20.0);  // unclamped: 1 − softmax_m(R/τ)
  EXPECT_NEAR(rho[0], 0.6450648220703026, 1e-12);
  EXPECT_NEAR(rho[1], 0.6617106622294797, 1e-12);
  EXPECT_NEAR(rho[2], 0.6932245157002176, 1e-12);

  const Significance paper =
      modality_significance(SignificanceFormula::ThreeModality, logits, feats, labels(), false);
  ASSERT_FALSE(paper.fallback);
  EXPECT_NEAR(paper.label_entropy, std::log(2.0), 1e-12);
  EXPECT_NEAR(paper.rates[0], 23.941926127032797, 1e-10);
  EXPECT_NEAR(paper.rates[1], 22.88366115952218, 1e-10);
  EXPECT_NEAR(paper.rates[2], 20.01132272326568, 1e-10);
  rho = update_ratios(paper, 0.5);
  EXPECT_NEAR(rho[0], 0.10780744344948079, 1e-12);
  EXPECT_NEAR(rho[1], 0.8925364151247106, 1e-12);
  EXPECT_EQ(rho[2], 0.9);
  rho = update_ratios(paper, 20.0);
  EXPECT_NEAR(rho[0], 0.6389942307101134, 1e-12);
  EXPECT_NEAR(rho[1], 0.657599641515747, 1e-12);
  EXPECT_NEAR(rho[2], 0.7034061277741395, 1e-12);
}

// The clean reading (§6.5): Î_m = H(Y) − CE, R_m = (Î_m + c) / H(f_m), nats, batch-mean H(f_m).
// Expected values: tools/amss_significance_reference.py, sections "clean two modalities" and
// "clean three modalities". With two modalities it coincides with the audio-video paper form;
// for the text-image family it adds the division the structure form lacks, for the
// three-modality family it takes the batch mean instead of the sum / 40.
TEST(ModalitySignificance, CleanFormMatchesTheReferenceScript) {
  for (SignificanceFormula family :
       {SignificanceFormula::AudioVideo, SignificanceFormula::TextImage}) {
    const Significance s = clean_significance(family, slice_logits(), features(), labels());
    ASSERT_FALSE(s.fallback);
    EXPECT_NEAR(s.label_entropy, std::log(2.0), 1e-12);
    EXPECT_NEAR(s.information[0], -0.2558988756074586, 1e-12);
    EXPECT_NEAR(s.information[1], -0.011389517203652888, 1e-12);
    EXPECT_NEAR(s.rates[0], 0.21297506260909407, 1e-12);
    EXPECT_NEAR(s.rates[1], 0.3741269326218872, 1e-12);
    const std::vector<double> rho = update_ratios(s, 0.5);
    EXPECT_NEAR(rho[0], 0.579885588418364, 1e-12);
    EXPECT_NEAR(rho[1], 0.4201144115816358, 1e-12);
  }
  // The text-image structure form on the same batch: no offset, no division.
  const Significance structure =
      modality_significance(SignificanceFormula::TextImage, slice_logits(), {}, labels(), false);
  EXPECT_NEAR(structure.rates[0], -0.2558988756074586, 1e-12);
  EXPECT_EQ(structure.rates[0], structure.information[0]);

  std::vector<Tensor> logits = slice_logits();
  logits.push_back(
      tensor({0.4, 0.0, 0.6, -0.3, -0.2, 0.9, 1.1, 0.2, -0.5, 0.5, 0.1, 0.3}, {4, 3}, kFloat64));
  std::vector<Tensor> feats = features();
  feats.push_back(
      tensor({0.0, 0.8, -0.2, 0.1, 1.2, 0.4, -0.9, 0.3, -0.1, 0.2, 0.5, 0.0, 0.6, -0.4, 1.0, 0.2},
             {4, 4}, kFloat64));
  const Significance three =
      clean_significance(SignificanceFormula::ThreeModality, logits, feats, labels());
  ASSERT_FALSE(three.fallback);
  EXPECT_NEAR(three.information[2], -0.4418792893540505, 1e-12);
  EXPECT_NEAR(three.rates[0], 2.3941926127032795, 1e-12);
  EXPECT_NEAR(three.rates[1], 2.288366115952218, 1e-12);
  EXPECT_NEAR(three.rates[2], 2.0011322723265677, 1e-12);
  const std::vector<double> rho = update_ratios(three, 0.5);
  EXPECT_NEAR(rho[0], 0.5584704913415734, 1e-12);
  EXPECT_NEAR(rho[1], 0.6426942486537365, 1e-12);
  EXPECT_NEAR(rho[2], 0.7988352600046902, 1e-12);

  // Guard: Î_m + 0.5 ≤ 0 for a confidently wrong modality.
  logits = slice_logits();
  logits[1] = mul(logits[1], -40.0);
  const Significance fallback =
      clean_significance(SignificanceFormula::TextImage, logits, features(), labels());
  EXPECT_TRUE(fallback.fallback);
  EXPECT_EQ(fallback.rates, (std::vector<double>{1.0, 1.0}));
  EXPECT_MG_ERROR(clean_significance(SignificanceFormula::TextImage, slice_logits(), {}, labels()),
                  "clean_significance", "feature tensors");
  EXPECT_EQ(parse_significance_form("clean"), SignificanceForm::Clean);
  EXPECT_EQ(to_string(parse_significance_form("structure")), "structure");
  EXPECT_MG_ERROR(parse_significance_form("mi"), "parse_significance_form", "clean");
}

// The structure forms report Î_m = score_m + H(Y) in the family's unit (bits with the code's
// text-image quirks: the B8 mix).
TEST(ModalitySignificance, InformationIsScorePlusLabelEntropy) {
  const Significance s =
      modality_significance(SignificanceFormula::TextImage, slice_logits(), {}, labels(), true);
  ASSERT_EQ(s.information.size(), 2u);
  for (int m = 0; m < 2; ++m) EXPECT_EQ(s.information[m], s.scores[m] + s.label_entropy);
  EXPECT_EQ(s.information[1], s.rates[1]);
}

TEST(ModalitySignificance, GuardFallsBackToOneHalf) {
  std::vector<Tensor> logits = slice_logits();
  logits[0] = mul(logits[0], -40.0);  // confidently wrong: score + H + 0.5 < 0
  const Significance s =
      modality_significance(SignificanceFormula::AudioVideo, logits, features(), labels(), false);
  EXPECT_TRUE(s.fallback);
  EXPECT_EQ(s.rates, (std::vector<double>{1.0, 1.0}));
  EXPECT_EQ(update_ratios(s, 0.25), (std::vector<double>{0.5, 0.5}));
}

TEST(UpdateRatios, SwappedSoftmaxClampAndNaN) {
  Significance s;
  s.rates = {1.0, 0.0};
  std::vector<double> rho = update_ratios(s, 0.5);
  EXPECT_NEAR(rho[0], 1 / (1 + std::exp(2.0)), 1e-15);  // = 1 − softmax_0 = softmax_1
  EXPECT_NEAR(rho[0] + rho[1], 1.0, 1e-15);
  s.rates = {10.0, 0.0};
  EXPECT_EQ(update_ratios(s, 0.25), (std::vector<double>{0.1, 0.9}));
  s.rates = {std::nan(""), 0.0};
  EXPECT_EQ(update_ratios(s, 0.25), (std::vector<double>{0.5, 0.5}));
  s.rates = {0.0, 0.0, 0.0};  // M = 3: 1 − 1/3 each
  for (double r : update_ratios(s, 0.5)) EXPECT_NEAR(r, 2.0 / 3.0, 1e-15);
  EXPECT_MG_ERROR(update_ratios(s, 0.0), "update_ratios", "tau");
}

// B1: the text-image code's ratios are the own softmax weights. Expected values:
// tools/amss_significance_reference.py, "text_image code: own ratios".
TEST(UpdateRatios, OwnWeightReproducesTheTextImageSwap) {
  const Significance s =
      modality_significance(SignificanceFormula::TextImage, slice_logits(), {}, labels(), true);
  const std::vector<double> swapped = update_ratios(s, 0.5);
  const std::vector<double> own = update_ratios(s, 0.5, 0, true);
  EXPECT_NEAR(swapped[0], 0.6198752398703151, 1e-12);  // text is less significant: larger ratio
  EXPECT_NEAR(own[0], 0.3801247601296849, 1e-12);      // B1: the other way round
  EXPECT_NEAR(own[1], 0.6198752398703151, 1e-12);
  Significance fallback;
  fallback.rates = {1.0, 1.0};
  fallback.fallback = true;
  EXPECT_EQ(update_ratios(fallback, 0.5, 0, true), (std::vector<double>{0.5, 0.5}));
  Significance three;
  three.rates = {0.0, 0.0, 0.0};
  EXPECT_MG_ERROR(update_ratios(three, 0.5, 0, true), "update_ratios", "own_weight");
}

std::vector<float> values(const Tensor& t) {
  return clone(t).to_vector<float>();
}

// Per output channel: did any entry change?
std::vector<bool> changed_channels(const std::vector<float>& before,
                                   const std::vector<float>& after, std::int64_t channels) {
  const std::size_t per = before.size() / static_cast<std::size_t>(channels);
  std::vector<bool> out(static_cast<std::size_t>(channels), false);
  for (std::size_t i = 0; i < before.size(); ++i)
    if (before[i] != after[i]) out[i / per] = true;
  return out;
}

TEST(Amss, PaperModeKeepsCeilRhoNChannelsAndFreezesTheOthersBitForBit) {
  auto model = small_av(nn::Activation::GELU);
  SGD sgd(model->named_parameters(), SGDOptions{.lr = 0.1, .momentum = 0.9, .weight_decay = 1e-4});
  Amss amss(AmssOptions{.plus = true});
  Generator generator(11);
  std::vector<std::pair<std::string, std::vector<float>>> before;
  for (const nn::NamedParameter& p : model->named_parameters())
    if (p.tensor.dim() == 4) before.emplace_back(p.name, values(p.tensor));
  const StepResult result = train_step(*model, sgd, amss, av_batch(), 0, 0, generator);
  EXPECT_EQ(sgd.mask_mode(), MaskMode::Strict);
  ASSERT_EQ(amss.ratios().size(), 2u);
  EXPECT_EQ(result.log[0].first, "rho.audio");
  EXPECT_EQ(result.log[0].second, amss.ratios()[0]);
  std::size_t checked = 0;
  for (const auto& [name, old] : before) {
    const Tensor p = model->parameter(name);
    const double rho = amss.ratios()[name.rfind("audio_net", 0) == 0 ? 0 : 1];
    const std::int64_t channels = p.shape()[0];
    const std::vector<bool> changed = changed_channels(old, values(p), channels);
    const auto kept = std::count(changed.begin(), changed.end(), true);
    EXPECT_EQ(kept, static_cast<std::int64_t>(std::ceil(rho * channels))) << name;
    // A frozen channel's momentum buffer is still zero (strict: no state update).
    ASSERT_NE(sgd.state(p), nullptr);
    ParamState state = *sgd.state(p);
    const Tensor* buffer = state.find("momentum_buffer");
    ASSERT_NE(buffer, nullptr);
    const std::vector<float> momentum = values(*buffer);
    const std::size_t per = momentum.size() / static_cast<std::size_t>(channels);
    for (std::size_t i = 0; i < momentum.size(); ++i)
      if (!changed[i / per]) EXPECT_EQ(momentum[i], 0.0f) << name;
    ++checked;
  }
  EXPECT_GT(checked, 10u);  // stems, stage convs and downsamples of both trunks
}

TEST(Amss, PaperModeMasksTheConcatHeadRowByRow) {
  auto model = small_av(nn::Activation::GELU);
  SGD sgd(model->named_parameters(), SGDOptions{.lr = 0.1});
  Amss amss;
  Generator generator(5);
  const Tensor w = model->parameter("fusion_module.fc_out.weight");
  const std::vector<float> old = values(w);
  train_step(*model, sgd, amss, av_batch(), 0, 0, generator);
  const std::vector<float> now = values(w);
  const std::int64_t rows = w.shape()[0], columns = w.shape()[1], d = columns / 2;
  for (std::int64_t c = 0; c < rows; ++c)
    for (std::int64_t m = 0; m < 2; ++m) {
      std::int64_t kept = 0;
      for (std::int64_t j = m * d; j < (m + 1) * d; ++j)
        kept += old[c * columns + j] != now[c * columns + j];
      EXPECT_EQ(kept, sample_size(amss.ratios()[m], d)) << "row " << c << " modality " << m;
    }
}

TEST(Amss, ReferenceModeMasksGradientsWithTheCodeFactor) {
  auto model = small_av(nn::Activation::GELU);
  const double lr = 0.05, wd = 1e-3;
  SGD sgd(model->named_parameters(), SGDOptions{.lr = lr, .momentum = 0.9, .weight_decay = wd});
  Amss amss(AmssOptions{.plus = true, .mode = AmssMode::Reference});
  Generator generator(7);
  const std::string name = "visual_net.layer1.0.conv1.weight";
  const Tensor p = model->parameter(name);
  const std::vector<float> old = values(p);
  train_step(*model, sgd, amss, av_batch(), 0, 0, generator);
  EXPECT_EQ(sgd.mask_mode(), MaskMode::Grad);
  const std::vector<float> now = values(p);
  const std::vector<float> grad = values(p.grad());  // the optimizer does not touch .grad
  const std::int64_t channels = p.shape()[0];
  const std::size_t per = old.size() / static_cast<std::size_t>(channels);
  std::vector<double> s(static_cast<std::size_t>(channels), 0.0);
  double total = 0;
  for (std::size_t i = 0; i < grad.size(); ++i) s[i / per] += double(grad[i]) * grad[i];
  for (double v : s) total += v;
  // First step: momentum buffer = masked grad + wd·w, Δw = −lr·buffer. A sampled channel's
  // grad is multiplied by 1/(q + 1/N) (bias 0 for AV); an unsampled one still decays.
  std::int64_t sampled = 0;
  for (std::int64_t u = 0; u < channels; ++u) {
    const double factor = 1 / (s[u] / total + 1.0 / channels);
    bool matches_sampled = true, matches_masked = true;
    for (std::size_t i = u * per; i < (u + 1) * per; ++i) {
      const double w = old[i];
      const double as_sampled = w - lr * (factor * grad[i] + wd * w);
      const double as_masked = w - lr * (wd * w);
      matches_sampled &= std::abs(now[i] - as_sampled) <= 1e-6 * (1 + std::abs(as_sampled));
      matches_masked &= std::abs(now[i] - as_masked) <= 1e-7 * (1 + std::abs(as_masked));
    }
    EXPECT_TRUE(matches_sampled || matches_masked) << "channel " << u;
    sampled += matches_sampled && !matches_masked;
  }
  EXPECT_EQ(sampled, sample_size(amss.ratios()[1], channels));
  // Code scope: the stem conv and the head are not masked (they move like a plain step).
  EXPECT_EQ(amss.plan(*model).size(), 32u);  // 2 trunks × 4 stages × 2 blocks × 2 convs
}

TEST(Amss, ConfigurationErrors) {
  EXPECT_MG_ERROR(Amss(AmssOptions{.plus = true, .sampler = SamplerKind::Successive}), "Amss",
                  "successive");
  EXPECT_MG_ERROR(Amss(AmssOptions{.plus = true,
                                   .mode = AmssMode::Reference,
                                   .sampler = SamplerKind::TopK,
                                   .rescale = RescaleKind::InverseInclusion}),
                  "Amss", "topk");
  EXPECT_NO_THROW(Amss(AmssOptions{.plus = true, .mode = AmssMode::Reference}));
}

}  // namespace
}  // namespace mg::optim
