#include <algorithm>
#include <cmath>
#include <map>
#include <string>
#include <vector>

#include "layers/models/nvgesture_classifier.h"
#include "layers/models/text_image_classifier.h"
#include "optim/adam.h"
#include "optim/amss.h"
#include "optim/sgd.h"
#include "test_util.h"

// AMSS through train_step on the text-image (BERT + ResNet) and NVGesture (3 × I3D) models:
// which units of which weights change after one step (specs/amss.md §8.2, §11, §17.1, §17.3).
namespace mg::optim {
namespace {

std::vector<float> values(const Tensor& t) {
  return clone(t).to_vector<float>();
}

bool starts_with(const std::string& s, const std::string& prefix) {
  return s.rfind(prefix, 0) == 0;
}
bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// Per output channel (leading dimension): did any entry change?
std::vector<bool> changed_rows(const std::vector<float>& before, const std::vector<float>& after,
                               std::int64_t rows) {
  const std::size_t per = before.size() / static_cast<std::size_t>(rows);
  std::vector<bool> out(static_cast<std::size_t>(rows), false);
  for (std::size_t i = 0; i < before.size(); ++i)
    if (before[i] != after[i]) out[i / per] = true;
  return out;
}

// Per head of an attention weight [out, in]: row blocks (Q, K, V) or column blocks (output dense).
std::vector<bool> changed_heads(const std::vector<float>& before, const std::vector<float>& after,
                                const Shape& shape, std::int64_t heads, bool columns) {
  const std::int64_t rows = shape[0], cols = shape[1];
  std::vector<bool> out(static_cast<std::size_t>(heads), false);
  for (std::int64_t r = 0; r < rows; ++r)
    for (std::int64_t c = 0; c < cols; ++c) {
      const std::size_t i = static_cast<std::size_t>(r * cols + c);
      if (before[i] != after[i]) out[(columns ? c / (cols / heads) : r / (rows / heads))] = true;
    }
  return out;
}

std::int64_t count(const std::vector<bool>& v) {
  return std::count(v.begin(), v.end(), true);
}

std::int64_t ceil_k(double rho, std::int64_t n) {
  return static_cast<std::int64_t>(std::ceil(rho * static_cast<double>(n)));
}

// ---------------------------------------------------------------------------------------------
// Text-image

constexpr std::int64_t kHeads = 2;

std::shared_ptr<nn::TextImageClassifier> tiny_text_image() {
  nn::TextImageClassifierOptions options;
  options.num_classes = 3;
  options.text = nn::BertConfig{.vocab_size = 30,
                                .hidden_size = 8,
                                .num_hidden_layers = 1,
                                .num_attention_heads = kHeads,
                                .intermediate_size = 16,
                                .max_position_embeddings = 8};
  options.image_depth = 18;
  options.image.width = 4;
  options.image.num_classes = 4;
  options.image.activation = nn::Activation::GELU;  // no dead channels (zero-gradient units)
  options.projection_dim = 4;
  return std::make_shared<nn::TextImageClassifier>(options);
}

Batch text_image_batch() {
  Generator generator(21);
  return {{randint(1, 30, {4, 6}, kInt64, &generator), ones({4, 6}, kInt64),
           randn({4, 3, 32, 32}, {}, &generator)},
          from_vector<std::int64_t>({0, 1, 2, 1}, {4})};
}

const std::vector<std::string> kAttention = {
    "attention.self.query.weight", "attention.self.key.weight", "attention.self.value.weight",
    "attention.output.dense.weight"};

bool is_attention(const std::string& name) {
  for (const std::string& suffix : kAttention)
    if (ends_with(name, suffix)) return true;
  return false;
}

using Snapshot = std::map<std::string, std::vector<float>>;
Snapshot snapshot(nn::Module& model) {
  Snapshot out;
  for (const nn::NamedParameter& p : model.named_parameters()) out[p.name] = values(p.tensor);
  return out;
}

TEST(AmssModels, TextImagePaperModeMasksHeadsJointlyAndChannels) {
  auto model = tiny_text_image();
  // Weight decay makes every kept unit move even where its gradient happens to be zero.
  Adam adam(model->named_parameters(), AdamOptions{.lr = 1e-2, .weight_decay = 1e-2});
  Amss amss;  // paper mode: strict masking, head_joint, supplement scope
  Generator generator(13);
  const Snapshot before = snapshot(*model);
  const StepResult result = train_step(*model, adam, amss, text_image_batch(), 0, 0, generator);
  EXPECT_EQ(adam.mask_mode(), MaskMode::Strict);
  ASSERT_EQ(amss.ratios().size(), 2u);
  const double rho_text = amss.ratios()[0], rho_image = amss.ratios()[1];
  std::map<std::string, double> logged;
  for (const auto& [key, value] : result.log) logged[key] = value;

  // One head sample per attention block: Q, K, V rows and O columns of the same heads change.
  std::vector<bool> joint;
  std::size_t attention = 0;
  for (const std::string& suffix : kAttention) {
    const std::string name = "text_encoder.encoder.layer.0." + suffix;
    const Tensor p = model->parameter(name);
    const std::vector<bool> heads =
        changed_heads(before.at(name), values(p), p.shape(), kHeads, suffix == kAttention.back());
    EXPECT_EQ(count(heads), ceil_k(rho_text, kHeads)) << name;
    EXPECT_EQ(logged.at("k." + name), count(heads)) << name;  // each weight logs its own units
    EXPECT_EQ(logged.at("n." + name), kHeads) << name;
    if (joint.empty()) joint = heads;
    EXPECT_EQ(heads, joint) << name << ": head_joint samples once per block";
    ++attention;
  }
  EXPECT_EQ(attention, 4u);

  // Every conv weight of the image ResNet keeps ceil(ρ·O) output channels (supplement scope:
  // stem and downsample included).
  std::size_t convs = 0;
  for (const nn::NamedParameter& p : model->named_parameters()) {
    if (!starts_with(p.name, "image_encoder.") || p.tensor.dim() != 4) continue;
    const std::int64_t channels = p.tensor.shape()[0];
    const auto changed = changed_rows(before.at(p.name), values(p.tensor), channels);
    EXPECT_EQ(count(changed), ceil_k(rho_image, channels)) << p.name;
    ++convs;
  }
  EXPECT_GE(convs, 20u);  // stem + 16 stage convs + 3 downsamples
  // Outside the unit types (embeddings, feed-forward, projection) everything moves.
  for (const char* name :
       {"text_encoder.embeddings.word_embeddings.weight",
        "text_encoder.encoder.layer.0.intermediate.dense.weight", "text_projection.weight"})
    EXPECT_NE(before.at(name), values(model->parameter(name))) << name;
}

TEST(AmssModels, TextImageReferenceModeSamplesEachAttentionMatrix) {
  auto model = tiny_text_image();
  // No weight decay: with gradient masking a masked unit of a fresh Adam then stays put.
  Adam adam(model->named_parameters(), AdamOptions{.lr = 1e-2});
  Amss amss(AmssOptions{.mode = AmssMode::Reference});
  Generator generator(17);
  const Snapshot before = snapshot(*model);
  train_step(*model, adam, amss, text_image_batch(), 0, 0, generator);
  EXPECT_EQ(adam.mask_mode(), MaskMode::Grad);
  const double rho_text = amss.ratios()[0];
  // The plan holds Q, K, V and the output dense as four separate targets (head_per_matrix).
  std::size_t per_matrix = 0;
  for (const Amss::Target& target : amss.plan(*model)) {
    EXPECT_NE(target.kind, Amss::Target::Kind::HeadJoint);
    if (target.names.size() == 1 && is_attention(target.names[0])) ++per_matrix;
  }
  EXPECT_EQ(per_matrix, 4u);
  for (const std::string& suffix : kAttention) {
    const std::string name = "text_encoder.encoder.layer.0." + suffix;
    const Tensor p = model->parameter(name);
    const std::vector<bool> heads =
        changed_heads(before.at(name), values(p), p.shape(), kHeads, suffix == kAttention.back());
    EXPECT_EQ(count(heads), ceil_k(rho_text, kHeads)) << name;
  }
}

// ---------------------------------------------------------------------------------------------
// NVGesture

TEST(AmssModels, NVGestureLogsThreeRatiosAndKeepsCeilRhoOChannels) {
  nn::NVGestureClassifierOptions options;
  options.num_classes = 4;
  options.width_divisor = 32;
  options.feature_pool_kernel = {2, 1, 1};
  auto model = std::make_shared<nn::NVGestureClassifier>(options);
  SGD sgd(model->named_parameters(), SGDOptions{.lr = 0.1, .momentum = 0.9, .weight_decay = 1e-2});
  Amss amss;  // paper mode; the three-modality significance is picked from the model
  Generator generator(29);
  Batch batch{{randn({2, 3, 16, 9, 10}, {}, &generator), randn({2, 2, 16, 9, 10}, {}, &generator),
               randn({2, 1, 16, 9, 10}, {}, &generator)},
              from_vector<std::int64_t>({1, 3}, {2})};
  const Snapshot before = snapshot(*model);
  const StepResult result = train_step(*model, sgd, amss, batch, 0, 0, generator);
  EXPECT_EQ(sgd.mask_mode(), MaskMode::Strict);
  ASSERT_EQ(amss.ratios().size(), 3u);
  std::map<std::string, double> logged;
  for (const auto& [key, value] : result.log) logged[key] = value;
  const char* names[] = {"rgb", "flow", "depth"};
  for (int m = 0; m < 3; ++m) {
    const std::string key = std::string("rho.") + names[m];
    ASSERT_TRUE(logged.count(key)) << key;
    EXPECT_EQ(logged[key], amss.ratios()[m]);
    EXPECT_GE(amss.ratios()[m], 0.1);
    EXPECT_LE(amss.ratios()[m], 0.9);
  }
  const char* prefixes[] = {"rgb_encoder.", "of_encoder.", "depth_encoder."};
  std::size_t convs = 0;
  for (const nn::NamedParameter& p : model->named_parameters()) {
    if (!ends_with(p.name, "conv3d.weight")) continue;
    int m = -1;
    for (int i = 0; i < 3; ++i)
      if (starts_with(p.name, prefixes[i])) m = i;
    ASSERT_GE(m, 0) << p.name;
    const std::int64_t channels = p.tensor.shape()[0];
    const auto changed = changed_rows(before.at(p.name), values(p.tensor), channels);
    EXPECT_EQ(count(changed), ceil_k(amss.ratios()[m], channels)) << p.name;
    ++convs;
  }
  EXPECT_GT(convs, 100u);  // 3 encoders × (3 stem convs + 9 Inception blocks × 6)
}

}  // namespace
}  // namespace mg::optim
