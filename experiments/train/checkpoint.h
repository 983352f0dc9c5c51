#pragma once

#include <cstdint>
#include <limits>
#include <string>

#include "core/device.h"
#include "core/generator.h"
#include "experiments/train/epoch_schedule.h"
#include "layers/multimodal_classifier.h"
#include "optim/optimizer.h"
#include "optim/rebalancer.h"

// A training run's whole state after an epoch, in one safetensors file: what --resume needs to
// continue exactly as if the run had not stopped. Tensors: "model.<name>" (state_dict),
// "optimizer.<name>", "method.<name>"; metadata (exact decimal text): the format, the progress
// below, the scheduler's state ("scheduler.<key>") and the generators' offsets ("rng.cpu",
// "rng.method", and "rng.device" on a GPU). Written to a temporary file and renamed.
namespace mg::train {

struct Progress {
  std::int64_t next_epoch = 0;  // the first epoch still to train
  std::int64_t step = 0;        // steps taken
  std::int64_t best_epoch = -1;
  double best_score = -std::numeric_limits<double>::infinity();
};

// The parts of a run a checkpoint holds.
struct RunState {
  nn::MultimodalClassifier& model;
  optim::Optimizer& optimizer;
  EpochSchedule& schedule;
  optim::Rebalancer& method;
  Generator& method_generator;
  Device device;
};

void save_checkpoint(const std::string& path, const RunState& state, const Progress& progress);

// Restores `state` (built from the same config) and returns the progress. mg::Error naming the
// file and the part that does not fit (another model, optimizer or method) otherwise.
Progress load_checkpoint(const std::string& path, const RunState& state);

}  // namespace mg::train
