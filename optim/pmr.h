#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/tensor.h"
#include "layers/module.h"
#include "optim/rebalancer.h"

// PMR, prototypical modal rebalance (Fan et al., CVPR 2023; specs/peers.md §5), for two
// modalities (the official code's setting; ρ compares modality 0 with modality 1).
//
//   prototypes  on_epoch_start, model in eval mode, no gradient: c_{m,k} = mean of the features
//               φ_m over the samples of class k in the first `prototype_batches` batches of the
//               source. From the second scan on (epoch >= 1 with prototypes already present) they
//               are smoothed: c ← (1 − μ_p)·c_new + μ_p·c_old. The model's mode is restored.
//   classifier  logit_{m,k}(x) = −‖φ_m(x) − c_{m,k}‖₂, q_m = softmax(logit_m).
//   ratio       ρ = Σ_i q_{0,i}[y_i] / Σ_i q_{1,i}[y_i] (a constant: no gradient).
//   loss        CE(fused) + α·L_PCE,slow inside the window [modulation_starts,
//               modulation_ends] (epochs, inclusive): slow = 1 if ρ > 1, 0 if ρ < 1, none if
//               ρ = 1; L_PCE,m = CE(logit_m, y). The gradient reaches the encoder through φ_m.
//   PER         RECONSTRUCTION (specs/peers.md §5.3, not the paper's formula, which is not
//               public): + μ·L_PER,lead with lead the other modality, L_PER = (1/B) Σ_i Σ_k
//               q_{lead,k} log q_{lead,k} (minimising it raises the leading modality's entropy),
//               active while epoch < per_epochs, inside the window, when per_enable.
//
// Deviations and choices (documented, not the official code):
//  - The official code scans ⌊#batches/10⌋ batches; a BatchSource has no length, so the count
//    is the explicit option `prototype_batches` (set it to a tenth of an epoch to match).
//  - A class absent from the scanned batches divides by zero in the official code; here it
//    keeps its previous prototype unchanged (no smoothing), or zeros on the first scan.
//  - The PER term runs only inside the modulation window, so nothing changes outside it.
//  - coef_mode (specs/peers.md §5.3): `constant` (default, the official code) uses α and μ as
//    given; `ratio_scaled` multiplies both by tanh(ρ_lead − 1), ρ_lead = max(ρ, 1/ρ) ≥ 1 the
//    leading modality's score over the slow one's. RECONSTRUCTION: peers.md only says that the
//    paper "may scale the coefficients with the size of the imbalance"; the form f(ρ_lead − 1)
//    with f increasing and f(0) = 0 follows that reading, f = tanh (bounded, so the weights stay
//    below α and μ) is our choice. A tie (ρ = 1) gives 0, as in constant mode.
//  - Two modalities only: peers.md defines no M-modality PMR (the one third-party variant,
//    BalanceMM's, is listed there as unfaithful), so other counts are an mg::Error.
//
// StepLog: "pmr.ratio", "pmr.pce_modality" (−1: none), "pmr.coefficient_scale", "loss.pce",
// "pmr.per_reconstruction.active" (0/1), "loss.per_reconstruction".
namespace mg::optim {

enum class PmrCoefMode { Constant, RatioScaled };

// "constant", "ratio_scaled"; anything else is an mg::Error listing them.
PmrCoefMode parse_pmr_coef_mode(const std::string& name);
std::string to_string(PmrCoefMode mode);

struct PmrOptions {
  double alpha = 1.0;                  // weight of the PCE term
  double prototype_momentum = 0.2;     // μ_p (official 0.2; BalanceMM 0.5)
  std::int64_t prototype_batches = 0;  // batches scanned per epoch start; must be > 0
  std::int64_t modulation_starts = 0;  // epochs, inclusive
  std::int64_t modulation_ends = 100;
  bool per_enable = true;        // RECONSTRUCTION (specs/peers.md §5.3)
  double per_mu = 0.1;           // project choice, not a paper value
  std::int64_t per_epochs = 10;  // E_PER: project choice, not a paper value
  PmrCoefMode coef_mode = PmrCoefMode::Constant;
};

class Pmr : public Rebalancer {
 public:
  // Throws mg::Error for prototype_batches <= 0, a negative α, μ_p outside [0, 1], a negative
  // per_mu or an empty window.
  explicit Pmr(PmrOptions options);

  std::string name() const override { return "pmr"; }
  void on_epoch_start(nn::MultimodalClassifier& model, std::int64_t epoch,
                      const BatchSource& data) override;
  Tensor loss(StepContext& context) override;

  // The prototypes of each modality, [C, d_m] (empty before the first scan).
  const std::vector<Tensor>& prototypes() const { return prototypes_; }
  // −‖φ − c_k‖₂ for every class k: [B, C], differentiable in `features`.
  static Tensor prototype_logits(const Tensor& features, const Tensor& prototypes);
  // Σ_i q_{0,i}[y_i] / Σ_i q_{1,i}[y_i] from the two modalities' prototype logits.
  static double imbalance_ratio(const Tensor& logits0, const Tensor& logits1, const Tensor& labels);
  // The factor on α and μ for imbalance ratio ρ: 1 (constant) or tanh(max(ρ, 1/ρ) − 1).
  static double coefficient_scale(PmrCoefMode mode, double ratio);
  // RECONSTRUCTION: (1/B) Σ_i Σ_k q_k log q_k of softmax(logits), i.e. minus the mean entropy.
  static Tensor per_loss(const Tensor& logits);

  // "prototypes.<m>": the prototypes, for checkpoints.
  nn::TensorList state_dict() const override;
  void load_state_dict(const nn::TensorList& state) override;

 private:
  PmrOptions options_;
  std::vector<Tensor> prototypes_;
};

}  // namespace mg::optim
