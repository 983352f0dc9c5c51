#include "layers/models/resnet.h"

#include "autograd/ops.h"
#include "core/error.h"
#include "layers/activation.h"
#include "layers/init.h"

namespace mg::nn {
namespace {

std::shared_ptr<Conv2d> conv3x3(std::int64_t in, std::int64_t out, std::int64_t stride) {
  return std::make_shared<Conv2d>(
      Conv2dOptions(in, out, {3}).stride({stride}).padding({1}).bias(false));
}

std::shared_ptr<Conv2d> conv1x1(std::int64_t in, std::int64_t out, std::int64_t stride = 1) {
  return std::make_shared<Conv2d>(Conv2dOptions(in, out, {1}).stride({stride}).bias(false));
}

// The residual sum followed by the activation, shared by both block kinds.
Tensor residual_output(const Tensor& branch, const Tensor& input,
                       const std::shared_ptr<Sequential>& downsample, Module& activation) {
  const Tensor identity = downsample ? downsample->forward(input) : input;
  return activation.forward(add(branch, identity));
}

}  // namespace

std::shared_ptr<Module> make_activation(Activation activation) {
  if (activation == Activation::GELU) return std::make_shared<GELU>();
  return std::make_shared<ReLU>();
}

BasicBlock::BasicBlock(std::int64_t inplanes, std::int64_t planes, std::int64_t stride,
                       std::shared_ptr<Sequential> downsample_branch, Activation activation)
    : Module("BasicBlock") {
  conv1 = register_module("conv1", conv3x3(inplanes, planes, stride));
  bn1 = register_module("bn1", std::make_shared<BatchNorm2d>(planes));
  relu = register_module("relu", make_activation(activation));
  conv2 = register_module("conv2", conv3x3(planes, planes, 1));
  bn2 = register_module("bn2", std::make_shared<BatchNorm2d>(planes));
  if (downsample_branch) downsample = register_module("downsample", std::move(downsample_branch));
}

Tensor BasicBlock::forward(const Tensor& input) {
  Tensor out = relu->forward(bn1->forward(conv1->forward(input)));
  out = bn2->forward(conv2->forward(out));
  return residual_output(out, input, downsample, *relu);
}

Bottleneck::Bottleneck(std::int64_t inplanes, std::int64_t planes, std::int64_t stride,
                       std::shared_ptr<Sequential> downsample_branch, Activation activation)
    : Module("Bottleneck") {
  conv1 = register_module("conv1", conv1x1(inplanes, planes));
  bn1 = register_module("bn1", std::make_shared<BatchNorm2d>(planes));
  conv2 = register_module("conv2", conv3x3(planes, planes, stride));
  bn2 = register_module("bn2", std::make_shared<BatchNorm2d>(planes));
  conv3 = register_module("conv3", conv1x1(planes, planes * expansion));
  bn3 = register_module("bn3", std::make_shared<BatchNorm2d>(planes * expansion));
  relu = register_module("relu", make_activation(activation));
  if (downsample_branch) downsample = register_module("downsample", std::move(downsample_branch));
}

Tensor Bottleneck::forward(const Tensor& input) {
  Tensor out = relu->forward(bn1->forward(conv1->forward(input)));
  out = relu->forward(bn2->forward(conv2->forward(out)));
  out = bn3->forward(conv3->forward(out));
  return residual_output(out, input, downsample, *relu);
}

ResNet::ResNet(BlockKind block, std::vector<std::int64_t> layers, ResNetOptions options)
    : Module("ResNet"), options_(options), inplanes_(options.width) {
  MG_CHECK(layers.size() == 4, "ResNet: expected 4 stage depths, got ", layers.size());
  for (std::int64_t depth : layers)
    MG_CHECK(depth > 0, "ResNet: stage depths must be positive, got ", depth);
  MG_CHECK(options.in_channels > 0 && options.width > 0 && options.num_classes >= 0,
           "ResNet: in_channels and width must be positive and num_classes non-negative, got ",
           options.in_channels, ", ", options.width, ", ", options.num_classes);
  const std::int64_t width = options.width;
  conv1 = register_module(
      "conv1",
      std::make_shared<Conv2d>(
          Conv2dOptions(options.in_channels, width, {7}).stride({2}).padding({3}).bias(false)));
  bn1 = register_module("bn1", std::make_shared<BatchNorm2d>(width));
  relu = register_module("relu", make_activation(options.activation));
  maxpool = register_module("maxpool", std::make_shared<MaxPool2d>(PoolOptions{
                                           .kernel_size = {3}, .stride = {2}, .padding = {1}}));
  layer1 = register_module("layer1", make_layer(block, width, layers[0], 1));
  layer2 = register_module("layer2", make_layer(block, width * 2, layers[1], 2));
  layer3 = register_module("layer3", make_layer(block, width * 4, layers[2], 2));
  layer4 = register_module("layer4", make_layer(block, width * 8, layers[3], 2));
  feature_dim_ = inplanes_;
  avgpool = register_module("avgpool", std::make_shared<AdaptiveAvgPool2d>(Shape{1, 1}));
  if (options.num_classes > 0)
    fc = register_module("fc", std::make_shared<Linear>(feature_dim_, options.num_classes));

  // torchvision re-initialises after construction; the Linear keeps its default.
  for (const auto& [name, module] : named_modules()) {
    if (auto conv = std::dynamic_pointer_cast<Conv2d>(module)) {
      init::kaiming_normal_(conv->weight, 0, init::FanMode::FanOut, init::Nonlinearity::ReLU);
    } else if (auto bn = std::dynamic_pointer_cast<BatchNorm2d>(module)) {
      if (options.bn_init == BatchNormInit::Normal) init::normal_(bn->weight, 1.0, 0.02);
    }
  }
}

std::shared_ptr<Sequential> ResNet::make_layer(BlockKind block, std::int64_t planes,
                                               std::int64_t blocks, std::int64_t stride) {
  const std::int64_t expansion =
      block == BlockKind::Basic ? BasicBlock::expansion : Bottleneck::expansion;
  auto make_block = [&](std::int64_t inplanes, std::int64_t block_stride,
                        std::shared_ptr<Sequential> downsample) -> std::shared_ptr<Module> {
    if (block == BlockKind::Basic)
      return std::make_shared<BasicBlock>(inplanes, planes, block_stride, std::move(downsample),
                                          options_.activation);
    return std::make_shared<Bottleneck>(inplanes, planes, block_stride, std::move(downsample),
                                        options_.activation);
  };
  std::shared_ptr<Sequential> downsample;
  if (stride != 1 || inplanes_ != planes * expansion) {
    downsample = std::make_shared<Sequential>();
    downsample->push_back(conv1x1(inplanes_, planes * expansion, stride));
    downsample->push_back(std::make_shared<BatchNorm2d>(planes * expansion));
  }
  auto layer = std::make_shared<Sequential>();
  layer->push_back(make_block(inplanes_, stride, std::move(downsample)));
  inplanes_ = planes * expansion;
  for (std::int64_t i = 1; i < blocks; ++i) layer->push_back(make_block(inplanes_, 1, nullptr));
  return layer;
}

Tensor ResNet::forward_features(const Tensor& input) {
  MG_CHECK(input.defined() && input.dim() == 4 && input.size(1) == options_.in_channels,
           "ResNet: expected input [B, ", options_.in_channels, ", H, W], got ", describe(input));
  Tensor x = maxpool->forward(relu->forward(bn1->forward(conv1->forward(input))));
  x = layer1->forward(x);
  x = layer2->forward(x);
  x = layer3->forward(x);
  return layer4->forward(x);
}

Tensor ResNet::forward(const Tensor& input) {
  Tensor x = flatten(avgpool->forward(forward_features(input)), 1);
  return fc ? fc->forward(x) : x;
}

std::shared_ptr<ResNet> resnet18(ResNetOptions options) {
  return std::make_shared<ResNet>(BlockKind::Basic, std::vector<std::int64_t>{2, 2, 2, 2}, options);
}

std::shared_ptr<ResNet> resnet34(ResNetOptions options) {
  return std::make_shared<ResNet>(BlockKind::Basic, std::vector<std::int64_t>{3, 4, 6, 3}, options);
}

std::shared_ptr<ResNet> resnet50(ResNetOptions options) {
  return std::make_shared<ResNet>(BlockKind::Bottleneck, std::vector<std::int64_t>{3, 4, 6, 3},
                                  options);
}

}  // namespace mg::nn
