#include "layers/models/text_image_classifier.h"

#include "test_util.h"

namespace mg::nn {
namespace {

TextImageClassifierOptions small(FusionKind fusion = FusionKind::Concat) {
  TextImageClassifierOptions options;
  options.num_classes = 3;
  options.text = BertConfig{.vocab_size = 50,
                            .hidden_size = 16,
                            .num_hidden_layers = 1,
                            .num_attention_heads = 2,
                            .intermediate_size = 32,
                            .max_position_embeddings = 8};
  options.image_depth = 18;
  options.image.width = 4;
  options.projection_dim = 6;
  options.image.num_classes = 6;
  options.fusion = fusion;
  return options;
}

TEST(TextImageClassifier, ReferenceSizesAndNames) {
  // bert-base (109,482,240) + Linear(768, 256) + ResNet-50 with fc 2048 → 256 + Linear(512, 2).
  const TextImageClassifierOptions options;
  EXPECT_EQ(options.text.parameter_count(), 109482240);
  TextImageClassifier model(small());
  EXPECT_EQ(model.parameter("fusion_module.fc_out.weight").shape(), (Shape{3, 12}));
  EXPECT_EQ(model.parameter("text_projection.weight").shape(), (Shape{6, 16}));
  EXPECT_EQ(model.parameter("image_encoder.fc.weight").shape(), (Shape{6, 32}));
  EXPECT_EQ(model.mask_units("text_encoder.encoder.layer.0.attention.self.query.weight"),
            MaskUnits::row_blocks(2));
}

TEST(TextImageClassifier, ModalitiesOwnTheirEncodersAndProjections) {
  TextImageClassifier model(small());
  std::int64_t total = 0;
  for (std::int64_t m : {TextImageClassifier::kText, TextImageClassifier::kImage}) {
    for (const auto& parameter : model.modality_parameters(m)) {
      EXPECT_TRUE(model.parameter(parameter.name).is_same(parameter.tensor)) << parameter.name;
      EXPECT_EQ(parameter.name.rfind("fusion_module.", 0), std::string::npos) << parameter.name;
      total += parameter.tensor.numel();
    }
  }
  // Everything but the shared concat head belongs to one modality.
  EXPECT_EQ(total, model.parameter_count() - 3 * 12 - 3);

  TextImageClassifier late(small(FusionKind::Late));
  EXPECT_EQ(late.modality_parameters(TextImageClassifier::kImage).back().name,
            "fusion_module.heads.1.bias");
}

TEST(TextImageClassifier, ForwardShapesAndSliceLogits) {
  TextImageClassifier model(small());
  model.eval();
  const Tensor ids = randint(1, 50, {2, 5});
  const MultimodalOutput out = model.forward(ids, ones({2, 5}, kInt64), randn({2, 3, 32, 32}));
  EXPECT_EQ(out.logits.shape(), (Shape{2, 3}));
  EXPECT_EQ(out.features[0].shape(), (Shape{2, 6}));
  EXPECT_EQ(out.features[1].shape(), (Shape{2, 6}));
  const Tensor total = add(out.modality_logits[0], out.modality_logits[1]);
  EXPECT_LE(max(abs(sub(total, out.logits))).item<double>(), 1e-5);
}

TEST(TextImageClassifier, Errors) {
  TextImageClassifierOptions options = small();
  options.image.num_classes = 7;
  EXPECT_MG_ERROR(TextImageClassifier{options}, "projection_dim");
  options = small();
  options.image_depth = 101;
  EXPECT_MG_ERROR(TextImageClassifier{options}, "image_depth", "101");
  TextImageClassifier model(small());
  EXPECT_MG_ERROR(model.forward(randint(1, 50, {2, 5}), {}, randn({3, 3, 32, 32})),
                  "TextImageClassifier", "int64[2, 5]", "float32[3, 3, 32, 32]");
  EXPECT_MG_ERROR(model.modality_parameters(2), "modality 2");
}

}  // namespace
}  // namespace mg::nn
