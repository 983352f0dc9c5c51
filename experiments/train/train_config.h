#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/json.h"

// Everything one mg-train run is made of, as one flat set of named settings. Each setting is a
// command-line flag (--batch-size 64), a key of a --config JSON file ("batch-size": 64) and a
// key of the config.json a run writes, under the same name, so a run's config.json given back
// to --config repeats the run.
//
// Resolution, later wins: the defaults below, a preset (--preset, or "preset" in the file), the
// config file, the command line.
namespace mg::train {

struct TrainConfig {
  // Data.
  std::string dataset = "embedded";  // embedded, cremad, kinetics_sounds, sarcasm, twitter2015,
                                     // nvgesture
  std::string data_root;             // empty: data/embedded for the embedded data set
  std::string select_on = "val";     // the split that picks the best epoch: val or test
  double holdout = 0.1;          // fraction of train held out as validation when the data has none
  std::int64_t limit_train = 0;  // use only the first N training samples (0: all)
  std::int64_t limit_eval = 0;   // and the first N of each evaluated split
  std::int64_t workers = 2;      // loader threads
  std::int64_t image_size = 0;   // 0: the data set's size (embedded 28, else 224)
  std::int64_t frames = 0;       // 0: the data set's count (CREMA-D 1, Kinetics-Sounds 3)
  std::string vocab;             // BERT vocab.txt for the text-image data sets
  // The layout under the root (empty: AMSS's): kinetics_sounds amss|ogm_ge; sarcasm
  // amss|cai_raw|json; twitter2015 amss|tombert_tsv|tombert_txt; nvgesture avi|frame_folders.
  std::string data_format;
  // CREMA-D and Kinetics-Sounds audio (empty: the layout's): pkl, npy, wav_stft_22050_3s,
  // wav_stft_35400_10s, wav_scipy_psd_1004 (datasets/audio_features.h).
  std::string audio_mode;
  // A sample whose file is missing (empty: the loader's, as AMSS: skip for CREMA-D and
  // Kinetics-Sounds, error for the text-image sets): skip, error, or placeholder (text-image:
  // an all-zero image, as TomBERT substitutes one).
  std::string missing_files;
  // Twitter-2015's text in the TomBERT layouts (empty: target): masked (the tweet with $T$ as it
  // is), target (every $T$ replaced by the target), sep_target (tweet [SEP] target).
  std::string twitter_text;

  // Model.
  std::string fusion = "concat";    // sum, concat, film, gated, late
  std::int64_t width = 64;          // ResNet trunk width (64: ResNet-18)
  std::string activation = "relu";  // ResNet activation: relu or gelu (AMSS)
  std::string init_from;            // safetensors with pretrained weights (text-image)
  // Comma-separated modalities the model sees (empty: all); the others get zero inputs in
  // training and evaluation: a unimodal model inside the same architecture.
  std::string modalities;

  // Method.
  std::string method = "naive";     // naive, amss, amss_plus, ogm, ogm_ge, pmr, agm
  std::string amss_mode = "paper";  // paper or reference (specs/amss.md §17.1)
  std::optional<double> tau;        // unset: the mode's value for the model family
  std::string amss_sampler;         // empty: the mode's (optim/masks/sampler.h names)
  std::string amss_rescale;
  std::string amss_importance;
  std::string amss_masking;  // grad or strict
  std::string amss_scope;    // supplement or code
  // The reference code's bugs, reproduced on request (optim/amss.h, specs/amss.md §17.2).
  bool amss_bug_ratio_swap = false;
  bool amss_bug_classifier_unmasked = false;
  bool amss_bug_bernoulli = false;
  double ogm_alpha = 0.8;
  std::int64_t ogm_start = 0;
  std::int64_t ogm_end = 50;
  double pmr_alpha = 1.0;
  double pmr_momentum = 0.2;
  std::int64_t pmr_batches = 10;
  std::int64_t pmr_start = 0;
  std::int64_t pmr_end = 100;
  std::string pmr_coef = "constant";  // constant or ratio_scaled
  bool pmr_per = true;                // the reconstructed entropy regulariser (peers.md §5.3)
  double pmr_per_mu = 0.1;
  std::int64_t pmr_per_epochs = 10;
  double agm_alpha = 1.5;
  std::int64_t agm_start = 0;
  std::int64_t agm_end = 1500;

  // Optimisation.
  std::string optimizer = "sgd";  // sgd, adam, adamw
  double lr = 1e-2;
  double momentum = 0.9;
  double weight_decay = 1e-4;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  std::string schedule = "step";     // none, step, multistep, cosine, plateau
  std::int64_t step_size = 60;       // step
  std::string milestones = "80,90";  // multistep: comma-separated epochs
  double gamma = 0.1;
  std::int64_t patience = 10;  // plateau
  std::int64_t epochs = 80;
  std::int64_t batch_size = 64;
  std::int64_t eval_batch_size = 64;

  // Run.
  std::uint64_t seed = 42;
  std::string device = "cpu";  // cpu, cuda, cuda:<n>
  std::int64_t threads = 0;    // 0: the OpenMP default
  std::string out;             // empty: runs/<dataset>-<method>-seed<seed>
  bool progress = true;        // a progress bar on a terminal
  std::string preset;          // what the preset was, for the record
};

// One setting: its name (flag and key), what it means, and how it reads and writes itself.
struct Setting {
  std::string name;
  std::string group;
  std::string help;
  Json (*get)(const TrainConfig&);
  // Sets from a command-line value or a JSON value; mg::Error naming the setting otherwise.
  void (*set_text)(TrainConfig&, const std::string&);
  void (*set_json)(TrainConfig&, const Json&);
};
const std::vector<Setting>& settings();

// The names of the presets: the reference settings of specs/amss.md §13 for each benchmark
// ("cremad", ...), and "embedded" for the default data set.
std::vector<std::string> preset_names();
// `config` with preset `name`'s settings applied (dataset included).
void apply_preset(TrainConfig& config, const std::string& name);

// What the command line asked for.
struct CommandLine {
  TrainConfig config;
  bool help = false;
  std::string resume;  // --resume <run dir>
};

// Resolves argv[1..] (without the program name) as described above. --resume <dir> starts
// from <dir>/config.json instead and accepts only the settings that do not change what is
// trained (epochs, device, threads, workers, progress, out is not allowed). Errors are mg::Error
// naming the flag, the file and key, or the value.
CommandLine parse_command_line(const std::vector<std::string>& args);

// Every setting with its value, in settings() order, as the config.json of a run.
Json to_json(const TrainConfig& config);
// A config.json (or --config file) applied on top of `config`; unknown keys are an error.
void apply_json(TrainConfig& config, const Json& json, const std::string& source);

// Checks the values that no setter can check alone (known names, positive sizes, ...).
void validate(const TrainConfig& config);

// The --help text: usage, then every setting by group with its default.
std::string help_text();

}  // namespace mg::train
