#include "experiments/train/linear_probe.h"

#include <filesystem>

#include "autograd/ops.h"
#include "core/checks.h"
#include "core/error.h"
#include "core/threading.h"
#include "datasets/data_loader.h"
#include "experiments/train/components.h"
#include "experiments/train/run_data.h"
#include "experiments/train/run_files.h"
#include "experiments/train/train_config.h"
#include "optim/adam.h"

namespace mg::train {
namespace {

double accuracy(const Tensor& logits, const Tensor& labels) {
  return mean(to(eq(argmax(logits, 1), labels), kFloat64)).item<double>();
}

void check_split(const Tensor& features, const Tensor& labels, std::int64_t num_classes,
                 const char* split) {
  MG_CHECK(features.dim() == 2 && features.size(0) > 0, "linear_probe: ", split,
           " features must be [N > 0, d], got ", describe(features));
  MG_CHECK(labels.dim() == 1 && labels.dtype() == kInt64 && labels.size(0) == features.size(0),
           "linear_probe: ", split, " labels must be int64 [", features.size(0), "], got ",
           describe(labels));
  const Tensor cpu_labels = to(labels, Device::cpu());
  const std::int64_t* l = cpu_labels.data_ptr<std::int64_t>();
  for (std::int64_t i = 0; i < cpu_labels.numel(); ++i)
    MG_CHECK(l[i] >= 0 && l[i] < num_classes, "linear_probe: ", split, " label ", l[i],
             " is not in [0, ", num_classes, ")");
}

// The features of the chosen modalities over a split, from one pass in evaluation mode without
// gradients: float32 [N, d] per chosen modality, and the labels, on the CPU.
struct Features {
  std::vector<Tensor> features;
  Tensor labels;
};

Features extract(nn::MultimodalClassifier& model, const data::Dataset& dataset,
                 const std::vector<std::string>& input_names,
                 const std::vector<std::int64_t>& modalities, std::int64_t batch_size,
                 int workers) {
  model.eval();
  NoGradGuard no_grad;
  data::DataLoader loader(std::shared_ptr<const data::Dataset>(&dataset, [](auto*) {}),
                          {.batch_size = batch_size, .num_workers = workers});
  std::vector<std::vector<Tensor>> batches(modalities.size());
  std::vector<Tensor> labels;
  for (const data::Batch& batch : loader) {
    const optim::Batch b = to_model_batch(batch, input_names, Device::cpu());
    const nn::MultimodalOutput out = model.forward(b.inputs);
    for (std::size_t i = 0; i < modalities.size(); ++i)
      batches[i].push_back(out.features[modalities[i]]);
    labels.push_back(b.labels);
  }
  Features result{{}, cat(labels, 0)};
  for (const std::vector<Tensor>& parts : batches)
    result.features.push_back(to(cat(parts, 0), kFloat32));
  return result;
}

}  // namespace

ProbeResult linear_probe(const Tensor& train_features, const Tensor& train_labels,
                         const Tensor& val_features, const Tensor& val_labels,
                         std::int64_t num_classes, const ProbeOptions& options) {
  MG_CHECK(num_classes >= 2, "linear_probe: num_classes ", num_classes, " < 2");
  MG_CHECK(options.epochs >= 1 && options.lr > 0, "linear_probe: epochs ", options.epochs,
           " and lr ", options.lr, " must be positive");
  check_split(train_features, train_labels, num_classes, "train");
  check_split(val_features, val_labels, num_classes, "val");
  MG_CHECK(val_features.size(1) == train_features.size(1), "linear_probe: val features ",
           describe(val_features), " and train features ", describe(train_features),
           " differ in width");
  const Tensor x_train = to(to(train_features, Device::cpu()), kFloat32).detach();
  const Tensor x_val = to(to(val_features, Device::cpu()), kFloat32).detach();
  const Tensor y_train = to(train_labels, Device::cpu());
  const Tensor y_val = to(val_labels, Device::cpu());

  Tensor z_train, z_val;
  {
    NoGradGuard no_grad;
    const Tensor mu = mean(x_train, {0}, true);
    Tensor sigma = std(x_train, {0}, 0, true);
    sigma = where(gt(sigma, 1e-12), sigma, ones_like(sigma));
    z_train = div(sub(x_train, mu), sigma);
    z_val = div(sub(x_val, mu), sigma);
  }
  const std::int64_t d = x_train.size(1);
  Tensor weight = zeros({num_classes, d}).requires_grad_(true);
  Tensor bias = zeros({num_classes}).requires_grad_(true);
  optim::Adam adam(std::vector<Tensor>{weight, bias}, {.lr = options.lr});
  for (std::int64_t epoch = 0; epoch < options.epochs; ++epoch) {
    adam.zero_grad();
    backward(cross_entropy(linear(z_train, weight, bias), y_train));
    adam.step();
  }
  NoGradGuard no_grad;
  return {accuracy(linear(z_train, weight, bias), y_train),
          accuracy(linear(z_val, weight, bias), y_val)};
}

Json probe_run(const ProbeRunOptions& options) {
  const std::string& dir = options.run_dir;
  MG_CHECK(std::filesystem::is_directory(dir), "mg-probe: run directory '", dir,
           "' is not a folder");
  for (const char* file : {"config.json", "best.safetensors"})
    MG_CHECK(std::filesystem::exists(dir + "/" + file), "mg-probe: '", dir, "' has no ", file,
             " (not an mg-train run directory?)");
  TrainConfig config;
  apply_json(config, read_json_file(dir + "/config.json"), dir + "/config.json");
  if (options.threads > 0) set_num_threads(static_cast<int>(options.threads));
  const int workers = static_cast<int>(options.workers >= 0 ? options.workers : config.workers);

  const RunData data = load_data(config);
  const auto num_classes = static_cast<std::int64_t>(data.class_names.size());
  std::shared_ptr<nn::MultimodalClassifier> model = make_model(config, num_classes).model;
  model->load(dir + "/best.safetensors");

  std::vector<std::int64_t> chosen;
  if (options.modalities.empty()) {
    for (std::int64_t m = 0; m < model->num_modalities(); ++m) chosen.push_back(m);
  }
  for (const std::string& name : options.modalities) {
    std::string known;
    std::int64_t found = -1;
    for (std::int64_t m = 0; m < model->num_modalities(); ++m) {
      known += (m > 0 ? ", " : "") + model->modality_name(m);
      if (model->modality_name(m) == name) found = m;
    }
    MG_CHECK(found >= 0, "mg-probe: no modality '", name, "' (the model has ", known, ")");
    chosen.push_back(found);
  }

  const Features train =
      extract(*model, *data.train, data.input_names, chosen, config.eval_batch_size, workers);
  const Features val =
      extract(*model, *data.val, data.input_names, chosen, config.eval_batch_size, workers);
  Json result = Json::object();
  for (std::size_t i = 0; i < chosen.size(); ++i) {
    const ProbeResult r = linear_probe(train.features[i], train.labels, val.features[i], val.labels,
                                       num_classes, options.probe);
    Json entry = Json::object();
    entry.set("val_accuracy", r.val_accuracy);
    entry.set("train_accuracy", r.train_accuracy);
    result.set(model->modality_name(chosen[i]), entry);
  }
  const std::string text = result.dump() + "\n";
  write_text_file(dir + "/probe.json", text);
  return result;
}

}  // namespace mg::train
