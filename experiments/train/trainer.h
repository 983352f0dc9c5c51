#pragma once

#include <string>

#include "experiments/train/train_config.h"

// The training loop of mg-train. train() runs `config` into its run directory (config.out, or
// runs/<dataset>-<method>-seed<seed>), which must not hold an earlier run; resume() continues the
// run in `run_dir` from its last checkpoint, with `config` (parse_command_line read it from the
// run's config.json; only epochs, device, threads, workers and progress may differ). Either
// way, each epoch appends one line to metrics.jsonl and rewrites checkpoint.safetensors, and the
// best epoch on the selection split is kept in best.safetensors; at the end the best model is
// evaluated on test (with the Shapley modality contributions) into summary.json. Returns the run
// directory.
namespace mg::train {

std::string train(const TrainConfig& config);
std::string resume(const TrainConfig& config, const std::string& run_dir);

// The run directory a config names.
std::string run_directory(const TrainConfig& config);

}  // namespace mg::train
