#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "layers/mask_units.h"
#include "optim/masks/importance.h"
#include "optim/masks/rescale.h"
#include "optim/masks/sampler.h"
#include "optim/modality_significance.h"
#include "optim/rebalancer.h"

// AMSS and AMSS+ (specs/amss.md; Yang et al., TPAMI 2025): every step, each modality's update
// ratio ρ_m from its significance (optim/modality_significance.h), then in after_backward, for
// every weight of modality m's subnetwork in scope: unit importance → k = sample_size(ρ_m, N)
// units sampled → per-unit factors (0 off the sample; 1, 1/π or the code's factor on it) →
// optimizer.set_mask. Parameters outside the scope, and those without a gradient, stay unmasked.
//
// Two named modes set the defaults (§17.1); each knob can be overridden:
//   knob            paper (default)                       reference
//   masking         strict (the optimizer's MaskMode)     grad
//   sampler         systematic_pps                        successive
//   rescale (plus)  inverse_inclusion (1/π)               reference: 1/(q + 1/N + b)
//   bias b          —                                     0.2 text-image, else 0
//   tau             0.25 AV, 0.5 text-image and NV        0.2 AV, 0.5 text-image, 0.2 NV
//   classifier k    ceil                                  floor AV/NV, ceil text-image
//   scope           supplement                            code
//   attention       head_joint                            head_per_matrix
//   significance    structure of §6 with B7/B8 fixed      the code's exact formulas
//   (form)          structure; clean (§6.5) on request    structure; clean on request
//   importance      grad_squared                          grad_squared
// AMSS (plus = false) uses the same sampler with factor 1 (rescale none).
//
// Scopes, over model.modality_parameters(m) (the encoder, plus the head for late fusion):
//   supplement  every conv weight (output-channel units, ≥ 3-d) channel-wise; attention weights
//               (row- or column-block units) head-wise; the classifier entry-wise per row: the
//               modality's columns of a ConcatFusion fc_out, or a LateFusion heads.m weight.
//   code        convs whose name contains "layer" and "conv" (residual stages; no stem, no
//               downsample) for AV and text-image, every conv for NV; attention per matrix;
//               classifier blocks for text-image and NV only (AV: the code never applies them,
//               B5). The NV classifier uses the per-row q with n = d (the code's index factor,
//               B6, is not reproduced). Text-image classifier factor: q over the whole modality
//               block, n = number of classes (§10.2).
// Attention head_joint: the attention weights of one block (names sharing the prefix up to
// their last "attention" component, else their module) are scored per head together (unit u of
// a weight belongs to head u mod h, so an in_proj_weight's 3h row blocks fold onto h heads),
// sampled once, and every weight of the block gets its head's factor.
//
// Bug-compatibility flags (§17.2), off in both modes:
//   bug_it_ratio_swap           B1: ρ_m = softmax_m(R/τ) (own weight) instead of the swapped
//                               softmax, as the text-image script effectively does (2
//                               modalities only).
//   bug_av_classifier_unmasked  B5: the audio-video classifier is not masked (what scope code
//                               already does for AV; this also turns it off in scope supplement).
//   bug_bernoulli_code          B9/B10: the code's `Bernoulli` sample mode replaces the sampler:
//                               every unit is kept independently with probability q_u = s_u/Σs
//                               (uniform 1/N when Σs = 0), so about one unit per layer (classifier:
//                               per row) whatever ρ; kept units get factor 1 (AMSS+ = AMSS), except
//                               for the text-image family with rescale reference, whose code
//                               applies its factor in every mode (B10). The unbiased form of this
//                               design is poisson_pps with k = 1 (π = q, factor 1/q).
//
// Configuration errors (thrown by the constructor): rescale inverse_inclusion with successive
// or topk (no exact π); in paper mode also plus with those samplers whatever the rescale;
// significance form clean with code_significance = true (clean has no quirks).
//
// Logs, every step (§17.4), in this order:
//   per modality m: "rho.<m>" (ρ_m), "significance.<m>" (R_m), "mi.<m>" (Î_m = score_m + H(Y));
//   per masked weight, in plan order: "k.<weight>" (units with a non-zero factor, i.e. kept) and
//     "n.<weight>" (its units); head_joint weights count their own units (an in_proj_weight has
//     3h); a classifier's block is "<weight>[<m>]", counted in entries over all rows;
//   per modality m: "factor_mean.<m>" and "factor_max.<m>", over the kept units of every weight
//     of m (the factors handed to the optimizer; 1 for AMSS; 0 when m kept no unit);
//   "kept_fraction" (kept units / units over every masked weight of the step).
namespace mg::optim {

enum class AmssMode { Paper, Reference };
enum class AmssScope { Supplement, Code };
enum class AttentionUnit { HeadJoint, HeadPerMatrix };

// "paper", "reference"; "supplement", "code"; "head_joint", "head_per_matrix".
AmssMode parse_amss_mode(const std::string& name);
AmssScope parse_amss_scope(const std::string& name);
AttentionUnit parse_attention_unit(const std::string& name);

struct AmssOptions {
  bool plus = false;  // AMSS+ (rescaled) vs AMSS (0/1)
  AmssMode mode = AmssMode::Paper;
  // Unset: chosen from the model (3 modalities: three_modality; a TextImageClassifier:
  // text_image; else audio_video). Also picks τ, b and the classifier rounding defaults.
  std::optional<SignificanceFormula> significance;
  // Overrides of the mode's defaults (see the table above).
  std::optional<SamplerKind> sampler;
  std::optional<RescaleKind> rescale;  // only used when plus
  std::optional<ImportanceKind> importance;
  std::optional<double> tau;
  std::optional<double> bias;  // the reference factor's b
  std::optional<KRounding> classifier_rounding;
  std::optional<AmssScope> scope;
  std::optional<AttentionUnit> attention_unit;
  std::optional<MaskMode> masking;
  std::optional<bool> code_significance;              // the code's exact significance formulas
  std::optional<SignificanceForm> significance_form;  // default structure
  double ratio_bias = 0;   // M ≥ 3: ρ_m = 1 − softmax_m + ratio_bias
  double ema_decay = 0.9;  // importance ema_grad_squared only
  // §17.2 (see above).
  bool bug_it_ratio_swap = false;
  bool bug_av_classifier_unmasked = false;
  bool bug_bernoulli_code = false;
};

// The options with every default resolved for a model family.
struct AmssResolved {
  SignificanceFormula significance;
  SamplerKind sampler;
  RescaleKind rescale;
  ImportanceKind importance;
  double tau;
  double bias;
  KRounding classifier_rounding;
  AmssScope scope;
  AttentionUnit attention_unit;
  MaskMode masking;
  bool code_significance;
  SignificanceForm significance_form;
  bool bug_it_ratio_swap;
  bool bug_av_classifier_unmasked;
  bool bug_bernoulli_code;
};
AmssResolved resolve(const AmssOptions& options, SignificanceFormula family);

class Amss : public Rebalancer {
 public:
  explicit Amss(AmssOptions options = {});
  std::string name() const override { return options_.plus ? "amss_plus" : "amss"; }

  void after_backward(StepContext& context) override;

  const AmssOptions& options() const { return options_; }
  // The ratios of the last step, in modality order.
  const std::vector<double>& ratios() const { return ratios_; }

  // One masked weight group of the plan: a conv or attention weight (or a joint attention
  // block), or a classifier weight with one column block per modality.
  struct Target {
    enum class Kind { Units, HeadJoint, ClassifierRows };
    Kind kind = Kind::Units;
    std::int64_t modality = 0;
    std::vector<std::string> names;
    std::vector<Tensor> params;
    std::vector<nn::MaskUnits> units;
    std::int64_t heads = 0;         // HeadJoint
    std::int64_t column_begin = 0;  // ClassifierRows: the modality's columns
    std::int64_t column_end = 0;
  };
  // The weights masked for `model` (built on first use), for inspection and tests.
  const std::vector<Target>& plan(nn::MultimodalClassifier& model);

 private:
  void build_plan(nn::MultimodalClassifier& model);

  AmssOptions options_;
  std::optional<AmssResolved> resolved_;
  const nn::MultimodalClassifier* planned_for_ = nullptr;
  std::vector<Target> plan_;
  EmaImportance ema_;
  std::vector<double> ratios_;
};

}  // namespace mg::optim
