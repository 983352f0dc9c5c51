#include "experiments/train/train_config.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <set>
#include <sstream>

#include "core/error.h"
#include "experiments/train/run_files.h"

namespace mg::train {
namespace {

// Reading one value, from text or JSON; the caller adds which setting it was.
void read(const std::string& text, std::string& out) {
  out = text;
}
void read(const std::string& text, double& out) {
  double value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  MG_CHECK(ec == std::errc() && end == text.data() + text.size() && std::isfinite(value),
           "expects a number, got '", text, "'");
  out = value;
}
template <typename Int>
requires std::is_integral_v<Int>
void read(const std::string& text, Int& out) {
  Int value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  MG_CHECK(ec == std::errc() && end == text.data() + text.size(), "expects an integer, got '", text,
           "'");
  out = value;
}
void read(const std::string& text, bool& out) {
  MG_CHECK(text == "true" || text == "false" || text == "1" || text == "0",
           "expects true or false, got '", text, "'");
  out = text == "true" || text == "1";
}
void read(const std::string& text, std::optional<double>& out) {
  if (text.empty() || text == "default") {
    out.reset();
    return;
  }
  double value = 0;
  read(text, value);
  out = value;
}

void read(const Json& json, std::string& out) {
  out = json.as_string();
}
void read(const Json& json, double& out) {
  out = json.as_double();
}
void read(const Json& json, bool& out) {
  out = json.as_bool();
}
void read(const Json& json, std::int64_t& out) {
  out = json.as_int();
}
void read(const Json& json, std::uint64_t& out) {
  const std::int64_t value = json.as_int();
  MG_CHECK(value >= 0, "expects a non-negative integer, got ", value);
  out = static_cast<std::uint64_t>(value);
}
void read(const Json& json, std::optional<double>& out) {
  if (json.is_null()) {
    out.reset();
  } else {
    out = json.as_double();
  }
}

Json write(const std::string& value) {
  return Json(value);
}
Json write(double value) {
  return Json(value);
}
Json write(bool value) {
  return Json(value);
}
Json write(std::int64_t value) {
  return Json(value);
}
Json write(std::uint64_t value) {
  return Json(value);
}
Json write(const std::optional<double>& value) {
  return value ? Json(*value) : Json(nullptr);
}

template <auto Member>
Setting setting(std::string name, std::string group, std::string help) {
  return Setting{std::move(name),
                 std::move(group),
                 std::move(help),
                 [](const TrainConfig& config) { return write(config.*Member); },
                 [](TrainConfig& config, const std::string& text) { read(text, config.*Member); },
                 [](TrainConfig& config, const Json& json) { read(json, config.*Member); }};
}

const Setting& find_setting(const std::string& name) {
  for (const Setting& s : settings())
    if (s.name == name) return s;
  throw Error(str("unknown setting '", name, "' (mg-train --help lists them)"));
}

// The settings --resume may change: they decide how, not what, is trained.
bool changeable_on_resume(const std::string& name) {
  static const std::set<std::string> names = {"epochs", "device", "threads", "workers", "progress"};
  return names.contains(name);
}

bool one_of(const std::string& value, std::initializer_list<const char*> names) {
  return std::any_of(names.begin(), names.end(), [&](const char* n) { return value == n; });
}

}  // namespace

const std::vector<Setting>& settings() {
  using C = TrainConfig;
  static const std::vector<Setting> all = {
      setting<&C::dataset>("dataset", "data",
                           "embedded, cremad, kinetics_sounds, sarcasm, twitter2015, nvgesture"),
      setting<&C::data_root>("data-root", "data",
                             "the data set's folder (embedded: data/embedded when empty)"),
      setting<&C::select_on>("select-on", "data",
                             "split that picks the best epoch: val, or test (the reference code's "
                             "practice, labelled so in the output)"),
      setting<&C::holdout>("holdout", "data",
                           "fraction of train held out for validation when the data set has no "
                           "validation split"),
      setting<&C::limit_train>("limit-train", "data", "use the first N training samples (0: all)"),
      setting<&C::limit_eval>("limit-eval", "data",
                              "use the first N samples of each evaluated split (0: all)"),
      setting<&C::workers>("workers", "data", "loader threads"),
      setting<&C::image_size>("image-size", "data",
                              "image side (0: the data set's, embedded 28, else 224)"),
      setting<&C::frames>("frames", "data",
                          "video frames per sample (0: the data set's, CREMA-D 1, KS 3)"),
      setting<&C::vocab>("vocab", "data", "BERT vocab.txt (text-image data sets)"),
      setting<&C::data_format>("data-format", "data",
                               "layout under the root (empty: AMSS's): kinetics_sounds amss, "
                               "ogm_ge; sarcasm amss, cai_raw, json; twitter2015 amss, "
                               "tombert_tsv, tombert_txt; nvgesture avi, frame_folders"),
      setting<&C::missing_files>("missing-files", "data",
                                 "a sample whose file is missing (empty: the loader's): skip, "
                                 "error, placeholder (text-image: a zero image)"),
      setting<&C::audio_mode>("audio-mode", "data",
                              "CREMA-D / Kinetics-Sounds audio (empty: the layout's): pkl, npy, "
                              "wav_stft_22050_3s, wav_stft_35400_10s, wav_scipy_psd_1004"),
      setting<&C::twitter_text>("twitter-text", "data",
                                "Twitter-2015 text in the TomBERT layouts (empty: target): "
                                "masked ($T$ kept), target ($T$ replaced), sep_target (tweet "
                                "[SEP] target)"),
      setting<&C::fusion>("fusion", "model", "fusion head: sum, concat, film, gated, late"),
      setting<&C::width>("width", "model", "ResNet trunk width (64: ResNet-18)"),
      setting<&C::activation>("activation", "model", "ResNet activation: relu or gelu"),
      setting<&C::init_from>("init-from", "model",
                             "safetensors file of pretrained weights to start from"),
      setting<&C::modalities>("modalities", "model",
                              "comma-separated modalities the model sees, the others zero "
                              "inputs (empty: all; 'visual' trains a unimodal visual model)"),
      setting<&C::method>("method", "method", "naive, amss, amss_plus, ogm, ogm_ge, pmr or agm"),
      setting<&C::amss_mode>("amss-mode", "method", "AMSS defaults: paper or reference"),
      setting<&C::tau>("tau", "method", "AMSS temperature (null/default: the mode's value)"),
      setting<&C::amss_sampler>("amss-sampler", "method",
                                "AMSS sampler (empty: the mode's): systematic_pps, successive, "
                                "poisson_pps, topk, uniform"),
      setting<&C::amss_rescale>("amss-rescale", "method",
                                "AMSS+ factor (empty: the mode's): inverse_inclusion, reference, "
                                "none"),
      setting<&C::amss_importance>("amss-importance", "method",
                                   "unit importance (empty: grad_squared): grad_squared, "
                                   "grad_abs, grad_over_weight_squared, ema_grad_squared"),
      setting<&C::amss_masking>("amss-masking", "method",
                                "mask semantics (empty: the mode's): strict or grad"),
      setting<&C::amss_scope>("amss-scope", "method",
                              "masked weights (empty: the mode's): supplement or code"),
      setting<&C::amss_bug_ratio_swap>("amss-bug-ratio-swap", "method",
                                       "B1: each modality's own softmax weight as its ratio "
                                       "(the text-image script's effective rule)"),
      setting<&C::amss_bug_classifier_unmasked>("amss-bug-classifier-unmasked", "method",
                                                "B5: leave the audio-video classifier unmasked"),
      setting<&C::amss_bug_bernoulli>("amss-bug-bernoulli", "method",
                                      "B9/B10: the code's Bernoulli sample mode"),
      setting<&C::ogm_alpha>("ogm-alpha", "method", "OGM modulation strength α"),
      setting<&C::ogm_start>("ogm-start", "method", "first modulated epoch (0-based)"),
      setting<&C::ogm_end>("ogm-end", "method", "last modulated epoch (inclusive)"),
      setting<&C::pmr_alpha>("pmr-alpha", "method", "PMR weight of the prototype loss"),
      setting<&C::pmr_momentum>("pmr-momentum", "method", "PMR prototype momentum"),
      setting<&C::pmr_batches>("pmr-batches", "method",
                               "training batches PMR scans for prototypes each epoch"),
      setting<&C::pmr_start>("pmr-start", "method", "first PMR-modulated epoch (0-based)"),
      setting<&C::pmr_end>("pmr-end", "method", "last PMR-modulated epoch"),
      setting<&C::pmr_coef>("pmr-coef", "method",
                            "PMR coefficient: constant or ratio_scaled (tanh of the imbalance)"),
      setting<&C::pmr_per>("pmr-per", "method",
                           "PMR's entropy regulariser (reconstructed, specs/peers.md §5.3)"),
      setting<&C::pmr_per_mu>("pmr-per-mu", "method", "weight of PMR's entropy regulariser"),
      setting<&C::pmr_per_epochs>("pmr-per-epochs", "method",
                                  "epochs PMR's entropy regulariser applies"),
      setting<&C::agm_alpha>("agm-alpha", "method", "AGM modulation strength α"),
      setting<&C::agm_start>("agm-start", "method", "first AGM-modulated epoch (0-based)"),
      setting<&C::agm_end>("agm-end", "method", "last AGM-modulated epoch"),
      setting<&C::optimizer>("optimizer", "optimisation", "sgd, adam or adamw"),
      setting<&C::lr>("lr", "optimisation", "initial learning rate"),
      setting<&C::momentum>("momentum", "optimisation", "SGD momentum"),
      setting<&C::weight_decay>("weight-decay", "optimisation", "weight decay"),
      setting<&C::beta1>("beta1", "optimisation", "Adam β1"),
      setting<&C::beta2>("beta2", "optimisation", "Adam β2"),
      setting<&C::eps>("eps", "optimisation", "Adam ε"),
      setting<&C::schedule>("schedule", "optimisation",
                            "learning-rate schedule, stepped per epoch: none, step, multistep, "
                            "cosine, plateau (on the training loss)"),
      setting<&C::step_size>("step-size", "optimisation", "epochs between decays (step)"),
      setting<&C::milestones>("milestones", "optimisation",
                              "comma-separated decay epochs (multistep)"),
      setting<&C::gamma>("gamma", "optimisation", "decay factor (step, multistep, plateau)"),
      setting<&C::patience>("patience", "optimisation",
                            "epochs without improvement before a decay (plateau)"),
      setting<&C::epochs>("epochs", "optimisation", "training epochs"),
      setting<&C::batch_size>("batch-size", "optimisation", "training batch size"),
      setting<&C::eval_batch_size>("eval-batch-size", "optimisation", "evaluation batch size"),
      setting<&C::seed>("seed", "run", "seed of the model, the data order and the methods"),
      setting<&C::device>("device", "run", "cpu, cuda or cuda:<n>"),
      setting<&C::threads>("threads", "run", "CPU threads (0: the OpenMP default)"),
      setting<&C::out>("out", "run", "run directory (empty: runs/<dataset>-<method>-seed<seed>)"),
      setting<&C::progress>("progress", "run", "progress bar when stdout is a terminal"),
      setting<&C::preset>("preset", "run",
                          "reference settings of a benchmark (cremad, kinetics_sounds, sarcasm, "
                          "twitter2015, nvgesture) or embedded"),
  };
  return all;
}

std::vector<std::string> preset_names() {
  return {"embedded", "cremad", "kinetics_sounds", "sarcasm", "twitter2015", "nvgesture"};
}

void apply_preset(TrainConfig& c, const std::string& name) {
  c.preset = name;
  c.dataset = name;
  if (name == "embedded") {
    // Calibrated with the embedded data (experiments/train/README.md, "The embedded data"):
    // small trunks and few epochs, so that four methods train in minutes on two cores. Adam
    // because under SGD (lr 0.01) the visual encoder inside the naive joint model keeps learning
    // (3.8 probe points below alone, where CREMA-D's regime needs 10 and Adam gives 16).
    c.width = 8;
    c.activation = "relu";
    c.optimizer = "adam";
    c.lr = 1e-3;
    c.weight_decay = 1e-4;
    c.schedule = "none";
    c.epochs = 5;
    c.batch_size = 16;
    c.eval_batch_size = 256;
    c.seed = 0;
    return;
  }
  // specs/amss.md §13, the reference code's column: GELU ResNet-18s from scratch for AV, seed 42.
  c.seed = 42;
  if (name == "cremad" || name == "kinetics_sounds") {
    c.width = 64;
    c.activation = "gelu";
    c.optimizer = "sgd";
    c.lr = 1e-2;
    c.momentum = 0.9;
    c.weight_decay = 1e-4;
    c.schedule = "step";
    c.step_size = 60;
    c.gamma = 0.1;
    c.epochs = 80;
    c.batch_size = 64;
    c.eval_batch_size = 64;
  } else if (name == "sarcasm" || name == "twitter2015") {
    // Sarcasm: Adam β (0.9, 0.99); Twitter-15: AdamW with no decay; both lr 2e-6, no schedule.
    c.optimizer = name == "sarcasm" ? "adam" : "adamw";
    c.lr = 2e-6;
    c.beta1 = 0.9;
    c.beta2 = name == "sarcasm" ? 0.99 : 0.999;
    c.weight_decay = 0;
    c.schedule = "none";
    c.epochs = 50;
    c.batch_size = name == "sarcasm" ? 32 : 16;
    c.eval_batch_size = 32;
  } else if (name == "nvgesture") {
    c.optimizer = "sgd";
    c.lr = 1e-2;
    c.momentum = 0.9;
    c.weight_decay = 1e-4;
    c.schedule = "multistep";
    c.milestones = "80,90";
    c.gamma = 0.1;
    c.epochs = 100;
    c.batch_size = 4;
    c.eval_batch_size = 4;
  } else {
    std::string names;
    for (const std::string& n : preset_names()) names += (names.empty() ? "" : ", ") + n;
    throw Error(str("unknown preset '", name, "': expected one of ", names));
  }
}

Json to_json(const TrainConfig& config) {
  Json json = Json::object();
  for (const Setting& s : settings()) json.set(s.name, s.get(config));
  return json;
}

void apply_json(TrainConfig& config, const Json& json, const std::string& source) {
  MG_CHECK(json.is_object(), source, ": expected a JSON object of settings, got ",
           Json::type_name(json.type()));
  for (const auto& [key, value] : json.as_object()) {
    const Setting* setting = nullptr;
    try {
      setting = &find_setting(key);
      setting->set_json(config, value);
    } catch (const Error& e) {
      throw Error(str(source, ": key \"", key, "\": ", e.what()));
    }
  }
}

CommandLine parse_command_line(const std::vector<std::string>& args) {
  CommandLine line;
  std::string config_file, preset;
  std::vector<std::pair<std::string, std::string>> flags;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--help" || arg == "-h") {
      line.help = true;
      return line;
    }
    MG_CHECK(arg.starts_with("--") && arg.size() > 2, "mg-train: unexpected argument '", arg,
             "' (flags are --name value; --help lists them)");
    std::string name = arg.substr(2), value;
    if (const auto eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
    } else {
      MG_CHECK(i + 1 < args.size(), "mg-train: --", name, " expects a value");
      value = args[++i];
    }
    if (name == "config") {
      config_file = value;
    } else if (name == "resume") {
      line.resume = value;
    } else if (name == "preset") {
      preset = value;
    } else {
      try {
        find_setting(name);
      } catch (const Error& e) {
        throw Error(str("mg-train: --", name, ": ", e.what()));
      }
      flags.emplace_back(name, value);
    }
  }

  if (!line.resume.empty()) {
    MG_CHECK(config_file.empty() && preset.empty(),
             "mg-train: --resume takes the run's own config.json; drop --config and --preset");
    for (const auto& [name, value] : flags)
      MG_CHECK(changeable_on_resume(name), "mg-train: --", name,
               " cannot change when resuming (only --epochs, --device, --threads, --workers and "
               "--progress can)");
    const std::string path = line.resume + "/config.json";
    apply_json(line.config, read_json_file(path), path);
  } else {
    Json file;
    if (!config_file.empty()) file = read_json_file(config_file);
    if (preset.empty() && file.is_object())
      if (const Json* p = file.find("preset"); p != nullptr && p->is_string())
        preset = p->as_string();
    if (!preset.empty()) apply_preset(line.config, preset);
    if (!config_file.empty()) apply_json(line.config, file, config_file);
  }
  for (const auto& [name, value] : flags) {
    try {
      find_setting(name).set_text(line.config, value);
    } catch (const Error& e) {
      throw Error(str("mg-train: --", name, ": ", e.what()));
    }
  }
  validate(line.config);
  return line;
}

void validate(const TrainConfig& c) {
  auto check_name = [](const std::string& setting, const std::string& value,
                       std::initializer_list<const char*> names) {
    if (one_of(value, names)) return;
    std::string list;
    for (const char* n : names) list += str(list.empty() ? "" : ", ", n);
    throw Error(str("mg-train: --", setting, " '", value, "': expected one of ", list));
  };
  check_name("dataset", c.dataset,
             {"embedded", "cremad", "kinetics_sounds", "sarcasm", "twitter2015", "nvgesture"});
  check_name("select-on", c.select_on, {"val", "test"});
  check_name("method", c.method, {"naive", "amss", "amss_plus", "ogm", "ogm_ge", "pmr", "agm"});
  check_name("amss-mode", c.amss_mode, {"paper", "reference"});
  check_name("optimizer", c.optimizer, {"sgd", "adam", "adamw"});
  check_name("schedule", c.schedule, {"none", "step", "multistep", "cosine", "plateau"});
  check_name("pmr-coef", c.pmr_coef, {"constant", "ratio_scaled"});
  check_name("activation", c.activation, {"relu", "gelu"});
  MG_CHECK(c.holdout > 0 && c.holdout < 1, "mg-train: --holdout must be in (0, 1), got ",
           c.holdout);
  MG_CHECK(c.epochs > 0, "mg-train: --epochs must be positive, got ", c.epochs);
  MG_CHECK(c.batch_size > 0 && c.eval_batch_size > 0,
           "mg-train: --batch-size and --eval-batch-size must be positive, got ", c.batch_size,
           " and ", c.eval_batch_size);
  MG_CHECK(c.lr > 0, "mg-train: --lr must be positive, got ", c.lr);
  MG_CHECK(c.limit_train >= 0 && c.limit_eval >= 0 && c.workers >= 0 && c.threads >= 0 &&
               c.image_size >= 0 && c.frames >= 0 && c.width > 0 && c.step_size > 0 &&
               c.patience >= 0 && c.pmr_batches > 0,
           "mg-train: --limit-train, --limit-eval, --workers, --threads, --image-size and "
           "--frames and --patience must not be negative, --width, --step-size and --pmr-batches "
           "positive");
  MG_CHECK(!c.tau || *c.tau > 0, "mg-train: --tau must be positive, got ", *c.tau);
  MG_CHECK(c.twitter_text.empty() || c.dataset == "twitter2015", "mg-train: --twitter-text '",
           c.twitter_text, "' is for --dataset twitter2015, not ", c.dataset);
}

std::string help_text() {
  std::ostringstream out;
  out << "usage: mg-train [--preset NAME] [--config FILE] [--name VALUE ...]\n"
         "       mg-train --resume RUN_DIR [--epochs N] [--device D] [--threads N] "
         "[--workers N]\n\n"
         "Trains a multimodal classifier with one rebalancing method and writes one run\n"
         "directory: config.json (every setting below, resolved; give it back to --config to\n"
         "repeat the run), metrics.jsonl (one line per epoch), checkpoint.safetensors (the last\n"
         "epoch), best.safetensors (the model of the best epoch) and train.log.\n"
         "Settings resolve as: defaults, then the preset, then the --config file, then flags.\n"
         "Flags take '--name value' or '--name=value'.\n\n"
         "  --preset NAME      reference settings: ";
  for (const std::string& n : preset_names()) out << n << ' ';
  out << "\n  --config FILE      a JSON object of settings, keys as the flag names\n"
         "  --resume RUN_DIR   continue a run from its last checkpoint\n";
  const TrainConfig defaults;
  std::string group;
  for (const Setting& s : settings()) {
    if (s.group != group) {
      group = s.group;
      out << "\n" << group << ":\n";
    }
    const std::string flag = "  --" + s.name;
    out << flag << std::string(flag.size() < 20 ? 20 - flag.size() : 1, ' ') << s.help
        << " (default: " << s.get(defaults).dump() << ")\n";
  }
  return out.str();
}

}  // namespace mg::train
