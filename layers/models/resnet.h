#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "layers/batch_norm.h"
#include "layers/conv.h"
#include "layers/linear.h"
#include "layers/module.h"
#include "layers/pooling.h"
#include "layers/sequential.h"

// ResNet-18/34/50 with torchvision's structure, parameter names and initialisation
// (torchvision.models.resnet), so that a torchvision state_dict loads strictly:
//   conv1, bn1, relu, maxpool, layer1..layer4 (Sequential of blocks: conv1/bn1/conv2/bn2
//   [/conv3/bn3] and downsample.0 (1×1 conv) / downsample.1 (bn) where the shape changes),
//   avgpool, fc.
// Initialisation: convs kaiming_normal_(fan_out, relu), BN weight 1 / bias 0, fc the default
// Linear initialisation, as torchvision does (zero_init_residual off).
//
// Options beyond torchvision's:
//   in_channels   1 for spectrograms, 3 for frames;
//   num_classes   0 drops avgpool's fc (a feature extractor, like the OGM-GE backbone, whose
//                 state_dict has no fc); forward() then returns the pooled features;
//   width         the stem width (64 in torchvision); stage widths are width·{1, 2, 4, 8}
//                 (× 4 for Bottleneck), for reduced parity fixtures and small experiments;
//   activation    ReLU, or GELU (exact erf form) in every place torchvision applies ReLU, as the
//                 AMSS reference encoders do (specs/amss.md §13). The module keeps the name
//                 "relu" either way (it has no parameters, so state_dicts are unaffected);
//   bn_init       Ones (torchvision) or Normal: weight ~ N(1, 0.02²), bias 0, as the OGM-GE
//                 backbone (models/backbone.py) initialises its batch norms.
namespace mg::nn {

enum class Activation { ReLU, GELU };
enum class BatchNormInit { Ones, Normal };

struct ResNetOptions {
  std::int64_t in_channels = 3;
  std::int64_t num_classes = 1000;
  std::int64_t width = 64;
  Activation activation = Activation::ReLU;
  BatchNormInit bn_init = BatchNormInit::Ones;
};

std::shared_ptr<Module> make_activation(Activation activation);

// torchvision's BasicBlock (expansion 1): two 3×3 convs, the first one strided.
class BasicBlock : public Module {
 public:
  static constexpr std::int64_t expansion = 1;
  BasicBlock(std::int64_t inplanes, std::int64_t planes, std::int64_t stride,
             std::shared_ptr<Sequential> downsample, Activation activation);
  Tensor forward(const Tensor& input) override;

  std::shared_ptr<Conv2d> conv1;
  std::shared_ptr<BatchNorm2d> bn1;
  std::shared_ptr<Module> relu;
  std::shared_ptr<Conv2d> conv2;
  std::shared_ptr<BatchNorm2d> bn2;
  std::shared_ptr<Sequential> downsample;  // null when the shape does not change
};

// torchvision's Bottleneck (ResNet v1.5, expansion 4): 1×1, strided 3×3, 1×1.
class Bottleneck : public Module {
 public:
  static constexpr std::int64_t expansion = 4;
  Bottleneck(std::int64_t inplanes, std::int64_t planes, std::int64_t stride,
             std::shared_ptr<Sequential> downsample, Activation activation);
  Tensor forward(const Tensor& input) override;

  std::shared_ptr<Conv2d> conv1;
  std::shared_ptr<BatchNorm2d> bn1;
  std::shared_ptr<Conv2d> conv2;
  std::shared_ptr<BatchNorm2d> bn2;
  std::shared_ptr<Conv2d> conv3;
  std::shared_ptr<BatchNorm2d> bn3;
  std::shared_ptr<Module> relu;
  std::shared_ptr<Sequential> downsample;
};

enum class BlockKind { Basic, Bottleneck };

class ResNet : public Module {
 public:
  // `layers`: the number of blocks in each of the four stages ({2, 2, 2, 2} for ResNet-18).
  ResNet(BlockKind block, std::vector<std::int64_t> layers, ResNetOptions options = {});

  // [B, in_channels, H, W] → logits [B, num_classes], or the pooled features
  // [B, feature_dim()] when num_classes is 0.
  Tensor forward(const Tensor& input) override;
  // [B, in_channels, H, W] → the layer4 map [B, feature_dim(), H/32, W/32] (rounded up per
  // stride-2 stage): what the audio-visual classifier pools.
  Tensor forward_features(const Tensor& input);

  // Channels of the layer4 map: 8·width·expansion (512 for ResNet-18/34, 2048 for ResNet-50).
  std::int64_t feature_dim() const { return feature_dim_; }
  const ResNetOptions& options() const { return options_; }

  std::shared_ptr<Conv2d> conv1;
  std::shared_ptr<BatchNorm2d> bn1;
  std::shared_ptr<Module> relu;
  std::shared_ptr<MaxPool2d> maxpool;
  std::shared_ptr<Sequential> layer1, layer2, layer3, layer4;
  std::shared_ptr<AdaptiveAvgPool2d> avgpool;
  std::shared_ptr<Linear> fc;  // null when num_classes is 0

 private:
  std::shared_ptr<Sequential> make_layer(BlockKind block, std::int64_t planes, std::int64_t blocks,
                                         std::int64_t stride);

  ResNetOptions options_;
  std::int64_t inplanes_;
  std::int64_t feature_dim_ = 0;
};

std::shared_ptr<ResNet> resnet18(ResNetOptions options = {});
std::shared_ptr<ResNet> resnet34(ResNetOptions options = {});
std::shared_ptr<ResNet> resnet50(ResNetOptions options = {});

}  // namespace mg::nn
