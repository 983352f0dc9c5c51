#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/tensor.h"
#include "layers/module.h"
#include "optim/rebalancer.h"

// AGM, adaptive gradient modulation (Li et al., ICCV 2023; specs/peers.md §6), for M >= 2
// modalities.
//
//   forward     f(all) in the model's mode (training), then f(S) for every non-empty proper
//               coalition S of modalities with the model in eval mode (batch-norm running
//               statistics, no dropout) and autograd on; "absent" = zeroed inputs
//               (MultimodalClassifier::zero_absent). The model's mode is restored afterwards.
//   responses   o_m = Shapley value of m over all 2^M coalitions + f(∅)/M, so Σ_m o_m = f(all)
//               (efficiency). For M = 2: o_a = ½[f(a,v) − f(0,v) + f(a,0)]. f(∅) has
//               coefficient 0 in every o_m, so its pass is skipped (the official code runs it:
//               one eval forward less than the official cost, the same values and gradients).
//   scores      s_m = batch mean of −log max(softmax(o_m)[y], 1e-8).
//   ratios      r_m = exp(s̄_{−m} − s_m) with s̄_{−m} the mean score of the other modalities
//               (for M = 2 the paper's r_a = exp(s_v − s_a)); reference r̄_m from the running
//               means s̄ of all steps since the start (state_dict), updated AFTER the
//               coefficients are computed (the first step sees s̄ = 0, r̄ = 1).
//   coefficient κ_m = exp(α·min(r̄_m − r_m, 10)) inside the window [modulation_starts,
//               modulation_ends] (epochs, inclusive), 1 outside it (scores and means still
//               update every step).
//   output      logits z' = Σ_m κ_m·o_m − stopgrad(Σ_m (κ_m − 1)·o_m): the value of f(all), the
//               gradient reaching o_m scaled by κ_m (the official identity modules with backward
//               hooks, without hooks). The default loss (cross-entropy of z') applies.
//               modality_logits and features stay those of the f(all) pass; responses()
//               holds the o_m.
//   clip        before_step: if any element of a fusion-head weight gradient (every head
//               parameter whose name ends in "weight") lies outside [−1, 1],
//               clip_grad_norm_(all model parameters, 1). Every step, window or not (choice).
//
// Generalisation beyond the paper (project choice): the ratio against the mean score of the
// other modalities; for M = 2 it is the paper's formula.
//
// StepLog: "agm.score.<modality>", "agm.coefficient.<modality>", "agm.clipped" (0/1).
namespace mg::optim {

struct AgmOptions {
  double alpha = 1.5;  // the author's CREMA-D setting (lihongcs/AGM issue #3)
  std::int64_t modulation_starts = 0;
  std::int64_t modulation_ends = 1500;
  double clip_threshold = 1.0;  // head-gradient bound that triggers the clip
  double max_norm = 1.0;
};

class Agm : public Rebalancer {
 public:
  // Throws mg::Error for a negative α, an empty window or non-positive clip values.
  explicit Agm(AgmOptions options = {});

  std::string name() const override { return "agm"; }
  nn::MultimodalOutput forward(StepContext& context) override;
  void before_step(StepContext& context) override;

  // The responses o_m of the last forward (part of the graph) and the coefficients used.
  const std::vector<Tensor>& responses() const { return responses_; }
  const std::vector<double>& coefficients() const { return coefficients_; }
  // The running mean scores s̄_m and the number of steps they average.
  const std::vector<double>& score_means() const { return score_means_; }
  std::int64_t steps() const { return steps_; }

  // "agm.steps" (int64 0-d), "agm.score_mean.<m>" (float64 0-d).
  nn::TensorList state_dict() const override;
  void load_state_dict(const nn::TensorList& state) override;

  // The Shapley-plus-baseline-share weight of coalition `coalition` (bit m = modality m present)
  // in o_m for `modalities` players; 0 for the empty coalition.
  static double response_weight(std::int64_t modalities, std::uint64_t coalition, std::int64_t m);

 private:
  AgmOptions options_;
  std::vector<Tensor> responses_;
  std::vector<double> coefficients_;
  std::vector<double> score_means_;
  std::int64_t steps_ = 0;
};

}  // namespace mg::optim
