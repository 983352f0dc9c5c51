#include "layers/multimodal_classifier.h"

#include "layers/models/av_classifier.h"
#include "layers/models/text_image_classifier.h"
#include "test_util.h"

namespace mg::nn {
namespace {

std::shared_ptr<AVClassifier> small_av() {
  AVClassifierOptions options;
  options.trunk.width = 4;
  auto model = std::make_shared<AVClassifier>(options);
  model->eval();
  return model;
}

TEST(MultimodalClassifier, GenericForwardIsTheModelsForward) {
  auto model = small_av();
  const Tensor audio = randn({2, 1, 40, 24}), visual = randn({2, 3, 1, 32, 32});
  MultimodalClassifier& generic = *model;
  const MultimodalOutput a = generic.forward({audio, visual});
  const MultimodalOutput b = model->forward(audio, visual);
  EXPECT_EQ(a.logits.to_vector<float>(), b.logits.to_vector<float>());
  EXPECT_EQ(generic.modality_name(1), "visual");
  EXPECT_EQ(&generic.fusion_head(), model->fusion_module.get());
  EXPECT_MG_ERROR(generic.forward({audio}), "AVClassifier", "expected 2 input tensors");
}

TEST(MultimodalClassifier, ZeroAbsentZeroesEveryInputOfAModality) {
  TextImageClassifierOptions options;
  options.text = BertConfig{.vocab_size = 20,
                            .hidden_size = 8,
                            .num_hidden_layers = 1,
                            .num_attention_heads = 2,
                            .intermediate_size = 16,
                            .max_position_embeddings = 8};
  options.image_depth = 18;
  options.image.width = 4;
  options.image.num_classes = options.projection_dim = 4;
  TextImageClassifier model(options);
  const std::vector<Tensor> inputs = {randint(1, 20, {2, 5}), ones({2, 5}, kInt64),
                                      randn({2, 3, 16, 16})};
  const std::vector<Tensor> no_text = model.zero_absent(inputs, {false, true});
  EXPECT_EQ(sum(abs(no_text[0])).item<double>(), 0.0);
  EXPECT_EQ(sum(abs(no_text[1])).item<double>(), 0.0);
  EXPECT_TRUE(no_text[2].is_same(inputs[2]));
  EXPECT_EQ(model.input_modality(1), TextImageClassifier::kText);
  EXPECT_MG_ERROR(model.zero_absent(inputs, {true}), "one presence flag per modality (2)");
}

}  // namespace
}  // namespace mg::nn
