#include "optim/rebalancer.h"

#include "autograd/ops.h"
#include "core/error.h"

namespace mg::optim {

nn::MultimodalOutput Rebalancer::forward(StepContext& context) {
  return context.model.forward(context.batch.inputs);
}

void Rebalancer::load_state_dict(const nn::TensorList& state) {
  MG_CHECK(state.empty(), name(), ": a stateless method was given a state_dict of ", state.size(),
           " tensors (", state.front().first, ", ...)");
}

Tensor Rebalancer::loss(StepContext& context) {
  return cross_entropy(context.output.logits, context.batch.labels);
}

StepResult train_step(nn::MultimodalClassifier& model, Optimizer& optimizer, Rebalancer& method,
                      const Batch& batch, std::int64_t epoch, std::int64_t step,
                      Generator& generator) {
  MG_CHECK(batch.labels.defined() && batch.labels.dim() == 1, "train_step: ", method.name(),
           ": labels must be int64 [B], got ", describe(batch.labels));
  StepContext context{model, optimizer, batch, epoch, step, generator, {}, {}, {}};
  optimizer.zero_grad();
  method.before_forward(context);
  context.output = method.forward(context);
  context.loss = method.loss(context);
  MG_CHECK(context.loss.defined() && context.loss.numel() == 1, "train_step: ", method.name(),
           ": the loss must be one number, got ", describe(context.loss));
  backward(context.loss);
  method.after_backward(context);
  method.before_step(context);
  optimizer.step();
  return {context.loss.item<double>(), std::move(context.output), std::move(context.log)};
}

}  // namespace mg::optim
