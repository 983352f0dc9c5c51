#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/device.h"
#include "core/json.h"
#include "datasets/dataset.h"
#include "experiments/train/metrics.h"
#include "layers/multimodal_classifier.h"

// One pass of a trained model over a split, in evaluation mode and without gradients.
namespace mg::train {

struct EvalOptions {
  std::int64_t batch_size = 64;
  int workers = 0;
  Device device = Device::cpu();
  // The modalities fed (empty: all); the others get zero inputs in every pass.
  std::vector<bool> present;
};

struct SplitMetrics {
  double loss = 0;  // mean cross-entropy of the fused logits
  ClassificationMetrics fused;
  // Per modality: the modality's own logits where the head defines them by weight slicing
  // (concat, sum and late fusion), else the fused logits with the other modalities' inputs
  // zeroed (FiLM, gated).
  std::vector<double> modality_accuracy;
  double imbalance_degree = 0;
};

SplitMetrics evaluate(nn::MultimodalClassifier& model, const data::Dataset& dataset,
                      const std::vector<std::string>& input_names, const EvalOptions& options);

// Fused accuracy with only the modalities of each coalition present (the others zero inputs),
// indexed by coalition bitmask (bit m = modality m present), 2^M entries.
std::vector<double> coalition_accuracies(nn::MultimodalClassifier& model,
                                         const data::Dataset& dataset,
                                         const std::vector<std::string>& input_names,
                                         const EvalOptions& options);

// {"loss", "accuracy", "macro_f1", "mean_ap", "modality_accuracy": {name: value},
// "imbalance_degree"}, as metrics.jsonl stores a split.
Json to_json(const SplitMetrics& metrics, const nn::MultimodalClassifier& model);

}  // namespace mg::train
