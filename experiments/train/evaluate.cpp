#include "experiments/train/evaluate.h"

#include <functional>

#include "autograd/elementwise.h"
#include "autograd/grad_mode.h"
#include "autograd/losses.h"
#include "datasets/data_loader.h"
#include "experiments/train/run_data.h"
#include "layers/fusion.h"

namespace mg::train {
namespace {

bool slices_logits(const nn::FusionHead& head) {
  return dynamic_cast<const nn::ConcatFusion*>(&head) != nullptr ||
         dynamic_cast<const nn::SumFusion*>(&head) != nullptr ||
         dynamic_cast<const nn::LateFusion*>(&head) != nullptr;
}

// Runs the model over `dataset` in evaluation mode; `visit` sees each batch and its output.
void for_each_batch(
    nn::MultimodalClassifier& model, const data::Dataset& dataset,
    const std::vector<std::string>& input_names, const EvalOptions& options,
    const std::function<void(const optim::Batch&, const nn::MultimodalOutput&)>& visit,
    const std::vector<bool>& present = {}) {
  nn::TrainingModeGuard mode(model);
  model.eval();
  NoGradGuard no_grad;
  data::DataLoaderOptions loader_options{.batch_size = options.batch_size,
                                         .num_workers = options.workers};
  // A borrowed data set: the loader's iteration ends before this function returns.
  data::DataLoader loader(std::shared_ptr<const data::Dataset>(&dataset, [](auto*) {}),
                          loader_options);
  for (const data::Batch& batch : loader) {
    optim::Batch b = to_model_batch(batch, input_names, options.device);
    std::vector<bool> fed = options.present;
    if (!present.empty()) {
      if (fed.empty()) fed = present;
      for (std::size_t m = 0; m < fed.size(); ++m) fed[m] = fed[m] && present[m];
    }
    if (!fed.empty()) b.inputs = model.zero_absent(b.inputs, fed);
    visit(b, model.forward(b.inputs));
  }
}

Tensor on_cpu(const Tensor& t) {
  return to(t, Device::cpu());
}

// The accuracy of the fused logits with only the modalities in `present` fed.
double fused_accuracy(nn::MultimodalClassifier& model, const data::Dataset& dataset,
                      const std::vector<std::string>& input_names, const EvalOptions& options,
                      const std::vector<bool>& present) {
  MetricAccumulator accumulator;
  for_each_batch(
      model, dataset, input_names, options,
      [&](const optim::Batch& batch, const nn::MultimodalOutput& output) {
        accumulator.add(on_cpu(output.logits), on_cpu(batch.labels));
      },
      present);
  return accumulator.compute().accuracy;
}

}  // namespace

SplitMetrics evaluate(nn::MultimodalClassifier& model, const data::Dataset& dataset,
                      const std::vector<std::string>& input_names, const EvalOptions& options) {
  const std::int64_t modalities = model.num_modalities();
  const bool sliced = slices_logits(model.fusion_head());
  MetricAccumulator fused;
  std::vector<MetricAccumulator> per_modality(static_cast<std::size_t>(modalities));
  double loss_sum = 0;
  std::int64_t count = 0;
  for_each_batch(model, dataset, input_names, options,
                 [&](const optim::Batch& batch, const nn::MultimodalOutput& output) {
                   const Tensor labels = on_cpu(batch.labels);
                   const std::int64_t n = labels.numel();
                   loss_sum += cross_entropy(output.logits, batch.labels).item<double>() *
                               static_cast<double>(n);
                   count += n;
                   fused.add(on_cpu(output.logits), labels);
                   if (sliced)
                     for (std::int64_t m = 0; m < modalities; ++m)
                       per_modality[m].add(on_cpu(output.modality_logits[m]), labels);
                 });
  SplitMetrics metrics;
  metrics.loss = count > 0 ? loss_sum / static_cast<double>(count) : 0;
  metrics.fused = fused.compute();
  for (std::int64_t m = 0; m < modalities; ++m) {
    if (sliced) {
      metrics.modality_accuracy.push_back(per_modality[m].compute().accuracy);
      continue;
    }
    std::vector<bool> present(static_cast<std::size_t>(modalities), false);
    present[m] = true;
    metrics.modality_accuracy.push_back(
        fused_accuracy(model, dataset, input_names, options, present));
  }
  metrics.imbalance_degree = imbalance_degree(metrics.modality_accuracy);
  return metrics;
}

std::vector<double> coalition_accuracies(nn::MultimodalClassifier& model,
                                         const data::Dataset& dataset,
                                         const std::vector<std::string>& input_names,
                                         const EvalOptions& options) {
  const std::int64_t modalities = model.num_modalities();
  std::vector<double> accuracies;
  for (std::uint64_t coalition = 0; coalition < (1ULL << modalities); ++coalition) {
    std::vector<bool> present(static_cast<std::size_t>(modalities));
    for (std::int64_t m = 0; m < modalities; ++m) present[m] = (coalition >> m) & 1U;
    accuracies.push_back(fused_accuracy(model, dataset, input_names, options, present));
  }
  return accuracies;
}

Json to_json(const SplitMetrics& metrics, const nn::MultimodalClassifier& model) {
  Json json = Json::object();
  json.set("loss", metrics.loss);
  json.set("accuracy", metrics.fused.accuracy);
  json.set("macro_f1", metrics.fused.macro_f1);
  json.set("mean_ap", metrics.fused.mean_ap);
  Json modalities = Json::object();
  for (std::size_t m = 0; m < metrics.modality_accuracy.size(); ++m)
    modalities.set(model.modality_name(static_cast<std::int64_t>(m)), metrics.modality_accuracy[m]);
  json.set("modality_accuracy", std::move(modalities));
  json.set("imbalance_degree", metrics.imbalance_degree);
  return json;
}

}  // namespace mg::train
