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

// Opens split `split` of the config's data set; `augment` unset: the loader's own choice (on
// for "train" where the data set augments at all).
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

Family family(const TrainConfig& c) {
  const std::string root = root_of(c);
  MG_CHECK(std::filesystem::is_directory(root), "mg-train: data root '", root, "' is not a folder",
           c.dataset == "embedded" ? " (./run.sh demo builds the embedded data there)" : "");
  if (c.dataset == "embedded" || c.dataset == "cremad") {
    return {[c, root](const std::string& split, bool augment) {
              data::CremadOptions o;
              o.root = root;
              o.split = split;
              o.num_frames = c.frames > 0 ? c.frames : 1;
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
  if (c.dataset == "kinetics_sounds") {
    return {[c, root](const std::string& split, bool augment) {
              data::KineticsSoundsOptions o;
              o.root = root;
              o.split = split;
              if (c.frames > 0) o.num_frames = c.frames;
              o.image = image_options(c, o.image);
              o.augment = augment;
              o.seed = c.seed;
              return std::make_shared<data::KineticsSoundsDataset>(o);
            },
            // The loader's layouts have train and test only: validation is held out of train.
            "",
            "",
            {"audio", "visual"}};
  }
  if (c.dataset == "sarcasm" || c.dataset == "twitter2015") {
    MG_CHECK(!c.vocab.empty(), "mg-train: --dataset ", c.dataset,
             " needs --vocab (BERT's uncased vocab.txt)");
    const bool sarcasm = c.dataset == "sarcasm";
    return {[c, root, sarcasm](const std::string& split,
                               bool /*augment*/) -> std::shared_ptr<BenchmarkDataset> {
              if (sarcasm) {
                data::SarcasmOptions o;
                o.root = root;
                o.split = split;
                o.text.vocab_file = c.vocab;
                o.image = image_options(c, o.image);
                o.seed = c.seed;
                return std::make_shared<data::SarcasmDataset>(o);
              }
              data::Twitter2015Options o;
              o.root = root;
              o.split = split;
              o.text.vocab_file = c.vocab;
              o.image = image_options(c, o.image);
              o.seed = c.seed;
              return std::make_shared<data::Twitter2015Dataset>(o);
            },
            sarcasm ? "valid" : "dev",
            sarcasm ? "annotations/valid.tsv" : "annotations/dev.tsv",
            {"input_ids", "attention_mask", "image"}};
  }
  return {[c, root](const std::string& split, bool /*augment*/) {
            data::NvGestureOptions o;
            o.root = root;
            o.split = split;
            o.seed = c.seed;
            return std::make_shared<data::NvGestureDataset>(o);
          },
          "",
          "",
          {"rgb", "flow", "depth"}};
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
    const auto held = static_cast<std::int64_t>(std::llround(fraction * static_cast<double>(n)));
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
