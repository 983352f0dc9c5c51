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
#include "experiments/train/checkpoint.h"
#include "experiments/train/components.h"
#include "experiments/train/evaluate.h"
#include "experiments/train/metrics.h"
#include "experiments/train/progress.h"
#include "experiments/train/run_data.h"
#include "experiments/train/run_files.h"

namespace mg::train {
namespace {

namespace fs = std::filesystem;

// The method's randomness (masks, noise) has its own stream, so that changing the method does
// not change the model's initialisation or the data order.
constexpr std::uint64_t kMethodStream = 0x6d6574686f64ULL;

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
  for (const Json& line : read_json_lines(path))
    if (line.at("epoch").as_int() < next_epoch) kept += line.dump() + "\n";
  write_text_file(path, kept);
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
  double lr = 0;
  double loss = 0;
  double accuracy = 0;
  double seconds = 0;
  double step_ms = 0;
  double samples_per_s = 0;
  std::map<std::string, RunningStats> rho;  // by modality, AMSS only
};

Json to_json(const EpochTraining& t) {
  Json json = Json::object();
  json.set("loss", t.loss);
  json.set("accuracy", t.accuracy);
  json.set("seconds", t.seconds);
  json.set("step_ms", t.step_ms);
  json.set("samples_per_s", t.samples_per_s);
  return json;
}

void append_line(const std::string& path, const Json& line) {
  std::FILE* file = std::fopen(path.c_str(), "a");
  MG_CHECK(file != nullptr, "mg-train: cannot append to ", path);
  std::fprintf(file, "%s\n", line.dump().c_str());
  std::fclose(file);
}

// One run: everything built from the config, then epochs, then the summary.
class Run {
 public:
  Run(TrainConfig config, std::string dir, bool resuming)
      : config_(std::move(config)),
        dir_(std::move(dir)),
        log_(prepare_directory(dir_, config_, resuming)),
        device_(Device::parse(config_.device)),
        method_generator_(config_.seed ^ kMethodStream) {
    if (config_.threads > 0) set_num_threads(static_cast<int>(config_.threads));
    MG_CHECK(!device_.is_cuda() || device_.index < cuda::device_count(), "mg-train: --device ",
             config_.device, ": ", cuda::device_count(), " CUDA devices present");
    manual_seed(config_.seed);
    data_ = load_data(config_);
    ModelBuild build = make_model(config_, static_cast<std::int64_t>(data_.class_names.size()));
    model_ = build.model;
    model_->to(device_);
    optimizer_ = make_optimizer(config_, *model_);
    schedule_ = make_schedule(config_, *optimizer_);
    method_ = make_method(config_);
    present_ = modalities_present(config_.modalities, *model_);
    eval_ = {config_.eval_batch_size, static_cast<int>(config_.workers), device_, present_};
    loader_ = std::make_unique<data::DataLoader>(
        data_.train, data::DataLoaderOptions{.batch_size = config_.batch_size,
                                             .shuffle = true,
                                             .num_workers = static_cast<int>(config_.workers),
                                             .seed = config_.seed,
                                             .pin_memory = device_.is_cuda()});
    if (resuming) {
      progress_ = load_checkpoint(path("checkpoint.safetensors"), state());
      keep_epochs_before(path("metrics.jsonl"), progress_.next_epoch);
      log_.line(
          str("resumed ", dir_, " at epoch ", progress_.next_epoch + 1, " of ", config_.epochs));
    } else {
      log_.line(str("mg-train: ", config_.dataset, ", ", config_.method, ", ", config_.epochs,
                    " epochs, batch ", config_.batch_size, ", seed ", config_.seed, ", ", device_,
                    " -> ", dir_));
      if (!build.init_report.empty()) log_.line(build.init_report);
    }
    log_.line(str("data: ", data_.train->size(), " train, ", data_.val->size(), " val (",
                  data_.val_origin, "), ", data_.test->size(), " test; ", data_.class_names.size(),
                  " classes"));
    for (const auto& [split, count] : data_.dropped)
      if (count > 0)
        log_.line(str("data: ", count, " entries of the ", split,
                      " split file left out (missing files or malformed lines)"));
    if (config_.select_on == "test")
      log_.line(
          "model selection on TEST (--select-on test: the reference code's practice; its "
          "accuracies are optimistic)");
  }

  void train() {
    for (std::int64_t epoch = progress_.next_epoch; epoch < config_.epochs; ++epoch)
      record(epoch, train_epoch(epoch));
    summarize();
  }

 private:
  static std::string prepare_directory(const std::string& dir, const TrainConfig& config,
                                       bool resuming) {
    if (resuming) {
      MG_CHECK(fs::exists(dir + "/checkpoint.safetensors"), "mg-train: --resume ", dir,
               ": no checkpoint.safetensors there (the run ended before its first epoch)");
    } else {
      MG_CHECK(!fs::exists(dir + "/metrics.jsonl") && !fs::exists(dir + "/checkpoint.safetensors"),
               "mg-train: ", dir, " already holds a run: continue it with --resume ", dir,
               ", or pick another --out");
      fs::create_directories(dir);
    }
    write_text_file(dir + "/config.json", to_json(config).dump() + "\n");
    return dir + "/train.log";
  }

  std::string path(const char* file) const { return dir_ + "/" + file; }
  RunState state() {
    return {*model_, *optimizer_, schedule_, *method_, method_generator_, device_};
  }

  optim::Batch model_batch(const data::Batch& batch) const {
    optim::Batch b = to_model_batch(batch, data_.input_names, device_);
    if (!present_.empty()) b.inputs = model_->zero_absent(b.inputs, present_);
    return b;
  }

  EpochTraining train_epoch(std::int64_t epoch) {
    loader_->set_epoch(epoch);
    model_->train();
    // PMR scans batches of this epoch's order for its prototypes before the first step.
    std::optional<data::DataLoader::Iterator> scan;
    method_->on_epoch_start(*model_, epoch, [&](optim::Batch& out) {
      if (!scan) scan.emplace(loader_->begin());
      if (*scan == std::default_sentinel) return false;
      out = model_batch(**scan);
      ++*scan;
      return true;
    });
    scan.reset();

    EpochTraining t;
    t.lr = optimizer_->lr(0);
    MetricAccumulator accuracy;
    std::vector<double> step_ms;
    std::int64_t samples = 0;
    double loss_sum = 0;
    ProgressOptions display;
    if (!config_.progress) display.terminal = false;
    ProgressBar bar(str("epoch ", epoch + 1, "/", config_.epochs), loader_->size(), display);
    const auto start = std::chrono::steady_clock::now();
    for (const data::Batch& batch : *loader_) {
      const optim::Batch b = model_batch(batch);
      const auto step_start = std::chrono::steady_clock::now();
      const optim::StepResult result = optim::train_step(*model_, *optimizer_, *method_, b, epoch,
                                                         progress_.step, method_generator_);
      step_ms.push_back(
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - step_start)
              .count());
      ++progress_.step;
      const std::int64_t n = batch.labels.numel();
      samples += n;
      loss_sum += result.loss * static_cast<double>(n);
      accuracy.add(to(result.output.logits.detach(), Device::cpu()), batch.labels);
      for (const auto& [key, value] : result.log)
        if (key.starts_with("rho.")) t.rho[key.substr(4)].add(value);
      bar.update(bar.done() + 1, str("loss ", fixed(result.loss, 4)));
    }
    t.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    bar.finish();
    MG_CHECK(samples > 0, "mg-train: epoch ", epoch + 1, " had no training batch");
    t.loss = loss_sum / static_cast<double>(samples);
    t.accuracy = accuracy.compute().accuracy;
    t.step_ms = median(step_ms);
    t.samples_per_s = static_cast<double>(samples) / t.seconds;
    schedule_.step(t.loss);
    return t;
  }

  // Evaluates the epoch, keeps the best model, appends the metrics line, then the checkpoint:
  // a run stopped in between repeats the epoch on resume and logs it once.
  void record(std::int64_t epoch, const EpochTraining& t) {
    const SplitMetrics val = evaluate(*model_, *data_.val, data_.input_names, eval_);
    const SplitMetrics test = evaluate(*model_, *data_.test, data_.input_names, eval_);
    const double score = (config_.select_on == "val" ? val : test).fused.accuracy;
    if (score > progress_.best_score) {
      progress_.best_score = score;
      progress_.best_epoch = epoch;
      model_->save(path("best.safetensors"));
    }
    Json line = Json::object();
    line.set("epoch", epoch);
    line.set("method", method_->name());
    line.set("lr", t.lr);
    line.set("train", to_json(t));
    line.set("val", to_json(val, *model_));
    line.set("test", to_json(test, *model_));
    std::string rho_text;
    if (!t.rho.empty()) {
      Json rho = Json::object();
      for (std::int64_t m = 0; m < model_->num_modalities(); ++m) {
        const auto it = t.rho.find(model_->modality_name(m));
        if (it == t.rho.end()) continue;
        const RunningStats& stats = it->second;
        Json json = Json::object();
        json.set("mean", stats.mean());
        json.set("std", stats.stddev());
        json.set("min", stats.min());
        json.set("max", stats.max());
        rho.set(it->first, std::move(json));
        rho_text += str("  rho ", it->first, " ", fixed(stats.mean(), 2));
      }
      line.set("rho", std::move(rho));
    }
    line.set("best_epoch", progress_.best_epoch);
    line.set("selected_on", config_.select_on);
    append_line(path("metrics.jsonl"), line);
    progress_.next_epoch = epoch + 1;
    save_checkpoint(path("checkpoint.safetensors"), state(), progress_);
    log_.line(str("epoch ", epoch + 1, "/", config_.epochs, "  loss ", fixed(t.loss, 4), "  train ",
                  percent(t.accuracy), "%  val ", describe(val, *model_), "  test ",
                  describe(test, *model_), rho_text, "  ", fixed(t.seconds, 1), " s"));
  }

  // The selected model on val and test, with each modality's Shapley contribution on test.
  void summarize() {
    model_->load(path("best.safetensors"));
    model_->to(device_);
    const SplitMetrics val = evaluate(*model_, *data_.val, data_.input_names, eval_);
    const SplitMetrics test = evaluate(*model_, *data_.test, data_.input_names, eval_);
    const std::vector<double> coalitions =
        coalition_accuracies(*model_, *data_.test, data_.input_names, eval_);
    const std::vector<double> shapley =
        shapley_values(model_->num_modalities(), [&](std::uint64_t c) { return coalitions[c]; });
    Json summary = Json::object();
    summary.set("method", method_->name());
    summary.set("best_epoch", progress_.best_epoch);
    summary.set("selected_on", config_.select_on);
    summary.set("val", to_json(val, *model_));
    summary.set("test", to_json(test, *model_));
    Json contributions = Json::object();
    for (std::int64_t m = 0; m < model_->num_modalities(); ++m)
      contributions.set(model_->modality_name(m), shapley[m]);
    summary.set("shapley", std::move(contributions));
    write_text_file(path("summary.json"), summary.dump() + "\n");
    log_.line(str("best epoch ", progress_.best_epoch + 1, " (selected on ", config_.select_on,
                  "): val ", describe(val, *model_), ", test ", describe(test, *model_)));
  }

  TrainConfig config_;
  std::string dir_;
  RunLog log_;
  Device device_;
  Generator method_generator_;
  RunData data_;
  std::shared_ptr<nn::MultimodalClassifier> model_;
  std::unique_ptr<optim::Optimizer> optimizer_;
  EpochSchedule schedule_;
  std::unique_ptr<optim::Rebalancer> method_;
  std::vector<bool> present_;
  EvalOptions eval_;
  std::unique_ptr<data::DataLoader> loader_;
  Progress progress_;
};

}  // namespace

std::string run_directory(const TrainConfig& config) {
  if (!config.out.empty()) return config.out;
  return str("runs/", config.dataset, "-", config.method, "-seed", config.seed);
}

std::string train(const TrainConfig& config) {
  const std::string dir = run_directory(config);
  Run(config, dir, false).train();
  return dir;
}

std::string resume(const TrainConfig& config, const std::string& run_dir) {
  Run(config, run_dir, true).train();
  return run_dir;
}

}  // namespace mg::train
