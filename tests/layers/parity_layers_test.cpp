#include "layers/nn.h"
#include "parity_util.h"

// One test per case of tools/reference/layers.py; the layer settings repeat the case's.
namespace mg::nn {
namespace {

using testing::expect_parity;

// Linear

TEST(ParityLayers, Linear) {
  Linear layer(5, 3);
  expect_parity(layer, "linear");
}

TEST(ParityLayers, LinearNoBias) {
  Linear layer(4, 6, false);
  expect_parity(layer, "linear_no_bias");
}

// Convolution

TEST(ParityLayers, Conv2dStridePaddingDilationGroups) {
  Conv2d layer(Conv2dOptions(4, 6, 3).stride(2).padding(1).dilation(2).groups(2));
  expect_parity(layer, "conv2d");
}

TEST(ParityLayers, Conv2dRectangularNoBias) {
  Conv2d layer(Conv2dOptions(3, 4, {3, 2}).stride({1, 2}).padding({1, 0}).bias(false));
  expect_parity(layer, "conv2d_rect_no_bias");
}

TEST(ParityLayers, Conv3dStridePadding) {
  Conv3d layer(Conv3dOptions(2, 3, 3).stride(2).padding(1));
  expect_parity(layer, "conv3d");
}

TEST(ParityLayers, Conv3dAnisotropic) {
  Conv3d layer(Conv3dOptions(2, 4, {1, 3, 3}).stride({1, 2, 2}).padding({0, 1, 1}));
  expect_parity(layer, "conv3d_anisotropic");
}

// Batch norm

TEST(ParityLayers, BatchNorm1dOn2dInputTrain) {
  BatchNorm1d layer(4);
  expect_parity(layer, "batch_norm1d_2d_train");
}

TEST(ParityLayers, BatchNorm1dOn2dInputEval) {
  BatchNorm1d layer(4);
  expect_parity(layer, "batch_norm1d_2d_eval");
}

TEST(ParityLayers, BatchNorm1dOn3dInputTrain) {
  BatchNorm1d layer(3);
  expect_parity(layer, "batch_norm1d_3d_train");
}

TEST(ParityLayers, BatchNorm1dOn3dInputEval) {
  BatchNorm1d layer(3);
  expect_parity(layer, "batch_norm1d_3d_eval");
}

TEST(ParityLayers, BatchNorm2dTrain) {
  BatchNorm2d layer(4);
  expect_parity(layer, "batch_norm2d_train");
}

TEST(ParityLayers, BatchNorm2dEval) {
  BatchNorm2d layer(4);
  expect_parity(layer, "batch_norm2d_eval");
}

TEST(ParityLayers, BatchNorm3dTrain) {
  BatchNorm3d layer(3);
  expect_parity(layer, "batch_norm3d_train");
}

TEST(ParityLayers, BatchNorm3dEval) {
  BatchNorm3d layer(3);
  expect_parity(layer, "batch_norm3d_eval");
}

// Activations

TEST(ParityLayers, ReLU) {
  ReLU layer;
  expect_parity(layer, "relu");
}

TEST(ParityLayers, GeluExact) {
  GELU layer;
  expect_parity(layer, "gelu");
}

TEST(ParityLayers, GeluTanh) {
  GELU layer(GeluApproximate::Tanh);
  expect_parity(layer, "gelu_tanh");
}

TEST(ParityLayers, Tanh) {
  Tanh layer;
  expect_parity(layer, "tanh");
}

// Pooling

TEST(ParityLayers, MaxPool2dPaddingCeilMode) {
  MaxPool2d layer({.kernel_size = {3}, .stride = {2}, .padding = {1}, .ceil_mode = true});
  expect_parity(layer, "max_pool2d");
}

TEST(ParityLayers, MaxPool2dDefaults) {
  MaxPool2d layer({.kernel_size = {2}});
  expect_parity(layer, "max_pool2d_default");
}

TEST(ParityLayers, MaxPool3dPaddingCeilMode) {
  MaxPool3d layer({.kernel_size = {2}, .stride = {1, 2, 2}, .padding = {1}, .ceil_mode = true});
  expect_parity(layer, "max_pool3d");
}

TEST(ParityLayers, AvgPool2dExcludePadCeilMode) {
  AvgPool2d layer({.kernel_size = {3},
                   .stride = {2},
                   .padding = {1},
                   .ceil_mode = true,
                   .count_include_pad = false});
  expect_parity(layer, "avg_pool2d");
}

TEST(ParityLayers, AvgPool2dIncludePadCeilMode) {
  AvgPool2d layer({.kernel_size = {3}, .stride = {2}, .padding = {1}, .ceil_mode = true});
  expect_parity(layer, "avg_pool2d_include_pad");
}

TEST(ParityLayers, AvgPool3dExcludePadCeilMode) {
  AvgPool3d layer({.kernel_size = {2},
                   .stride = {1, 2, 2},
                   .padding = {1},
                   .ceil_mode = true,
                   .count_include_pad = false});
  expect_parity(layer, "avg_pool3d");
}

TEST(ParityLayers, AdaptiveAvgPool2dNonDivisible) {
  AdaptiveAvgPool2d layer({3, 4});
  expect_parity(layer, "adaptive_avg_pool2d");
}

TEST(ParityLayers, AdaptiveAvgPool3dNonDivisible) {
  AdaptiveAvgPool3d layer({2, 3, 2});
  expect_parity(layer, "adaptive_avg_pool3d");
}

// Dropout, Identity

TEST(ParityLayers, DropoutEvalIsIdentity) {
  Dropout layer(0.5);
  expect_parity(layer, "dropout_eval");
}

TEST(ParityLayers, Identity) {
  Identity layer;
  expect_parity(layer, "identity");
}

// Embedding

TEST(ParityLayers, EmbeddingPaddingIdx) {
  Embedding layer(10, 4, 2);
  expect_parity(layer, "embedding");
}

// Layer norm

TEST(ParityLayers, LayerNormLastDim) {
  LayerNorm layer({6});
  expect_parity(layer, "layer_norm");
}

TEST(ParityLayers, LayerNormTwoTrailingDims) {
  LayerNorm layer({3, 4});
  expect_parity(layer, "layer_norm_2d");
}

// Sequential

TEST(ParityLayers, SequentialConvBatchNormReluMaxPool) {
  Sequential layer({std::make_shared<Conv2d>(Conv2dOptions(3, 4, 3).padding(1).bias(false)),
                    std::make_shared<BatchNorm2d>(4), std::make_shared<ReLU>(),
                    std::make_shared<MaxPool2d>(PoolOptions{.kernel_size = {2}})});
  const auto state = layer.state_dict();
  std::vector<std::string> names;
  for (const auto& entry : state) names.push_back(entry.first);
  EXPECT_EQ(names, (std::vector<std::string>{"0.weight", "1.weight", "1.bias", "1.running_mean",
                                             "1.running_var", "1.num_batches_tracked"}));
  expect_parity(layer, "sequential");
}

}  // namespace
}  // namespace mg::nn
