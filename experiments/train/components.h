#pragma once

#include <cstdint>
#include <memory>

#include "experiments/train/epoch_schedule.h"
#include "experiments/train/train_config.h"
#include "layers/multimodal_classifier.h"
#include "optim/optimizer.h"
#include "optim/rebalancer.h"

// The parts of a run that the settings choose: model, method, optimizer and schedule.
namespace mg::train {

// The data set's model (AV classifier for embedded, CREMA-D and Kinetics-Sounds; text-image
// classifier; NVGesture classifier) for `num_classes`, initialised from the global generator
// (seed it first) and, with --init-from, from that file (non-strict: what it lacks keeps its
// initialisation; the report is returned for the log).
struct ModelBuild {
  std::shared_ptr<nn::MultimodalClassifier> model;
  std::string init_report;  // empty without --init-from
};
ModelBuild make_model(const TrainConfig& config, std::int64_t num_classes);

std::unique_ptr<optim::Rebalancer> make_method(const TrainConfig& config);

std::unique_ptr<optim::Optimizer> make_optimizer(const TrainConfig& config,
                                                 const nn::MultimodalClassifier& model);

EpochSchedule make_schedule(const TrainConfig& config, optim::Optimizer& optimizer);

}  // namespace mg::train
