#include "layers/fusion.h"
#include "layers/models/av_classifier.h"
#include "layers/models/resnet.h"
#include "parity_util.h"

// Against tools/reference/resnet.py: reduced torchvision ResNets (width 4, one block per stage),
// the fusion heads on small features, and a reduced OGM-GE audio-visual classifier.
namespace mg::nn {
namespace {

using testing::expect_parity;
using testing::Fixture;

std::shared_ptr<ResNet> resnet_from(const Fixture& fixture) {
  const Json config = fixture.config();
  std::vector<std::int64_t> layers;
  for (const Json& depth : config.at("layers").as_array()) layers.push_back(depth.as_int());
  const ResNetOptions options{.in_channels = config.at("in_channels").as_int(),
                              .num_classes = config.at("num_classes").as_int(),
                              .width = config.at("width").as_int(),
                              .activation = config.at("activation").as_string() == "gelu"
                                                ? Activation::GELU
                                                : Activation::ReLU};
  const BlockKind block =
      config.at("block").as_string() == "basic" ? BlockKind::Basic : BlockKind::Bottleneck;
  return std::make_shared<ResNet>(block, layers, options);
}

void expect_resnet_parity(const std::string& name) {
  const Fixture fixture(name);
  auto model = resnet_from(fixture);
  expect_parity(*model, fixture, [&](const std::vector<Tensor>& inputs) {
    return std::vector<Tensor>{model->forward(inputs.at(0))};
  });
}

TEST(ParityResNet, BasicTrainReluThreeChannels) {
  expect_resnet_parity("resnet_basic_train_relu_c3");
}
TEST(ParityResNet, BasicEvalGeluOneChannel) {
  expect_resnet_parity("resnet_basic_eval_gelu_c1");
}
TEST(ParityResNet, BasicTrainGeluFeatureExtractor) {
  expect_resnet_parity("resnet_basic_train_gelu_c1_nofc");
}
TEST(ParityResNet, BottleneckTrainRelu) {
  expect_resnet_parity("resnet_bottleneck_train_relu_c3");
}
TEST(ParityResNet, BottleneckEvalReluOneChannel) {
  expect_resnet_parity("resnet_bottleneck_eval_relu_c1");
}
TEST(ParityResNet, BottleneckEvalGelu) {
  expect_resnet_parity("resnet_bottleneck_eval_gelu_c3");
}

void expect_fusion_parity(const std::string& name) {
  const Fixture fixture(name);
  const Json config = fixture.config();
  FusionOptions options;
  options.kind = parse_fusion_kind(config.at("kind").as_string());
  options.num_classes = config.at("classes").as_int();
  for (const Json& d : config.at("dims").as_array()) options.feature_dims.push_back(d.as_int());
  if (const Json* x_film = config.find("x_film")) options.x_film = x_film->as_bool();
  if (const Json* x_gate = config.find("x_gate")) options.x_gate = x_gate->as_bool();
  if (const Json* hidden = config.find("hidden")) options.hidden_dim = hidden->as_int();
  auto head = make_fusion(options);
  expect_parity(*head, fixture, [&](const std::vector<Tensor>& inputs) {
    FusionOutput out = head->forward(inputs);
    std::vector<Tensor> all{out.logits};
    all.insert(all.end(), out.modality_logits.begin(), out.modality_logits.end());
    return all;
  });
}

TEST(ParityFusion, Sum) {
  expect_fusion_parity("fusion_sum");
}
TEST(ParityFusion, Concat) {
  expect_fusion_parity("fusion_concat");
}
TEST(ParityFusion, FiLMConditionedOnX) {
  expect_fusion_parity("fusion_film_x");
}
TEST(ParityFusion, FiLMConditionedOnY) {
  expect_fusion_parity("fusion_film_y");
}
TEST(ParityFusion, GatedByX) {
  expect_fusion_parity("fusion_gated_x");
}
TEST(ParityFusion, GatedByY) {
  expect_fusion_parity("fusion_gated_y");
}
TEST(ParityFusion, Late) {
  expect_fusion_parity("fusion_late");
}

TEST(ParityAVClassifier, ConcatTrainMode) {
  const Fixture fixture("av_classifier_concat");
  const Json config = fixture.config();
  AVClassifierOptions options;
  options.num_classes = config.at("classes").as_int();
  options.fusion = parse_fusion_kind(config.at("fusion").as_string());
  options.trunk.width = config.at("width").as_int();
  AVClassifier model(options);
  expect_parity(model, fixture, [&](const std::vector<Tensor>& inputs) {
    MultimodalOutput out = model.forward(inputs.at(0), inputs.at(1));
    return std::vector<Tensor>{out.logits, out.modality_logits[0], out.modality_logits[1],
                               out.features[0], out.features[1]};
  });
}

}  // namespace
}  // namespace mg::nn
