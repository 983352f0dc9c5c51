#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/tensor.h"
#include "layers/mask_units.h"

// Part 2 of the mask pipeline (units → importance → sampler → rescale; specs/amss.md §8): the
// importance of each mask unit of a parameter, computed from its gradient (and value) in one
// pass. The result is a 1-d float64 tensor of MaskUnits::count(shape) non-negative scores, the
// input of the samplers in optim/masks/sampler.h. Gradients and parameters may be float32 or
// float64 (sums are accumulated in float64), on the CPU; other devices go through a CPU copy.
namespace mg::optim {

// The score s_u of unit u, sums running over the unit's entries:
//   GradSquared            Σ g²          "gn" in the reference code, its default;
//   GradAbs                Σ |g|         what the issue names. The code's "sqrt_gn" differs for
//                                        multi-entry units: it takes sqrt(Σ g²) (the unit's
//                                        gradient norm); both agree for element units;
//   GradOverWeightSquared  Σ g² / (Σ w² + eps)   "gn_wn": sums over the unit first, then the
//                                        ratio, as the code does for conv channels. eps (default
//                                        1e-12, not in the code) keeps a zero-initialised unit
//                                        finite instead of the code's inf/NaN;
//   EmaGradSquared         exponential moving average of Σ g² across steps (stateful, see
//                          EmaImportance).
enum class ImportanceKind { GradSquared, GradAbs, GradOverWeightSquared, EmaGradSquared };

// "grad_squared" (alias "gn"), "grad_abs", "grad_over_weight_squared" (alias "gn_wn"),
// "ema_grad_squared"; anything else is an mg::Error listing them.
ImportanceKind parse_importance_kind(const std::string& name);
std::string to_string(ImportanceKind kind);

struct ImportanceOptions {
  double eps = 1e-12;  // GradOverWeightSquared only
};

// The stateless kinds. `param` is only read by GradOverWeightSquared (it may be undefined for
// the others) and must have the gradient's shape. EmaGradSquared throws: use EmaImportance.
Tensor unit_importance(const Tensor& grad, const Tensor& param, const nn::MaskUnits& units,
                       ImportanceKind kind, const ImportanceOptions& options = {});

// unit_importance of several parameters, in order. For gradients on a GPU the per-unit sums of
// all of them come back to the CPU in one copy: one synchronisation per step instead of one per
// parameter. The kinds that read the weights, and CPU gradients, go one by one.
struct ImportanceRequest {
  Tensor grad;
  Tensor param;
  nn::MaskUnits units;
};
std::vector<Tensor> unit_importances(const std::vector<ImportanceRequest>& requests,
                                     ImportanceKind kind, const ImportanceOptions& options = {});

// EmaGradSquared: e_t = decay · e_{t-1} + (1 − decay) · s_t with s_t = Σ g² per unit, one
// average per parameter (keyed by the parameter's identity, like optimizer state). The first
// update of a parameter sets e_1 = s_1 (no zero start, so no bias correction is needed).
// decay ∈ [0, 1); decay = 0 is GradSquared.
class EmaImportance {
 public:
  explicit EmaImportance(double decay = 0.9);

  double decay() const { return decay_; }
  // Folds this step's gradient into the parameter's average and returns the average (a copy).
  Tensor update(const Tensor& param, const Tensor& grad, const nn::MaskUnits& units);
  // The parameter's current average, undefined before its first update.
  Tensor average(const Tensor& param) const;
  void reset() { averages_.clear(); }

 private:
  double decay_;
  struct Entry {
    Tensor param;  // held so that its address cannot be reused by another parameter
    Tensor average;
  };
  std::unordered_map<const TensorImpl*, Entry> averages_;
};

}  // namespace mg::optim
