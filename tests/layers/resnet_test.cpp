#include <cmath>

#include "layers/fusion.h"
#include "layers/models/av_classifier.h"
#include "layers/models/resnet.h"
#include "test_util.h"

namespace mg::nn {
namespace {

std::vector<std::string> keys_of(const TensorList& list) {
  std::vector<std::string> keys;
  for (const auto& entry : list) keys.push_back(entry.first);
  return keys;
}

// Full-size models are built once: their initialisation draws ~10^7 random numbers each.
const std::shared_ptr<ResNet>& shared_resnet18() {
  static const auto net = resnet18();
  return net;
}
const std::shared_ptr<ResNet>& shared_resnet50() {
  static const auto net = resnet50();
  return net;
}

// Counts from torchvision 0.14: sum(p.numel() for p in resnetXX().parameters()),
// len(state_dict()) and len(list(parameters())).
TEST(ResNet, ParameterCountsMatchTorchvision) {
  const auto& r18 = shared_resnet18();
  EXPECT_EQ(r18->parameter_count(), 11689512);
  EXPECT_EQ(r18->state_dict().size(), 122u);
  EXPECT_EQ(r18->parameters().size(), 62u);
  auto r34 = resnet34();
  EXPECT_EQ(r34->parameter_count(), 21797672);
  EXPECT_EQ(r34->state_dict().size(), 218u);
  const auto& r50 = shared_resnet50();
  EXPECT_EQ(r50->parameter_count(), 25557032);
  EXPECT_EQ(r50->state_dict().size(), 320u);
  EXPECT_EQ(r50->parameters().size(), 161u);
  EXPECT_EQ(r50->feature_dim(), 2048);
}

TEST(ResNet, StateDictKeysInTorchvisionOrder) {
  const auto keys = keys_of(shared_resnet18()->state_dict());
  ASSERT_EQ(keys.size(), 122u);
  const std::vector<std::pair<std::size_t, std::string>> expected{
      {0, "conv1.weight"},
      {1, "bn1.weight"},
      {5, "bn1.num_batches_tracked"},
      {6, "layer1.0.conv1.weight"},
      {30, "layer2.0.conv1.weight"},
      {35, "layer2.0.bn1.num_batches_tracked"},
      {36, "layer2.0.conv2.weight"},
      {60, "layer3.0.conv1.weight"},
      {120, "fc.weight"},
      {121, "fc.bias"}};
  for (const auto& [index, key] : expected) EXPECT_EQ(keys[index], key) << "entry " << index;

  const auto keys50 = keys_of(shared_resnet50()->state_dict());
  EXPECT_EQ(keys50[18], "layer1.0.conv3.weight");
  EXPECT_EQ(keys50[24], "layer1.0.downsample.0.weight");
  EXPECT_EQ(keys50[25], "layer1.0.downsample.1.weight");
  EXPECT_EQ(shared_resnet50()->parameter("layer2.0.downsample.0.weight").shape(),
            (Shape{512, 256, 1, 1}));
}

TEST(ResNet, FeatureExtractorHasNoFcAndGivesTheLayer4Map) {
  auto net = resnet18({.in_channels = 1, .num_classes = 0, .width = 8});
  for (const auto& key : keys_of(net->state_dict()))
    EXPECT_EQ(key.rfind("fc.", 0), std::string::npos);
  EXPECT_EQ(net->parameter("conv1.weight").shape(), (Shape{8, 1, 7, 7}));
  EXPECT_EQ(net->feature_dim(), 64);
  net->eval();
  NoGradGuard no_grad;
  const Tensor x = randn({2, 1, 40, 24});
  EXPECT_EQ(net->forward_features(x).shape(), (Shape{2, 64, 2, 1}));
  EXPECT_EQ(net->forward(x).shape(), (Shape{2, 64}));
}

TEST(ResNet, GeluReplacesEveryActivation) {
  auto net = resnet18({.width = 4, .activation = Activation::GELU});
  int gelus = 0;
  for (const auto& [name, module] : net->named_modules()) {
    EXPECT_NE(module->type_name(), "ReLU") << name;
    gelus += module->type_name() == "GELU";
  }
  EXPECT_EQ(gelus, 1 + 8);  // the stem and one per BasicBlock
}

TEST(ResNet, ConvWeightsHaveOutputChannelUnits) {
  const auto& net = shared_resnet18();
  for (const auto& p : net->named_parameters()) {
    const bool conv = p.tensor.dim() == 4;
    EXPECT_EQ(p.units, conv ? MaskUnits::output_channel() : MaskUnits::element()) << p.name;
  }
  EXPECT_EQ(net->mask_units("layer2.0.downsample.0.weight"), MaskUnits::output_channel());
}

TEST(ResNet, TorchvisionInitialisation) {
  const auto& net = shared_resnet18();
  NoGradGuard no_grad;
  // kaiming_normal_(fan_out, relu): std = √(2 / (64·3·3)) for layer1's 3×3 convs.
  const Tensor w = net->parameter("layer1.0.conv1.weight");
  EXPECT_NEAR(::mg::std(w).item<double>(), std::sqrt(2.0 / 576), 0.03 * std::sqrt(2.0 / 576));
  EXPECT_NEAR(mean(w).item<double>(), 0.0, 0.002);
  testing::expect_values(net->parameter("bn1.weight"), std::vector<double>(64, 1.0), {64});
  testing::expect_values(net->parameter("bn1.bias"), std::vector<double>(64, 0.0), {64});
  // fc keeps nn.Linear's U(-1/√512, 1/√512).
  const double bound = 1 / std::sqrt(512.0);
  EXPECT_LE(max(abs(net->parameter("fc.bias"))).item<double>(), bound);

  auto ogm = resnet18({.num_classes = 0, .width = 16, .bn_init = BatchNormInit::Normal});
  const Tensor gamma = ogm->parameter("layer4.1.bn2.weight");  // 128 entries
  EXPECT_NEAR(mean(gamma).item<double>(), 1.0, 0.01);
  EXPECT_NEAR(::mg::std(gamma).item<double>(), 0.02, 0.006);
}

TEST(ResNet, RejectsBadInputAndOptions) {
  auto net = resnet18({.in_channels = 1, .width = 4});
  EXPECT_MG_ERROR(net->forward(zeros({2, 3, 32, 32})), "ResNet", "[B, 1, H, W]",
                  "float32[2, 3, 32, 32]");
  EXPECT_MG_ERROR(net->forward(zeros({3, 32, 32})), "ResNet", "float32[3, 32, 32]");
  EXPECT_MG_ERROR(ResNet(BlockKind::Basic, {2, 2, 2}), "ResNet", "4 stage depths");
  EXPECT_MG_ERROR(resnet18({.width = 0}), "ResNet", "width");
}

Tensor features(const Shape& shape, std::uint64_t seed) {
  Generator generator(seed);
  return randn(shape, kFloat32, &generator);
}

TEST(Fusion, ConcatSliceLogitsSumToTheFusedLogits) {
  ConcatFusion head({6, 5, 3}, 4);
  NoGradGuard no_grad;
  const FusionOutput out =
      head.forward({features({3, 6}, 1), features({3, 5}, 2), features({3, 3}, 3)});
  ASSERT_EQ(out.modality_logits.size(), 3u);
  Tensor total = add(add(out.modality_logits[0], out.modality_logits[1]), out.modality_logits[2]);
  EXPECT_LE(max(abs(sub(total, out.logits))).item<double>(), 1e-5);
  EXPECT_EQ(out.logits.shape(), (Shape{3, 4}));
  EXPECT_EQ(keys_of(head.state_dict()), (std::vector<std::string>{"fc_out.weight", "fc_out.bias"}));
}

TEST(Fusion, SumAndLateCombineTheirHeads) {
  NoGradGuard no_grad;
  const std::vector<Tensor> f{features({2, 4}, 1), features({2, 3}, 2)};
  SumFusion sum_head({4, 3}, 5);
  FusionOutput out = sum_head.forward(f);
  EXPECT_LE(
      max(abs(sub(add(out.modality_logits[0], out.modality_logits[1]), out.logits))).item<double>(),
      1e-6);
  LateFusion late({4, 3}, 5);
  out = late.forward(f);
  EXPECT_LE(max(abs(sub(mul(add(out.modality_logits[0], out.modality_logits[1]), 0.5), out.logits)))
                .item<double>(),
            1e-6);
  EXPECT_EQ(keys_of(late.state_dict()),
            (std::vector<std::string>{"heads.0.weight", "heads.0.bias", "heads.1.weight",
                                      "heads.1.bias"}));
}

TEST(Fusion, OnlyLateFusionHeadsBelongToAModality) {
  LateFusion late({4, 3}, 5);
  const auto owned = late.modality_parameters(1);
  ASSERT_EQ(owned.size(), 2u);
  EXPECT_EQ(owned[0].name, "heads.1.weight");
  EXPECT_TRUE(owned[0].tensor.is_same(late.heads->submodule("1")->parameter("weight")));
  for (FusionKind kind :
       {FusionKind::Sum, FusionKind::Concat, FusionKind::FiLM, FusionKind::Gated}) {
    auto head = make_fusion({.kind = kind, .feature_dims = {4, 4}, .num_classes = 3});
    EXPECT_TRUE(head->modality_parameters(0).empty()) << to_string(kind);
    EXPECT_TRUE(head->modality_parameters(1).empty()) << to_string(kind);
  }
  EXPECT_MG_ERROR(late.modality_parameters(2), "LateFusion", "modality 2", "2 modalities");
}

TEST(Fusion, ZeroFeaturePassesForNonLinearHeads) {
  NoGradGuard no_grad;
  FiLM film(4, 3);
  const Tensor x = features({2, 4}, 1);
  const Tensor y = features({2, 4}, 2);
  const FusionOutput out = film.forward({x, y});
  const FusionOutput only_x = film.forward({x, zeros({2, 4})});
  EXPECT_LE(max(abs(sub(out.modality_logits[0], only_x.logits))).item<double>(), 0.0);
  EXPECT_EQ(keys_of(film.state_dict()),
            (std::vector<std::string>{"fc.weight", "fc.bias", "fc_out.weight", "fc_out.bias"}));
  GatedFusion gated(4, 3, true, 6);
  EXPECT_EQ(gated.parameter("fc_x.weight").shape(), (Shape{6, 4}));
  const FusionOutput gated_out = gated.forward({x, y});
  const FusionOutput only_y = gated.forward({zeros({2, 4}), y});
  EXPECT_LE(max(abs(sub(gated_out.modality_logits[1], only_y.logits))).item<double>(), 0.0);
}

TEST(Fusion, RejectsWrongModalityCountsAndSizes) {
  ConcatFusion head({4, 3}, 2);
  EXPECT_MG_ERROR(head.forward({zeros({2, 4})}), "ConcatFusion", "expected 2", "got 1");
  EXPECT_MG_ERROR(head.forward({zeros({2, 4}), zeros({2, 5})}), "ConcatFusion", "modality 1",
                  "[B, 3]", "float32[2, 5]");
  EXPECT_MG_ERROR(head.forward({zeros({2, 4}), zeros({3, 3})}), "ConcatFusion", "B = 2",
                  "float32[3, 3]");
  EXPECT_MG_ERROR(head.forward({zeros({4}), zeros({2, 3})}), "ConcatFusion", "float32[4]");
  EXPECT_MG_ERROR(
      make_fusion({.kind = FusionKind::FiLM, .feature_dims = {4, 4, 4}, .num_classes = 2}), "film",
      "2 modalities");
  EXPECT_MG_ERROR(
      make_fusion({.kind = FusionKind::Gated, .feature_dims = {4, 3}, .num_classes = 2}), "gated",
      "equal feature size");
  EXPECT_MG_ERROR(parse_fusion_kind("mean"), "unknown kind", "mean");
  EXPECT_MG_ERROR(SumFusion({}, 2), "SumFusion", "at least one modality");
}

TEST(AVClassifier, NamesShapesAndModalityParameters) {
  AVClassifier model({.num_classes = 3,
                      .fusion = FusionKind::Late,
                      .trunk = {.width = 4, .bn_init = BatchNormInit::Normal}});
  const auto keys = keys_of(model.state_dict());
  EXPECT_EQ(keys.front(), "fusion_module.heads.0.weight");
  EXPECT_EQ(model.parameter("audio_net.conv1.weight").shape(), (Shape{4, 1, 7, 7}));
  EXPECT_EQ(model.parameter("visual_net.conv1.weight").shape(), (Shape{4, 3, 7, 7}));
  EXPECT_FALSE(model.audio_net->fc);

  const auto audio = model.modality_parameters(AVClassifier::kAudio);
  EXPECT_EQ(audio.size(), model.audio_net->parameters().size() + 2);
  EXPECT_EQ(audio.front().name, "audio_net.conv1.weight");
  EXPECT_EQ(audio.back().name, "fusion_module.heads.0.bias");
  EXPECT_EQ(audio.front().units, MaskUnits::output_channel());
  EXPECT_EQ(model.modality_parameters(AVClassifier::kVisual).back().name,
            "fusion_module.heads.1.bias");

  model.eval();
  NoGradGuard no_grad;
  const MultimodalOutput out = model.forward(randn({2, 1, 40, 24}), randn({2, 3, 2, 32, 32}));
  EXPECT_EQ(out.logits.shape(), (Shape{2, 3}));
  ASSERT_EQ(out.features.size(), 2u);
  EXPECT_EQ(out.features[1].shape(), (Shape{2, 32}));
  EXPECT_EQ(out.modality_logits[0].shape(), (Shape{2, 3}));

  AVClassifier concat({.num_classes = 3, .trunk = {.width = 4}});
  EXPECT_EQ(concat.modality_parameters(AVClassifier::kVisual).size(),
            concat.visual_net->parameters().size());
  EXPECT_MG_ERROR(concat.forward(randn({2, 1, 40, 24}), randn({2, 1, 2, 32, 32})), "AVClassifier",
                  "[B, 3, T, H, W]", "float32[2, 1, 2, 32, 32]");
  EXPECT_MG_ERROR(concat.forward(randn({2, 40, 24}), randn({2, 3, 2, 32, 32})), "AVClassifier",
                  "audio [B, 1, F, T]");
  EXPECT_MG_ERROR(concat.modality_parameters(2), "AVClassifier", "modality 2");
}

}  // namespace
}  // namespace mg::nn
