#include "experiments/train/run_data.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <functional>
#include <map>

#include "autograd/elementwise.h"
#include "core/error.h"
#include "core/generator.h"
#include "core/random.h"
#include "datasets/cremad.h"
#include "datasets/kinetics_sounds.h"
#include "datasets/nvgesture.h"
#include "datasets/sarcasm.h"
#include "datasets/twitter2015.h"

namespace mg::train {
namespace {

using data::BenchmarkDataset;

// Opens split `split` of the config's data set, with training augmentation where the data set
// has one and `augment` asks for it.
using Opener =
    std::function<std::shared_ptr<BenchmarkDataset>(const std::string& split, bool augment)>;

struct Family {
  Opener open;
  std::string val_split;  // the data set's validation split, when its file exists
  std::string val_file;   // that file, under the root
  std::vector<std::string> input_names;
};

std::string root_of(const TrainConfig& c) {
  if (!c.data_root.empty()) return c.data_root;
  MG_CHECK(c.dataset == "embedded", "mg-train: --data-root is required for --dataset ", c.dataset);
  return "data/embedded";
}

data::ImageOptions image_options(const TrainConfig& c, data::ImageOptions image) {
  if (c.image_size > 0) image.size = c.image_size;
  return image;
}

// The value of a name setting among `choices` (the first is the default, for an empty value).
template <typename T>
T choose(const std::string& setting, const std::string& value, const std::string& dataset,
         const std::vector<std::pair<std::string, T>>& choices) {
  if (value.empty()) return choices.front().second;
  std::string names;
  for (const auto& [name, choice] : choices) {
    if (name == value) return choice;
    names += (names.empty() ? "" : ", ") + name;
  }
  throw Error(str("mg-train: --", setting, " '", value, "' for ", dataset, ": expected ", names));
}

// --audio-mode, when given, over the layout's own mode.
data::AudioMode audio_mode(const TrainConfig& c, data::AudioMode layout) {
  using data::AudioMode;
  return c.audio_mode.empty()
             ? layout
             : choose<AudioMode>("audio-mode", c.audio_mode, c.dataset,
                                 {{"pkl", AudioMode::Pkl},
                                  {"npy", AudioMode::Npy},
                                  {"wav_stft_22050_3s", AudioMode::WavStft22050_3s},
                                  {"wav_stft_35400_10s", AudioMode::WavStft35400_10s},
                                  {"wav_scipy_psd_1004", AudioMode::WavScipyPsd1004}});
}

// --missing-files, when given, over the loader's own policy.
data::MissingFilePolicy missing_files(const TrainConfig& c, data::MissingFilePolicy loader) {
  using data::MissingFilePolicy;
  return c.missing_files.empty()
             ? loader
             : choose<MissingFilePolicy>("missing-files", c.missing_files, c.dataset,
                                         {{"skip", MissingFilePolicy::Skip},
                                          {"error", MissingFilePolicy::Error},
                                          {"placeholder", MissingFilePolicy::Placeholder}});
}

Family audio_visual(const TrainConfig& c, const std::string& root) {
  MG_CHECK(c.data_format.empty() || c.data_format == "amss", "mg-train: --data-format '",
           c.data_format, "' for ", c.dataset, ": the CREMA-D layout is the only one (amss)");
  return {[c, root](const std::string& split, bool augment) {
            data::CremadOptions o;
            o.root = root;
            o.split = split;
            o.num_frames = c.frames > 0 ? c.frames : 1;
            o.audio_mode = audio_mode(c, o.audio_mode);
            o.missing_files = missing_files(c, o.missing_files);
            o.seed = c.seed;
            if (c.dataset == "embedded") {
              // Fashion-MNIST items: a random resized crop would cut most of one away.
              o.class_list_file = "classes.txt";
              o.image = image_options(c, {.size = 28});
              o.augment = false;
            } else {
              o.image = image_options(c, o.image);
              o.augment = augment;
            }
            return std::make_shared<data::CremadDataset>(o);
          },
          "valid",
          "annotations/valid.csv",
          {"audio", "visual"}};
}

Family kinetics_sounds(const TrainConfig& c, const std::string& root) {
  using data::KineticsSoundsFormat;
  const KineticsSoundsFormat format = choose<KineticsSoundsFormat>(
      "data-format", c.data_format, c.dataset,
      {{"amss", KineticsSoundsFormat::Amss}, {"ogm_ge", KineticsSoundsFormat::OgmGe}});
  return {[c, root, format](const std::string& split, bool augment) {
            data::KineticsSoundsOptions o;
            o.root = root;
            o.split = split;
            o.format = format;
            o.audio_mode = audio_mode(c, o.audio_mode);
            o.missing_files = missing_files(c, o.missing_files);
            if (c.frames > 0) o.num_frames = c.frames;
            o.image = image_options(c, o.image);
            o.augment = augment;
            o.seed = c.seed;
            return std::make_shared<data::KineticsSoundsDataset>(o);
          },
          // Its layouts have train and test only: validation is held out of train.
          "",
          "",
          {"audio", "visual"}};
}

// What Sarcasm's and Twitter-2015's options share, from the settings.
template <typename Options>
Options text_image_options(const TrainConfig& c, const std::string& root,
                           const std::string& split) {
  Options o;
  o.root = root;
  o.split = split;
  o.text.vocab_file = c.vocab;
  o.image = image_options(c, o.image);
  o.missing_files = missing_files(c, o.missing_files);
  o.seed = c.seed;
  return o;
}

Family text_image(const TrainConfig& c, const std::string& root) {
  MG_CHECK(!c.vocab.empty(), "mg-train: --dataset ", c.dataset,
           " needs --vocab (BERT's uncased vocab.txt)");
  const std::vector<std::string> inputs = {"input_ids", "attention_mask", "image"};
  if (c.dataset == "sarcasm") {
    using data::SarcasmFormat;
    const SarcasmFormat format = choose<SarcasmFormat>("data-format", c.data_format, c.dataset,
                                                       {{"amss", SarcasmFormat::Amss},
                                                        {"cai_raw", SarcasmFormat::CaiRaw},
                                                        {"json", SarcasmFormat::Json}});
    const std::string val_file = format == SarcasmFormat::Amss     ? "annotations/valid.tsv"
                                 : format == SarcasmFormat::CaiRaw ? "text/valid2.txt"
                                                                   : "annotations/valid.json";
    return {[c, root, format](const std::string& split, bool /*augment*/) {
              auto o = text_image_options<data::SarcasmOptions>(c, root, split);
              o.format = format;
              return std::make_shared<data::SarcasmDataset>(o);
            },
            "valid", val_file, inputs};
  }
  using data::TwitterFormat;
  const TwitterFormat format = choose<TwitterFormat>("data-format", c.data_format, c.dataset,
                                                     {{"amss", TwitterFormat::Amss},
                                                      {"tombert_tsv", TwitterFormat::TomBertTsv},
                                                      {"tombert_txt", TwitterFormat::TomBertTxt}});
  const std::string val_file = format == TwitterFormat::Amss ? "annotations/dev.tsv"
                               : format == TwitterFormat::TomBertTsv
                                   ? "absa_data/twitter2015/dev.tsv"
                                   : "absa_data/twitter2015/dev.txt";
  using data::TwitterText;
  MG_CHECK(c.twitter_text.empty() || format != TwitterFormat::Amss, "mg-train: --twitter-text '",
           c.twitter_text, "' needs a TomBERT layout (--data-format tombert_tsv or tombert_txt): ",
           "the amss layout's String column is the text as it is");
  const TwitterText text_mode =
      c.twitter_text.empty() ? TwitterText::TargetSubstituted
                             : choose<TwitterText>("twitter-text", c.twitter_text, c.dataset,
                                                   {{"masked", TwitterText::Masked},
                                                    {"target", TwitterText::TargetSubstituted},
                                                    {"sep_target", TwitterText::MaskedSepTarget}});
  return {[c, root, format, text_mode](const std::string& split, bool /*augment*/) {
            auto o = text_image_options<data::Twitter2015Options>(c, root, split);
            o.format = format;
            o.text_mode = text_mode;
            return std::make_shared<data::Twitter2015Dataset>(o);
          },
          "dev", val_file, inputs};
}

Family nvgesture(const TrainConfig& c, const std::string& root) {
  using data::NvGestureVideo;
  const NvGestureVideo video = choose<NvGestureVideo>(
      "data-format", c.data_format, c.dataset,
      {{"avi", NvGestureVideo::Avi}, {"frame_folders", NvGestureVideo::FrameFolders}});
  return {[c, root, video](const std::string& split, bool /*augment*/) {
            data::NvGestureOptions o;
            o.root = root;
            o.split = split;
            o.video = video;
            o.seed = c.seed;
            return std::make_shared<data::NvGestureDataset>(o);
          },
          // Its lists have train and test only: validation is held out of train.
          "",
          "",
          {"rgb", "flow", "depth"}};
}

Family family(const TrainConfig& c) {
  const std::string root = root_of(c);
  MG_CHECK(std::filesystem::is_directory(root), "mg-train: data root '", root, "' is not a folder",
           c.dataset == "embedded" ? " (./run.sh demo builds the embedded data there)" : "");
  if (c.dataset == "embedded" || c.dataset == "cremad") return audio_visual(c, root);
  if (c.dataset == "kinetics_sounds") return kinetics_sounds(c, root);
  if (c.dataset == "sarcasm" || c.dataset == "twitter2015") return text_image(c, root);
  return nvgesture(c, root);
}

std::vector<std::int64_t> labels_of(const BenchmarkDataset& dataset) {
  std::vector<std::int64_t> labels(static_cast<std::size_t>(dataset.size()));
  for (std::int64_t i = 0; i < dataset.size(); ++i) labels[i] = dataset.label(i);
  return labels;
}

std::shared_ptr<const data::Dataset> first(std::shared_ptr<const data::Dataset> dataset,
                                           std::int64_t limit) {
  if (limit <= 0 || limit >= dataset->size()) return dataset;
  std::vector<std::int64_t> indices(static_cast<std::size_t>(limit));
  for (std::int64_t i = 0; i < limit; ++i) indices[i] = i;
  return std::make_shared<data::Subset>(std::move(dataset), std::move(indices));
}

}  // namespace

HoldoutSplit stratified_holdout(const std::vector<std::int64_t>& labels, double fraction,
                                std::uint64_t seed) {
  MG_CHECK(fraction > 0 && fraction < 1, "stratified_holdout: fraction ", fraction,
           " is not in (0, 1)");
  std::map<std::int64_t, std::vector<std::int64_t>> by_class;
  for (std::size_t i = 0; i < labels.size(); ++i)
    by_class[labels[i]].push_back(static_cast<std::int64_t>(i));
  Generator generator(seed);
  HoldoutSplit split;
  for (auto& [label, indices] : by_class) {
    const auto n = static_cast<std::int64_t>(indices.size());
    const Tensor order = randperm(n, kInt64, &generator);
    const std::int64_t* o = order.data_ptr<std::int64_t>();
    // A class's last sample stays in training.
    const std::int64_t held =
        std::min(n - 1, static_cast<std::int64_t>(std::llround(fraction * static_cast<double>(n))));
    for (std::int64_t j = 0; j < n; ++j)
      (j < held ? split.val : split.train).push_back(indices[o[j]]);
  }
  std::sort(split.train.begin(), split.train.end());
  std::sort(split.val.begin(), split.val.end());
  return split;
}

RunData load_data(const TrainConfig& c) {
  const Family f = family(c);
  RunData run;
  run.input_names = f.input_names;
  std::shared_ptr<BenchmarkDataset> train = f.open("train", true);
  run.class_names = train->class_names();
  const std::shared_ptr<BenchmarkDataset> test = f.open("test", false);
  run.test = first(test, c.limit_eval);
  run.dropped = {{"train", static_cast<std::int64_t>(train->dropped().size())},
                 {"test", static_cast<std::int64_t>(test->dropped().size())}};
  const std::string root = root_of(c);
  if (!f.val_file.empty() && std::filesystem::exists(root + "/" + f.val_file)) {
    const std::shared_ptr<BenchmarkDataset> val = f.open(f.val_split, false);
    run.train = first(train, c.limit_train);
    run.val = first(val, c.limit_eval);
    run.val_origin = f.val_file;
    run.dropped.emplace_back(f.val_split, static_cast<std::int64_t>(val->dropped().size()));
    return run;
  }
  // No validation split: hold part of train out, read without augmentation.
  const HoldoutSplit split = stratified_holdout(labels_of(*train), c.holdout, c.seed);
  MG_CHECK(!split.val.empty() && !split.train.empty(), "mg-train: --holdout ", c.holdout, " of ",
           train->size(), " training samples leaves an empty split");
  run.train = first(std::make_shared<data::Subset>(train, split.train), c.limit_train);
  run.val = first(std::make_shared<data::Subset>(f.open("train", false), split.val), c.limit_eval);
  run.val_origin =
      str(std::llround(100 * c.holdout), "% of train, stratified by class (seed ", c.seed, ")");
  return run;
}

optim::Batch to_model_batch(const data::Batch& batch, const std::vector<std::string>& input_names,
                            Device device) {
  optim::Batch out;
  for (const std::string& name : input_names) {
    const auto it = batch.inputs.find(name);
    MG_CHECK(it != batch.inputs.end(), "mg-train: the batch has no input '", name, "'");
    out.inputs.push_back(to(it->second, device));
  }
  out.labels = to(batch.labels, device);
  return out;
}

}  // namespace mg::train
