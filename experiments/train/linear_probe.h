#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/json.h"
#include "core/tensor.h"

// Linear probes: how much class information one modality's encoder holds, measured by a fresh
// linear softmax classifier trained on its frozen features. mg-probe runs them on a trained run.
namespace mg::train {

struct ProbeOptions {
  // Full-batch Adam steps on the cross-entropy; a few thousand samples of ≤ 512 features
  // converge in a few hundred.
  std::int64_t epochs = 500;
  double lr = 1e-2;
};

struct ProbeResult {
  double train_accuracy = 0;
  double val_accuracy = 0;
};

// Standardises the features with the training set's per-feature mean and standard deviation
// (a constant feature gets divisor 1), then trains W [C, d] and b [C], both starting at zero,
// on (train_features [N, d], train_labels int64 [N]) with `num_classes` classes. Full-batch and
// zero-initialised, so the result is deterministic without a seed. mg::Error when the shapes,
// dtypes or labels do not fit.
ProbeResult linear_probe(const Tensor& train_features, const Tensor& train_labels,
                         const Tensor& val_features, const Tensor& val_labels,
                         std::int64_t num_classes, const ProbeOptions& options = {});

// mg-probe on a run directory (config.json, best.safetensors): the probe of each modality's
// features (the model in evaluation mode, train split without augmentation) in `modalities`
// (empty: all), written to <run_dir>/probe.json as {"<modality>": {"val_accuracy",
// "train_accuracy"}} and returned in that form. mg::Error for a missing run or an unknown
// modality.
struct ProbeRunOptions {
  std::string run_dir;
  std::vector<std::string> modalities;
  ProbeOptions probe;
  std::int64_t threads = 0;   // 0: the OpenMP default
  std::int64_t workers = -1;  // loader threads; -1: the run's
};
Json probe_run(const ProbeRunOptions& options);

}  // namespace mg::train
