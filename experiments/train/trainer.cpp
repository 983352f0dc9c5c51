#include "experiments/train/trainer.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <sstream>

#include "autograd/elementwise.h"
#include "core/cuda/cuda_runtime.h"
#include "core/error.h"
#include "core/threading.h"
#include "datasets/data_loader.h"
#include "datasets/file_bytes.h"
#include "experiments/train/checkpoint.h"
#include "experiments/train/components.h"
#include "experiments/train/evaluate.h"
#include "experiments/train/metrics.h"
#include "experiments/train/progress.h"
#include "experiments/train/run_data.h"

namespace mg::train {
namespace {

namespace fs = std::filesystem;

// The method's randomness (masks, noise) has its own stream, so that changing the method does
// not change the model's initialisation or the data order.
constexpr std::uint64_t kMethodStream = 0x6d6574686f64ULL;

std::string read_text(const std::string& path) {
  const std::vector<std::uint8_t> bytes = data::read_file_bytes(path);
  return {bytes.begin(), bytes.end()};
}

void write_text(const std::string& path, const std::string& text) {
  data::write_file_bytes(path, {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()});
}

// Lines go to stdout and to the run's train.log.
class RunLog {
 public:
  explicit RunLog(const std::string& path) : file_(std::fopen(path.c_str(), "a")) {
    MG_CHECK(file_ != nullptr, "mg-train: cannot open ", path, " for writing");
  }
  ~RunLog() { std::fclose(file_); }
  RunLog(const RunLog&) = delete;
  RunLog& operator=(const RunLog&) = delete;

  void line(const std::string& text) {
    std::printf("%s\n", text.c_str());
    std::fflush(stdout);
    std::fprintf(file_, "%s\n", text.c_str());
    std::fflush(file_);
  }

 private:
  std::FILE* file_;
};

double median(std::vector<double> values) {
  if (values.empty()) return 0;
  const std::size_t mid = values.size() / 2;
  std::nth_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(mid), values.end());
  return values[mid];
}

std::string fixed(double value, int digits) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.*f", digits, value);
  return buffer;
}

std::string percent(double fraction) {
  return fixed(100 * fraction, 1);
}

std::string describe(const SplitMetrics& m, const nn::MultimodalClassifier& model) {
  std::string text = percent(m.fused.accuracy) + "% (";
  for (std::size_t i = 0; i < m.modality_accuracy.size(); ++i)
    text += str(i == 0 ? "" : ", ", model.modality_name(static_cast<std::int64_t>(i)), " ",
                percent(m.modality_accuracy[i]));
  return text + ")";
}

// metrics.jsonl keeps the lines of epochs before `next_epoch` (a run stopped between writing an
// epoch's line and its checkpoint would otherwise log that epoch twice).
void keep_epochs_before(const std::string& path, std::int64_t next_epoch) {
  if (!fs::exists(path)) return;
  std::string kept;
  const std::vector<std::uint8_t> bytes = data::read_file_bytes(path);
  for (std::string_view line : data::text_lines(bytes)) {
    if (line.empty()) continue;
    const Json json = Json::parse(line, path);
    if (json.at("epoch").as_int() < next_epoch) kept += std::string(line) + "\n";
  }
  write_text(path, kept);
}

// --modalities as a mask over the model's modalities; empty when all are fed.
std::vector<bool> modalities_present(const std::string& list,
                                     const nn::MultimodalClassifier& model) {
  if (list.empty()) return {};
  std::vector<bool> present(static_cast<std::size_t>(model.num_modalities()), false);
  std::stringstream names(list);
  for (std::string name; std::getline(names, name, ',');) {
    std::string known;
    bool found = false;
    for (std::int64_t m = 0; m < model.num_modalities(); ++m) {
      known += str(m == 0 ? "" : ", ", model.modality_name(m));
      if (model.modality_name(m) == name) present[m] = found = true;
    }
    MG_CHECK(found, "mg-train: --modalities '", list, "': no modality '", name, "' (the model has ",
             known, ")");
  }
  return present;
}

struct EpochTraining {
  double loss = 0;
  double accuracy = 0;
  double seconds = 0;
  double step_ms = 0;
  double samples_per_s = 0;
  std::map<std::string, RunningStats> rho;  // by modality, AMSS only
};

std::string run(TrainConfig config, const std::string& dir, bool resuming) {
  const std::string checkpoint_path = dir + "/checkpoint.safetensors";
  const std::string metrics_path = dir + "/metrics.jsonl";
  const std::string best_path = dir + "/best.safetensors";
  if (resuming) {
    MG_CHECK(fs::exists(checkpoint_path), "mg-train: --resume ", dir,
             ": no checkpoint.safetensors there (the run ended before its first epoch)");
  } else {
    MG_CHECK(!fs::exists(metrics_path) && !fs::exists(checkpoint_path), "mg-train: ", dir,
             " already holds a run: continue it with --resume ", dir, ", or pick another --out");
    fs::create_directories(dir);
  }
  write_text(dir + "/config.json", to_json(config).dump() + "\n");
  RunLog log(dir + "/train.log");

  if (config.threads > 0) set_num_threads(static_cast<int>(config.threads));
  const Device device = Device::parse(config.device);
  MG_CHECK(!device.is_cuda() || device.index < cuda::device_count(), "mg-train: --device ",
           config.device, ": ", cuda::device_count(), " CUDA devices present");

  manual_seed(config.seed);
  const RunData data = load_data(config);
  ModelBuild build = make_model(config, static_cast<std::int64_t>(data.class_names.size()));
  nn::MultimodalClassifier& model = *build.model;
  model.to(device);
  std::unique_ptr<optim::Optimizer> optimizer = make_optimizer(config, model);
  std::unique_ptr<optim::LRScheduler> scheduler = make_scheduler(config, *optimizer);
  std::unique_ptr<optim::Rebalancer> method = make_method(config);
  Generator method_generator(config.seed ^ kMethodStream);
  const RunState state{model, *optimizer, scheduler.get(), *method, method_generator, device};

  Progress progress;
  if (resuming) {
    progress = load_checkpoint(checkpoint_path, state);
    keep_epochs_before(metrics_path, progress.next_epoch);
    log.line(str("resumed ", dir, " at epoch ", progress.next_epoch + 1, " of ", config.epochs));
  } else {
    log.line(str("mg-train: ", config.dataset, ", ", config.method, ", ", config.epochs,
                 " epochs, batch ", config.batch_size, ", seed ", config.seed, ", ", device, " -> ",
                 dir));
    if (!build.init_report.empty()) log.line(build.init_report);
  }
  log.line(str("data: ", data.train->size(), " train, ", data.val->size(), " val (",
               data.val_origin, "), ", data.test->size(), " test; ", data.class_names.size(),
               " classes"));
  if (config.select_on == "test")
    log.line(
        "model selection on TEST (--select-on test: the reference code's practice; its "
        "accuracies are optimistic)");

  data::DataLoader loader(data.train, {.batch_size = config.batch_size,
                                       .shuffle = true,
                                       .num_workers = static_cast<int>(config.workers),
                                       .seed = config.seed,
                                       .pin_memory = device.is_cuda()});
  const std::vector<bool> present = modalities_present(config.modalities, model);
  const EvalOptions eval{config.eval_batch_size, static_cast<int>(config.workers), device, present};
  auto model_batch = [&](const data::Batch& batch) {
    optim::Batch b = to_model_batch(batch, data.input_names, device);
    if (!present.empty()) b.inputs = model.zero_absent(b.inputs, present);
    return b;
  };
  const std::int64_t modalities = model.num_modalities();

  for (std::int64_t epoch = progress.next_epoch; epoch < config.epochs; ++epoch) {
    loader.set_epoch(epoch);
    model.train();
    // PMR scans batches of this epoch's order for its prototypes before the first step.
    auto scan = std::make_shared<std::optional<data::DataLoader::Iterator>>();
    method->on_epoch_start(model, epoch, [&, scan](optim::Batch& out) {
      if (!scan->has_value()) scan->emplace(loader.begin());
      if (**scan == std::default_sentinel) return false;
      out = model_batch(***scan);
      ++**scan;
      return true;
    });
    scan->reset();

    const double lr = optimizer->lr(0);
    EpochTraining training;
    MetricAccumulator train_metrics;
    std::vector<double> step_ms;
    std::int64_t samples = 0;
    double loss_sum = 0;
    ProgressBar bar(str("epoch ", epoch + 1, "/", config.epochs), loader.size(),
                    {.terminal = config.progress ? std::nullopt : std::optional<bool>(false)});
    const auto epoch_start = std::chrono::steady_clock::now();
    std::int64_t done = 0;
    for (const data::Batch& batch : loader) {
      const optim::Batch b = model_batch(batch);
      const auto step_start = std::chrono::steady_clock::now();
      const optim::StepResult result =
          optim::train_step(model, *optimizer, *method, b, epoch, progress.step, method_generator);
      step_ms.push_back(
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - step_start)
              .count());
      ++progress.step;
      const std::int64_t n = batch.labels.numel();
      samples += n;
      loss_sum += result.loss * static_cast<double>(n);
      train_metrics.add(to(result.output.logits.detach(), Device::cpu()), batch.labels);
      for (const auto& [key, value] : result.log)
        if (key.starts_with("rho.")) training.rho[key.substr(4)].add(value);
      bar.update(++done, str("loss ", result.loss));
    }
    training.seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - epoch_start).count();
    bar.finish();
    MG_CHECK(samples > 0, "mg-train: epoch ", epoch + 1, " had no training batch");
    training.loss = loss_sum / static_cast<double>(samples);
    training.accuracy = train_metrics.compute().accuracy;
    training.step_ms = median(step_ms);
    training.samples_per_s = static_cast<double>(samples) / training.seconds;
    if (scheduler) scheduler->step();

    const SplitMetrics val = evaluate(model, *data.val, data.input_names, eval);
    const SplitMetrics test = evaluate(model, *data.test, data.input_names, eval);
    const double score = (config.select_on == "val" ? val : test).fused.accuracy;
    if (score > progress.best_score) {
      progress.best_score = score;
      progress.best_epoch = epoch;
      model.save(best_path);
    }

    Json line = Json::object();
    line.set("epoch", epoch);
    line.set("method", method->name());
    line.set("lr", lr);
    Json train_json = Json::object();
    train_json.set("loss", training.loss);
    train_json.set("accuracy", training.accuracy);
    train_json.set("seconds", training.seconds);
    train_json.set("step_ms", training.step_ms);
    train_json.set("samples_per_s", training.samples_per_s);
    line.set("train", std::move(train_json));
    line.set("val", to_json(val, model));
    line.set("test", to_json(test, model));
    if (!training.rho.empty()) {
      Json rho = Json::object();
      for (std::int64_t m = 0; m < modalities; ++m) {
        const auto it = training.rho.find(model.modality_name(m));
        if (it == training.rho.end()) continue;
        Json stats = Json::object();
        stats.set("mean", it->second.mean());
        stats.set("std", it->second.stddev());
        stats.set("min", it->second.min());
        stats.set("max", it->second.max());
        rho.set(it->first, std::move(stats));
      }
      line.set("rho", std::move(rho));
    }
    line.set("best_epoch", progress.best_epoch);
    line.set("selected_on", config.select_on);
    {
      std::FILE* file = std::fopen(metrics_path.c_str(), "a");
      MG_CHECK(file != nullptr, "mg-train: cannot append to ", metrics_path);
      std::fprintf(file, "%s\n", line.dump().c_str());
      std::fclose(file);
    }
    progress.next_epoch = epoch + 1;
    save_checkpoint(checkpoint_path, state, progress);

    std::string rho_text;
    for (const auto& [name, stats] : training.rho)
      rho_text += str("  rho ", name, " ", fixed(stats.mean(), 2));
    log.line(str("epoch ", epoch + 1, "/", config.epochs, "  loss ", fixed(training.loss, 4),
                 "  train ", percent(training.accuracy), "%  val ", describe(val, model), "  test ",
                 describe(test, model), rho_text, "  ", fixed(training.seconds, 1), " s"));
  }

  // The selected model on test, with each modality's Shapley contribution.
  model.load(best_path);
  model.to(device);
  const SplitMetrics best_val = evaluate(model, *data.val, data.input_names, eval);
  const SplitMetrics best_test = evaluate(model, *data.test, data.input_names, eval);
  const std::vector<double> coalitions =
      coalition_accuracies(model, *data.test, data.input_names, eval);
  const std::vector<double> shapley =
      shapley_values(modalities, [&](std::uint64_t c) { return coalitions[c]; });
  Json summary = Json::object();
  summary.set("method", method->name());
  summary.set("best_epoch", progress.best_epoch);
  summary.set("selected_on", config.select_on);
  summary.set("val", to_json(best_val, model));
  summary.set("test", to_json(best_test, model));
  Json contributions = Json::object();
  for (std::int64_t m = 0; m < modalities; ++m)
    contributions.set(model.modality_name(m), shapley[m]);
  summary.set("shapley", std::move(contributions));
  write_text(dir + "/summary.json", summary.dump() + "\n");
  log.line(str("best epoch ", progress.best_epoch + 1, " (selected on ", config.select_on,
               "): val ", describe(best_val, model), ", test ", describe(best_test, model)));
  return dir;
}

}  // namespace

std::string run_directory(const TrainConfig& config) {
  if (!config.out.empty()) return config.out;
  return str("runs/", config.dataset, "-", config.method, "-seed", config.seed);
}

std::string train(const TrainConfig& config) {
  return run(config, run_directory(config), false);
}

std::string resume(const TrainConfig& config, const std::string& run_dir) {
  return run(config, run_dir, true);
}

}  // namespace mg::train
