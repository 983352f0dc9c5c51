#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/tensor.h"

// AMSS's per-batch modality significance (specs/amss.md §6) and its ratio rule (§7): how large
// a fraction of each modality's subnetwork updates in this step. Both are computed without
// gradients from the slice logits o_m (MultimodalOutput::modality_logits, b/M included) and the
// features f_m of the current batch. Notation: B samples, labels y, score_m = −mean_i CE(o_mi, y_i)
// (natural log), p̂ = bincount(y)/B of length max(y)+1 (classes above the largest label present
// are absent, as in the code), s_i = softmax(f_mi) over the feature dimensions.
//
// Three families, one per reference script; `code_quirks` picks the code's exact form
// (reference mode), otherwise the per-family structure with B7/B8 fixed (paper mode, §17.1):
//   AudioVideo     R_m = (score_m + H(Y) + 0.5) / H(f_m), H(f_m) = batch mean of −Σ_j s ln s.
//                  H(Y): quirks −Σ_c p̂_c·log_softmax(p̂)_c (B7); else −Σ p̂ ln p̂.
//                  Guard: score_m + H(Y) + 0.5 ≤ 0 for any m → fallback.
//   TextImage      R_m = score_m + H(Y) (no division). H(Y): quirks −Σ p̂ log₂(p̂ + 1e-8) (bits,
//                  B8); else −Σ p̂ ln p̂. Guard offset 0.5: quirks use < for modality 0 and ≤ for
//                  modality 1 (B12; the spec does not say which side is which: this is our
//                  choice); else ≤ for both.
//   ThreeModality  R_m = (score_m + H(Y) + 3) / H(f_m), H(f_m) = batch SUM of −Σ_j s log s
//                  divided by 40 (the code's structure). Quirks: log₂ with +1e-10 inside both
//                  logarithms (B8); else natural logs. Guard offset 2: quirks ≤ for modalities 0
//                  and 1, < for 2; else ≤ for all.
// Fallback (guard fired): every ratio is 0.5 and the rates are reported as 1 (the code's log).
//
// The clean reading (§6.5, clean_significance), one formula for every family, natural logs:
//   Î_m = H(Y) − CE(o_m, y) = score_m + H(Y), H(Y) = −Σ p̂ ln p̂ (the true label entropy);
//   R_m = (Î_m + c) / H(f_m), H(f_m) = batch mean of −Σ_j s ln s; c = 3 for ThreeModality, else
//   0.5 (the text-image code has no offset of its own: its guard's 0.5 is used);
//   guard (our choice, [inferred]): Î_m + c ≤ 0 for any m → fallback, so that every rate used
//   is positive. Unlike the TextImage family form, it needs the features of every modality.
namespace mg::optim {

enum class SignificanceFormula { AudioVideo, TextImage, ThreeModality };
// Structure: the family's formula above (its code quirks optional); Clean: §6.5.
enum class SignificanceForm { Structure, Clean };

// "audio_video" (alias "av"), "text_image" ("it"), "three_modality" ("nv").
SignificanceFormula parse_significance_formula(const std::string& name);
std::string to_string(SignificanceFormula formula);
// "structure", "clean".
SignificanceForm parse_significance_form(const std::string& name);
std::string to_string(SignificanceForm form);

struct Significance {
  std::vector<double> rates;   // R_m (1 each when `fallback`)
  std::vector<double> scores;  // score_m = −mean CE of the slice logits
  // Î_m = score_m + H(Y), the variational MI bound (in the family's units: with the code
  // quirks H(Y) is in bits for TextImage and ThreeModality and Î mixes units, B8)
  std::vector<double> information;
  double label_entropy = 0;  // H(Y) in the family's unit
  bool fallback = false;     // the guard fired: all ratios 0.5
};

// `logits`: M tensors [B, C]; `features`: M tensors [B, d_m] (unused by TextImage, may be
// empty then); `labels`: int64 [B]. Throws mg::Error on mismatched counts or shapes, or when
// the family's modality count does not match (TextImage and AudioVideo need 2, ThreeModality 3).
Significance modality_significance(SignificanceFormula formula, const std::vector<Tensor>& logits,
                                   const std::vector<Tensor>& features, const Tensor& labels,
                                   bool code_quirks);

// The clean reading (§6.5, see above); `family` picks the offset c and the modality count.
Significance clean_significance(SignificanceFormula family, const std::vector<Tensor>& logits,
                                const std::vector<Tensor>& features, const Tensor& labels);

// §7: M = 2: ρ_0 = softmax_1(R/τ), ρ_1 = softmax_0(R/τ) (the swapped softmax, = 1 − softmax_m);
// M ≥ 3: ρ_m = 1 − softmax_m(R/τ) + bias. Then clamp to [0.1, 0.9], NaN → 0.5. A fallback
// significance gives 0.5 for every modality (no clamp). τ must be positive and finite.
// `own_weight` (M = 2 only) reproduces the text-image code's swap (§16 B1): ρ_m = softmax_m(R/τ),
// so the more significant modality updates the larger fraction.
std::vector<double> update_ratios(const Significance& significance, double tau, double bias = 0,
                                  bool own_weight = false);

}  // namespace mg::optim
