#include "layers/models/text_image_classifier.h"
#include "parity_util.h"

namespace mg::nn {
namespace {

using testing::Fixture;

TEST(ParityTextImage, ReducedClassifier) {
  const Fixture fixture("text_image_classifier");
  const Json config = fixture.config();
  TextImageClassifierOptions options;
  options.num_classes = config.at("classes").as_int();
  options.text =
      BertConfig{.vocab_size = config.at("vocab_size").as_int(),
                 .hidden_size = config.at("hidden_size").as_int(),
                 .num_hidden_layers = config.at("num_hidden_layers").as_int(),
                 .num_attention_heads = config.at("num_attention_heads").as_int(),
                 .intermediate_size = config.at("intermediate_size").as_int(),
                 .max_position_embeddings = config.at("max_position_embeddings").as_int()};
  options.projection_dim = config.at("projection").as_int();
  options.image.width = config.at("width").as_int();
  options.image.num_classes = options.projection_dim;
  TextImageClassifier model(options);
  // The key bias's gradient is exactly 0; the reference froze it (tools/reference/attention.py).
  for (const auto& layer : model.text_encoder->encoder->layer)
    layer->attention->self->key->bias.requires_grad_(false);
  testing::expect_parity(model, fixture, [&](const std::vector<Tensor>& in) {
    const MultimodalOutput out = model.forward(in[0], in[1], in[2]);
    return std::vector<Tensor>{out.logits, out.modality_logits[0], out.modality_logits[1],
                               out.features[0], out.features[1]};
  });
}

}  // namespace
}  // namespace mg::nn
