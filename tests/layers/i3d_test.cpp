#include "layers/models/i3d.h"

#include <limits>

#include "layers/models/nvgesture_classifier.h"
#include "test_util.h"

namespace mg::nn {
namespace {

Tensor clip(const Shape& shape, std::uint64_t seed = 0) {
  Generator generator(seed);
  return randn(shape, kFloat32, &generator);
}

InceptionI3dOptions small(std::int64_t in_channels = 3) {
  InceptionI3dOptions options;
  options.in_channels = in_channels;
  options.num_classes = 5;
  options.width_divisor = 16;
  options.avg_pool_kernel = {2, 1, 1};
  return options;
}

std::vector<std::string> keys_of(const Module& module) {
  std::vector<std::string> keys;
  for (const auto& entry : module.state_dict()) keys.push_back(entry.first);
  return keys;
}

bool has_key(const std::vector<std::string>& keys, const std::string& key) {
  return std::find(keys.begin(), keys.end(), key) != keys.end();
}

// Counts from tools/reference/i3d.py's mirror of pytorch-i3d:
// sum(p.numel() for p in InceptionI3d(400, in_channels=c).parameters()).
TEST(I3d, FullWidthParameterCountsEqualPytorchI3d) {
  InceptionI3d rgb;
  EXPECT_EQ(rgb.parameter_count(), 12697264);
  EXPECT_EQ(rgb.feature_dim(), 1024);
  InceptionI3dOptions flow_options;
  flow_options.in_channels = 2;
  EXPECT_EQ(InceptionI3d(flow_options).parameter_count(), 12675312);
  const auto keys = keys_of(rgb);
  EXPECT_EQ(keys.size(), 344u);
  // pytorch-i3d registers the head before the end points.
  EXPECT_EQ(keys[0], "logits.conv3d.weight");
  EXPECT_EQ(keys[1], "logits.conv3d.bias");
  EXPECT_EQ(keys[2], "Conv3d_1a_7x7.conv3d.weight");
  EXPECT_EQ(keys[7], "Conv3d_1a_7x7.bn.num_batches_tracked");
  EXPECT_EQ(keys.back(), "Mixed_5c.b3b.bn.num_batches_tracked");
  EXPECT_EQ(rgb.parameter("Conv3d_1a_7x7.conv3d.weight").shape(), (Shape{64, 3, 7, 7, 7}));
  EXPECT_EQ(rgb.parameter("Mixed_3b.b1b.conv3d.weight").shape(), (Shape{128, 96, 3, 3, 3}));
  EXPECT_EQ(rgb.parameter("Mixed_4f.b2b.bn.weight").shape(), (Shape{128}));
  EXPECT_EQ(rgb.buffer("Mixed_5c.b3b.bn.running_mean").shape(), (Shape{128}));
  EXPECT_EQ(rgb.parameter("logits.conv3d.weight").shape(), (Shape{400, 1024, 1, 1, 1}));
  EXPECT_EQ(rgb.parameter("logits.conv3d.bias").shape(), (Shape{400}));
  EXPECT_FALSE(has_key(keys, "Mixed_3b.b0.conv3d.bias"));  // convolutions before bn: no bias
  EXPECT_FALSE(has_key(keys, "Mixed_3b.b3a.weight"));
  int conv_weights = 0;
  for (const auto& parameter : rgb.named_parameters()) {
    if (parameter.name.size() > 13 &&
        parameter.name.compare(parameter.name.size() - 13, 13, "conv3d.weight") == 0) {
      ++conv_weights;
      EXPECT_EQ(parameter.units, MaskUnits::output_channel()) << parameter.name;
    }
  }
  EXPECT_EQ(conv_weights, 58);
}

TEST(I3d, BatchNormSettingsArePytorchI3ds) {
  Unit3D unit(Unit3DOptions{2, 4, {3, 3, 3}});
  ASSERT_NE(unit.bn, nullptr);
  EXPECT_DOUBLE_EQ(unit.bn->options().eps, 0.001);
  EXPECT_DOUBLE_EQ(unit.bn->options().momentum, 0.01);
  EXPECT_FALSE(unit.conv3d->bias.defined());
}

TEST(I3d, SamePaddingPutsTheOddCellAtTheBack) {
  SamePadding p = same_padding({7, 7, 7}, {2, 2, 2}, {64, 225, 224});
  EXPECT_EQ(p.front, (Shape{2, 3, 2}));
  EXPECT_EQ(p.back, (Shape{3, 3, 3}));
  EXPECT_FALSE(p.symmetric());
  p = same_padding({3, 3, 3}, {1, 1, 1}, {5, 6, 1});
  EXPECT_EQ(p.front, (Shape{1, 1, 1}));
  EXPECT_TRUE(p.symmetric());
  p = same_padding({2, 2, 2}, {2, 2, 2}, {7, 8, 1});
  EXPECT_EQ(p.front, (Shape{0, 0, 0}));
  EXPECT_EQ(p.back, (Shape{1, 0, 1}));
  p = same_padding({1, 3, 3}, {1, 2, 2}, {4, 56, 57});
  EXPECT_EQ(p.front, (Shape{0, 0, 1}));
  EXPECT_EQ(p.back, (Shape{0, 1, 1}));
}

// "Same" padding gives ⌈size / stride⌉ whatever the parity of the size.
TEST(I3d, SamePaddingOutputSizes) {
  Unit3D stem(Unit3DOptions{1, 2, {7, 7, 7}, {2, 2, 2}});
  MaxPool3dSamePadding pool({3, 3, 3}, {2, 2, 2});
  MaxPool3dSamePadding pool2({2, 2, 2}, {2, 2, 2});
  for (const Shape& size : {Shape{1, 2, 3}, Shape{4, 5, 6}, Shape{7, 8, 9}, Shape{16, 17, 10}}) {
    const Tensor x = clip({1, 1, size[0], size[1], size[2]});
    Shape expected{1, 2};
    for (std::int64_t n : size) expected.push_back((n + 1) / 2);
    EXPECT_EQ(stem.forward(x).shape(), expected) << size;
    expected[1] = 1;
    EXPECT_EQ(pool.forward(x).shape(), expected) << size;
    EXPECT_EQ(pool2.forward(x).shape(), expected) << size;
  }
}

// The padded cells never win: TensorFlow's "same" max pooling.
TEST(I3d, MaxPoolSamePaddingIgnoresPaddedCells) {
  MaxPool3dSamePadding pool({1, 2, 2}, {1, 2, 2});
  const Tensor x = mul(ones({1, 1, 1, 3, 3}), -1.0);
  testing::expect_values(pool.forward(x), {-1, -1, -1, -1}, {1, 1, 1, 2, 2});
}

TEST(I3d, SmallModelShapes) {
  InceptionI3d model(small());
  model.eval();
  const Tensor x = clip({2, 3, 17, 17, 16});
  EXPECT_EQ(model.feature_dim(), 64);
  EXPECT_EQ(model.trunk(x).shape(), (Shape{2, 64, 3, 1, 1}));
  EXPECT_EQ(model.extract_features(x).shape(), (Shape{2, 64, 2, 1, 1}));
  EXPECT_EQ(model.forward(x).shape(), (Shape{2, 5, 2}));
  EXPECT_EQ(model.features(x).shape(), (Shape{2, 64}));
  InceptionI3dOptions unsqueezed = small();
  unsqueezed.spatial_squeeze = false;
  EXPECT_EQ(InceptionI3d(unsqueezed).forward(x).shape(), (Shape{2, 5, 2, 1, 1}));
}

TEST(I3d, ReplaceLogitsKeepsItsPlace) {
  InceptionI3d model(small());
  model.replace_logits(7);
  EXPECT_EQ(keys_of(model)[0], "logits.conv3d.weight");
  EXPECT_EQ(model.parameter("logits.conv3d.weight").shape(), (Shape{7, 64, 1, 1, 1}));
  EXPECT_EQ(model.forward(clip({1, 3, 9, 17, 16})).shape(), (Shape{1, 7, 1}));
}

TEST(I3d, FinalEndpointStopsTheNetwork) {
  InceptionI3dOptions options = small(1);
  options.final_endpoint = "Mixed_3c";
  options.stem_name = "Conv3d_1a_7x7_1";
  InceptionI3d model(options);
  const auto keys = keys_of(model);
  EXPECT_EQ(keys[0], "Conv3d_1a_7x7_1.conv3d.weight");
  EXPECT_EQ(keys.back(), "Mixed_3c.b3b.bn.num_batches_tracked");
  EXPECT_FALSE(model.has_head());
  EXPECT_EQ(model.feature_dim(), 480 / 16);
  EXPECT_EQ(model.forward(clip({1, 1, 4, 8, 8})).shape(), (Shape{1, 30, 2, 1, 1}));
  EXPECT_MG_ERROR(model.extract_features(clip({1, 1, 4, 8, 8})), "InceptionI3d", "extract_features",
                  "Mixed_3c");
  EXPECT_MG_ERROR(model.replace_logits(3), "InceptionI3d", "replace_logits");
}

TEST(I3d, Errors) {
  InceptionI3d model(small());
  EXPECT_MG_ERROR(model.forward(clip({1, 1, 9, 17, 16})), "InceptionI3d", "[N, 3, T, H, W]",
                  "float32[1, 1, 9, 17, 16]");
  EXPECT_MG_ERROR(model.forward(clip({3, 9, 17, 16})), "InceptionI3d", "float32[3, 9, 17, 16]");
  InceptionI3dOptions options = small();
  options.avg_pool_kernel = {2, 7, 7};
  InceptionI3d original_pool(options);
  EXPECT_MG_ERROR(original_pool.forward(clip({1, 3, 9, 17, 16})), "InceptionI3d", "[2, 7, 7]",
                  "float32[1, 64, 2, 1, 1]");
  options.final_endpoint = "Mixed_6a";
  EXPECT_MG_ERROR(InceptionI3d{options}, "InceptionI3d", "Mixed_6a");
  EXPECT_MG_ERROR(Unit3D(Unit3DOptions{2, 4}).forward(clip({1, 3, 2, 2, 2})), "Unit3D",
                  "expected 2 input channels", "float32[1, 3, 2, 2, 2]");
}

NVGestureClassifierOptions small_nv() {
  NVGestureClassifierOptions options;
  options.width_divisor = 32;
  options.feature_pool_kernel = {2, 1, 1};
  return options;
}

// Counts from tools/reference/i3d.py's NaiveClassifier (AMSS_rod, fusion_method "concat").
TEST(NVGesture, FullWidthNamesAndCounts) {
  NVGestureClassifier model;
  EXPECT_EQ(model.parameter_count(), 36872761);
  EXPECT_EQ(model.feature_dim(), 1024);
  const auto keys = keys_of(model);
  EXPECT_EQ(keys.size(), 1028u);
  EXPECT_EQ(keys[0], "rgb_encoder.rgbmodel.Conv3d_1a_7x7.conv3d.weight");
  EXPECT_EQ(keys[keys.size() - 2], "fusion_module.fc_out.weight");
  EXPECT_EQ(model.parameter("of_encoder.ofmodel.Conv3d_1a_7x7.conv3d.weight").shape(),
            (Shape{64, 2, 7, 7, 7}));
  EXPECT_EQ(model.parameter("depth_encoder.depthmodel.Conv3d_1a_7x7_1.conv3d.weight").shape(),
            (Shape{64, 1, 7, 7, 7}));
  EXPECT_EQ(model.parameter("fusion_module.fc_out.weight").shape(), (Shape{25, 3072}));
  EXPECT_FALSE(has_key(keys, "rgb_encoder.rgbmodel.logits.conv3d.weight"));
  const std::int64_t per_modality[] = {12287264, 12265312, 12243360};
  for (int m = 0; m < NVGestureClassifier::kModalities; ++m) {
    std::int64_t count = 0;
    for (const auto& parameter : model.modality_parameters(m)) {
      EXPECT_TRUE(model.parameter(parameter.name).is_same(parameter.tensor)) << parameter.name;
      count += parameter.tensor.numel();
    }
    EXPECT_EQ(count, per_modality[m]) << model.modality_name(m);
  }
}

TEST(NVGesture, SliceLogitsAddUpToTheFusedLogits) {
  NVGestureClassifier model(small_nv());
  const MultimodalOutput out = model.forward(clip({2, 3, 16, 9, 10}, 1), clip({2, 2, 18, 9, 10}, 2),
                                             clip({2, 1, 20, 9, 10}, 3));
  ASSERT_EQ(out.modality_logits.size(), 3u);
  ASSERT_EQ(out.features.size(), 3u);
  EXPECT_EQ(out.logits.shape(), (Shape{2, 25}));
  EXPECT_EQ(out.features[2].shape(), (Shape{2, 32}));
  const Tensor total =
      add(add(out.modality_logits[0], out.modality_logits[1]), out.modality_logits[2]);
  EXPECT_LE(max(abs(sub(total, out.logits))).item<double>(), 1e-5);
}

TEST(NVGesture, LateFusionGivesEachModalityItsHead) {
  NVGestureClassifierOptions options = small_nv();
  options.fusion = FusionKind::Late;
  NVGestureClassifier model(options);
  const auto depth = model.modality_parameters(NVGestureClassifier::kDepth);
  ASSERT_GE(depth.size(), 2u);
  EXPECT_EQ(depth[depth.size() - 2].name, "fusion_module.heads.2.weight");
  EXPECT_TRUE(model.parameter(depth.back().name).is_same(depth.back().tensor));
  options.fusion = FusionKind::FiLM;
  EXPECT_MG_ERROR(NVGestureClassifier{options}, "film fusion needs 2 modalities");
}

TEST(NVGesture, Errors) {
  NVGestureClassifier model(small_nv());
  EXPECT_MG_ERROR(model.features(NVGestureClassifier::kDepth, clip({1, 3, 16, 9, 10})),
                  "NVGestureClassifier", "depth", "[B, 1, T, H, W]", "float32[1, 3, 16, 9, 10]");
  // A clip too large for the pooling kernel gives more than feature_dim values.
  EXPECT_MG_ERROR(model.features(NVGestureClassifier::kRgb, clip({1, 3, 16, 40, 10})),
                  "NVGestureClassifier", "rgb", "64 values per sample", "expects 32");
  EXPECT_MG_ERROR(model.modality_name(3), "modality 3");
}

}  // namespace
}  // namespace mg::nn
