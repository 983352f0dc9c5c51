#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "core/generator.h"
#include "core/tensor.h"
#include "layers/multimodal_classifier.h"
#include "optim/optimizer.h"

// Rebalancing methods (Naive, AMSS / AMSS+, OGM / OGM-GE, PMR, AGM) behind one interface, called
// at fixed points of one training step (train_step below), so every method runs in the same
// loop and its overhead is measured the same way (DESIGN.md section 5):
//
//   zero_grad → before_forward → forward → loss → backward → after_backward → before_step → step
namespace mg::optim {

// One training batch: the model's inputs (in MultimodalClassifier order) and int64 labels [B].
struct Batch {
  std::vector<Tensor> inputs;
  Tensor labels;
};

// What a method decided in a step, as named numbers for the metrics log: "rho.audio",
// "coefficient.visual", "loss.pce", ...
using StepLog = std::vector<std::pair<std::string, double>>;

// Everything a method sees during one step.
struct StepContext {
  nn::MultimodalClassifier& model;
  Optimizer& optimizer;
  const Batch& batch;
  std::int64_t epoch = 0;       // 0-based
  std::int64_t step = 0;        // global, 0-based
  Generator& generator;         // the method's randomness (masks, noise)
  nn::MultimodalOutput output;  // set by forward
  Tensor loss;                  // set by loss
  StepLog log;
};

// Pulls training batches (for methods that scan data at an epoch boundary, like PMR's
// prototypes); returns false when the data is exhausted.
using BatchSource = std::function<bool(Batch&)>;

class Rebalancer {
 public:
  virtual ~Rebalancer() = default;
  virtual std::string name() const = 0;

  // At the start of every epoch, before its first step.
  virtual void on_epoch_start(nn::MultimodalClassifier& /*model*/, std::int64_t /*epoch*/,
                              const BatchSource& /*data*/) {}
  virtual void before_forward(StepContext& /*context*/) {}
  // The forward pass; the default runs the model once on the batch.
  virtual nn::MultimodalOutput forward(StepContext& context);
  // The loss to back-propagate; the default is cross-entropy of the fused logits.
  virtual Tensor loss(StepContext& context);
  // Gradients are in place: scale them, set masks on the optimizer, ...
  virtual void after_backward(StepContext& /*context*/) {}
  // Last chance before optimizer.step() (clipping).
  virtual void before_step(StepContext& /*context*/) {}

  // What the method carries from step to step (running means, prototypes), for checkpoints;
  // empty for stateless methods. load_state_dict takes what state_dict gave.
  virtual nn::TensorList state_dict() const { return {}; }
  virtual void load_state_dict(const nn::TensorList& state);
};

// Naive joint training: every hook at its default.
class Naive : public Rebalancer {
 public:
  std::string name() const override { return "naive"; }
};

struct StepResult {
  double loss = 0;
  nn::MultimodalOutput output;
  StepLog log;
};

// One training step of `model` with `method`: zero_grad, the hooks in order, backward,
// optimizer.step(). The model must be in training mode (the caller's choice).
StepResult train_step(nn::MultimodalClassifier& model, Optimizer& optimizer, Rebalancer& method,
                      const Batch& batch, std::int64_t epoch, std::int64_t step,
                      Generator& generator);

}  // namespace mg::optim
