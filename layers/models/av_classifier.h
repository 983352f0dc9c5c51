#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "layers/fusion.h"
#include "layers/models/resnet.h"
#include "layers/module.h"
#include "layers/multimodal_classifier.h"

// The audio-visual classifier of the OGM-GE lineage (GeWu-Lab/OGM-GE_CVPR2022,
// models/basic_model.py AVClassifier), with the same submodule names:
//   fusion_module  a fusion head (layers/fusion.h) over the two 8·width-d features (512 at
//                  full width); registered first, as OGM-GE does, so state_dict orders match;
//   audio_net      ResNet-18 trunk, 1 input channel, no fc, on spectrograms [B, 1, F, T];
//   visual_net     ResNet-18 trunk, 3 input channels, no fc, on frames [B, 3, T, H, W].
// The visual trunk sees the frames folded into the batch in OGM-GE's order,
// [B, 3, T, H, W] → permute(0, 2, 1, 3, 4) → [B·T, 3, H, W] (sample-major, frame-minor); its
// layer4 map [B·T, C, h, w] is unfolded to [B, T, C, h, w] and averaged over time and space
// (OGM-GE's permute + adaptive_avg_pool3d(1), computed as one mean over T, h, w). The audio map
// is averaged over its two spatial dimensions (adaptive_avg_pool2d(1)).
//
// OGM-GE's backbone initialises batch-norm weights with N(1, 0.02²), which is this classifier's
// default (`trunk.bn_init`); GELU trunks (AMSS) are `trunk.activation = Activation::GELU`.
namespace mg::nn {

struct AVClassifierOptions {
  std::int64_t num_classes = 6;  // CREMA-D
  FusionKind fusion = FusionKind::Concat;
  bool x_film = true;  // OGM-GE's AVClassifier uses FiLM(x_film=True), GatedFusion(x_gate=True)
  bool x_gate = true;
  ResNetOptions trunk{.in_channels = 3,
                      .num_classes = 0,
                      .width = 64,
                      .activation = Activation::ReLU,
                      .bn_init = BatchNormInit::Normal};
};

class AVClassifier : public MultimodalClassifier {
 public:
  static constexpr std::int64_t kAudio = 0;
  static constexpr std::int64_t kVisual = 1;

  explicit AVClassifier(AVClassifierOptions options = {});

  // audio [B, 1, F, T], visual [B, 3, T, H, W]; outputs in the order {audio, visual}.
  MultimodalOutput forward(const Tensor& audio, const Tensor& visual);
  // The named parameters (dotted from this module: "audio_net.layer1.0.conv1.weight") of
  // modality m's subnetwork: its encoder, plus its head for late fusion (supplement C.2).
  std::vector<NamedParameter> modality_parameters(std::int64_t m) const override;

  // MultimodalClassifier: inputs {audio, visual}.
  std::int64_t num_modalities() const override { return 2; }
  std::string modality_name(std::int64_t m) const override;
  std::int64_t num_inputs() const override { return 2; }
  std::int64_t input_modality(std::int64_t input) const override { return input; }
  MultimodalOutput forward(const std::vector<Tensor>& inputs) override;
  FusionHead& fusion_head() const override { return *fusion_module; }

  std::int64_t feature_dim() const { return audio_net->feature_dim(); }
  const AVClassifierOptions& options() const { return options_; }

  std::shared_ptr<FusionHead> fusion_module;
  std::shared_ptr<ResNet> audio_net;
  std::shared_ptr<ResNet> visual_net;

 private:
  AVClassifierOptions options_;
};

}  // namespace mg::nn
