#include "layers/models/text_image_classifier.h"

#include "core/error.h"

namespace mg::nn {

namespace {

std::shared_ptr<ResNet> make_resnet(int depth, const ResNetOptions& options) {
  switch (depth) {
    case 18:
      return resnet18(options);
    case 34:
      return resnet34(options);
    case 50:
      return resnet50(options);
  }
  throw Error(str("TextImageClassifier: image_depth must be 18, 34 or 50, got ", depth));
}

void add_prefixed(std::vector<NamedParameter>& out, std::vector<NamedParameter> parameters,
                  const std::string& prefix) {
  for (NamedParameter& parameter : parameters) {
    parameter.name = prefix + parameter.name;
    out.push_back(std::move(parameter));
  }
}

}  // namespace

TextImageClassifier::TextImageClassifier(TextImageClassifierOptions options)
    : MultimodalClassifier("TextImageClassifier"), options_(std::move(options)) {
  MG_CHECK(options_.text.add_pooling_layer,
           "TextImageClassifier: the text encoder needs its pooler (add_pooling_layer)");
  MG_CHECK(options_.image.num_classes == options_.projection_dim,
           "TextImageClassifier: the image ResNet's fc is the projection, so its num_classes (",
           options_.image.num_classes, ") must equal projection_dim (", options_.projection_dim,
           ")");
  text_encoder = register_module("text_encoder", std::make_shared<BertModel>(options_.text));
  text_projection =
      register_module("text_projection",
                      std::make_shared<Linear>(options_.text.hidden_size, options_.projection_dim));
  image_encoder =
      register_module("image_encoder", make_resnet(options_.image_depth, options_.image));
  fusion_module = register_module(
      "fusion_module",
      make_fusion({.kind = options_.fusion,
                   .feature_dims = {options_.projection_dim, options_.projection_dim},
                   .num_classes = options_.num_classes}));
}

MultimodalOutput TextImageClassifier::forward(const Tensor& input_ids, const Tensor& attention_mask,
                                              const Tensor& image, const Tensor& token_type_ids) {
  MG_CHECK(input_ids.defined() && image.defined() && input_ids.dim() == 2 && image.dim() == 4 &&
               input_ids.size(0) == image.size(0),
           "TextImageClassifier: expected input_ids [B, L] and image [B, 3, H, W] with one B, got ",
           describe(input_ids), " and ", describe(image));
  MultimodalOutput out;
  const Tensor pooled =
      text_encoder->forward(input_ids, attention_mask, token_type_ids).pooled_output;
  out.features = {text_projection->forward(pooled), image_encoder->forward(image)};
  FusionOutput fused = fusion_module->forward(out.features);
  out.logits = std::move(fused.logits);
  out.modality_logits = std::move(fused.modality_logits);
  return out;
}

std::string TextImageClassifier::modality_name(std::int64_t m) const {
  MG_CHECK(m == kText || m == kImage, "TextImageClassifier: modality ", m,
           " out of range (0 text, 1 image)");
  return m == kText ? "text" : "image";
}

MultimodalOutput TextImageClassifier::forward(const std::vector<Tensor>& inputs) {
  check_inputs(inputs);
  return forward(inputs[0], inputs[1], inputs[2]);
}

std::vector<NamedParameter> TextImageClassifier::modality_parameters(std::int64_t m) const {
  modality_name(m);  // range check
  std::vector<NamedParameter> out;
  if (m == kText) {
    add_prefixed(out, text_encoder->named_parameters(), "text_encoder.");
    add_prefixed(out, text_projection->named_parameters(), "text_projection.");
  } else {
    add_prefixed(out, image_encoder->named_parameters(), "image_encoder.");
  }
  add_prefixed(out, fusion_module->modality_parameters(m), "fusion_module.");
  return out;
}

}  // namespace mg::nn
