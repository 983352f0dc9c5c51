#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "layers/fusion.h"
#include "layers/linear.h"
#include "layers/models/bert.h"
#include "layers/models/resnet.h"
#include "layers/module.h"
#include "layers/multimodal_classifier.h"

// The text-image classifier of the AMSS reference code (AMSS_IT, Sarcasm and Twitter-2015):
// BERT's pooled output → Linear(768, 256) for the text, a ResNet-50 whose fc is Linear(2048, 256)
// for the image, and a fusion head over the two 256-d features (concat: Linear(512, C), text block
// first; specs/amss.md §13). No activation sits between the projections and the head.
//
// The reference's module names (AMSS_IT/ITModel.py) could not be read, so ours say what the parts
// are: text_encoder.* (Hugging Face BertModel names), text_projection.*, image_encoder.*
// (torchvision names, fc = the 2048 → 256 projection) and fusion_module.*. Pretrained weights
// load into the parts, e.g.
//   load_pretrained(*model.text_encoder, "bert-base-uncased.safetensors",
//                   then(drop_prefixes({"cls.", "bert.embeddings.position_ids"}),
//                        then(strip_prefix("bert."), replace_substrings({{".gamma", ".weight"},
//                                                                        {".beta", ".bias"}}))));
//   load_pretrained(*model.image_encoder, "resnet50.safetensors", drop_prefixes({"fc."}), false);
namespace mg::nn {

struct TextImageClassifierOptions {
  std::int64_t num_classes = 2;  // Sarcasm; Twitter-2015 has 3
  BertConfig text;               // bert-base-uncased
  // The image ResNet: its depth (18, 34 or 50) and options; num_classes is the projection size.
  int image_depth = 50;
  ResNetOptions image{.in_channels = 3, .num_classes = 256};
  std::int64_t projection_dim = 256;
  FusionKind fusion = FusionKind::Concat;
};

class TextImageClassifier : public MultimodalClassifier {
 public:
  static constexpr std::int64_t kText = 0;
  static constexpr std::int64_t kImage = 1;

  explicit TextImageClassifier(TextImageClassifierOptions options = {});

  // input_ids, attention_mask (and token_type_ids) as BertModel takes them; image [B, 3, H, W].
  // Outputs in the order {text, image}.
  MultimodalOutput forward(const Tensor& input_ids, const Tensor& attention_mask,
                           const Tensor& image, const Tensor& token_type_ids = {});
  // Modality m's subnetwork with the model's dotted names: text = BERT and its projection,
  // image = the ResNet with its fc; plus the modality's head with late fusion.
  std::vector<NamedParameter> modality_parameters(std::int64_t m) const override;

  // MultimodalClassifier: inputs {input_ids, attention_mask, image}; the first two are the text.
  std::int64_t num_modalities() const override { return 2; }
  std::string modality_name(std::int64_t m) const override;
  std::int64_t num_inputs() const override { return 3; }
  std::int64_t input_modality(std::int64_t input) const override {
    return input < 2 ? kText : kImage;
  }
  MultimodalOutput forward(const std::vector<Tensor>& inputs) override;
  FusionHead& fusion_head() const override { return *fusion_module; }
  const TextImageClassifierOptions& options() const { return options_; }

  std::shared_ptr<BertModel> text_encoder;
  std::shared_ptr<Linear> text_projection;
  std::shared_ptr<ResNet> image_encoder;
  std::shared_ptr<FusionHead> fusion_module;

 private:
  TextImageClassifierOptions options_;
};

}  // namespace mg::nn
