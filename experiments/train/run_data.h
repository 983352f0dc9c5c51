#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/device.h"
#include "datasets/data_loader.h"
#include "datasets/dataset.h"
#include "experiments/train/train_config.h"
#include "optim/rebalancer.h"

// The three splits of a run and how their samples become model inputs.
namespace mg::train {

struct RunData {
  std::shared_ptr<const data::Dataset> train;
  std::shared_ptr<const data::Dataset> val;  // the data set's own split, or held out from train
  std::shared_ptr<const data::Dataset> test;
  std::string val_origin;  // "annotations/valid.csv", "10% of train, stratified (seed 42)", ...
  // The sample input names in the model's input order (AV: audio, visual).
  std::vector<std::string> input_names;
  std::vector<std::string> class_names;
  // Split-file entries the loaders left out (missing files, malformed lines), by split.
  std::vector<std::pair<std::string, std::int64_t>> dropped;
};

// Opens the config's data set (train without augmentation when held out as validation).
// --limit-train / --limit-eval keep the first samples of each split.
RunData load_data(const TrainConfig& config);

// The loader's batch as the model's inputs on `device`, in input_names order.
optim::Batch to_model_batch(const data::Batch& batch, const std::vector<std::string>& input_names,
                            Device device);

// The indices of `labels` (one per sample) held out for validation: round(fraction · n_c) of
// each class c, but never its last sample, drawn with `seed`; the rest go to training. Both
// sorted.
struct HoldoutSplit {
  std::vector<std::int64_t> train;
  std::vector<std::int64_t> val;
};
HoldoutSplit stratified_holdout(const std::vector<std::int64_t>& labels, double fraction,
                                std::uint64_t seed);

}  // namespace mg::train
