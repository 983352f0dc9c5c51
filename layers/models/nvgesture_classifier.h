#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/shape.h"
#include "layers/fusion.h"
#include "layers/models/i3d.h"
#include "layers/module.h"
#include "layers/multimodal_classifier.h"

// The AMSS NVGesture model (AMSS_rod/RODModel.py, NaiveClassfier with fusion_method "concat"):
// three I3D encoders, RGB (3 channels), optical flow (2) and depth (1), each giving a 1024-d
// feature, concatenated [rgb, flow, depth] into Linear(3072, 25). Names follow the reference:
//   rgb_encoder.rgbmodel.Conv3d_1a_7x7.conv3d.weight, of_encoder.ofmodel.…,
//   depth_encoder.depthmodel.Conv3d_1a_7x7_1.conv3d.weight, …, fusion_module.fc_out.weight.
//
// The encoders are the I3D of AMSS's Model3D.py, which we could not read in AMSS_rod itself; its
// copy in the authors' sibling repository njustkmg/NeurIPS25-AUG (model/Model3D.py, imported
// the same way by the same RGBEncoder/OFEncoder/DepthEncoder code) is pytorch-i3d without the
// Logits head (no avg_pool/dropout/logits parameters) whose forward returns
// AvgPool3d(kernel (8, 7, 7)) of Mixed_5c flattened to [B, 1024], and whose 1-channel model
// names its stem Conv3d_1a_7x7_1 (so loading rgb_imagenet.pt by name skips the stem whose shape
// differs). We mirror that: InceptionI3d up to Mixed_5c, then `feature_pool_kernel` average
// pooling (stride = kernel) and a flatten that must give feature_dim values per sample. With
// 64-frame 224×224 clips (training) Mixed_5c is 8×7×7 and this is the global mean; with the
// 80-frame test clips it is 10×7×7 and the pool reads the first 8 steps only, as the reference
// does. An empty `feature_pool_kernel` averages over all of T×H×W instead (any clip size).
namespace mg::nn {

struct NVGestureClassifierOptions {
  std::int64_t num_classes = 25;
  // The reference's ConcatFusion3 (fc_out over [rgb; flow; depth], slice logits
  // z_m = φ_m W_mᵀ + b/3) is ConcatFusion; Sum and Late work too (FiLM and Gated take two).
  FusionKind fusion = FusionKind::Concat;
  std::int64_t width_divisor = 1;         // for small test models (see InceptionI3dOptions)
  Shape feature_pool_kernel = {8, 7, 7};  // AMSS's AvgPool3d; {} = global average
};

// RGBEncoder / OFEncoder / DepthEncoder: one InceptionI3d under the reference's attribute name.
class I3DEncoder : public Module {
 public:
  I3DEncoder(const std::string& type_name, const std::string& attribute,
             InceptionI3dOptions options);
  std::shared_ptr<InceptionI3d> model;
};

class NVGestureClassifier : public MultimodalClassifier {
 public:
  enum Modality : int { kRgb = 0, kFlow = 1, kDepth = 2 };
  static constexpr int kModalities = 3;

  explicit NVGestureClassifier(NVGestureClassifierOptions options = {});

  // rgb [B, 3, T, H, W], flow [B, 2, T, H, W], depth [B, 1, T, H, W] (T may differ); outputs in
  // the order {rgb, flow, depth}.
  MultimodalOutput forward(const Tensor& rgb, const Tensor& flow, const Tensor& depth);
  // Modality m's pooled feature [B, feature_dim].
  Tensor features(int m, const Tensor& clip);
  // Modality m's subnetwork, with the model's dotted names: its encoder, plus its head with late
  // fusion (with the other heads no head parameter belongs to one modality).
  std::vector<NamedParameter> modality_parameters(std::int64_t m) const override;
  std::shared_ptr<InceptionI3d> encoder(int m) const;

  // MultimodalClassifier: inputs {rgb, flow, depth}.
  std::int64_t num_modalities() const override { return kModalities; }
  std::string modality_name(std::int64_t m) const override;  // "rgb", "flow", "depth"
  std::int64_t num_inputs() const override { return kModalities; }
  std::int64_t input_modality(std::int64_t input) const override { return input; }
  MultimodalOutput forward(const std::vector<Tensor>& inputs) override;
  FusionHead& fusion_head() const override { return *fusion_module; }
  std::int64_t feature_dim() const { return feature_dim_; }

  std::shared_ptr<I3DEncoder> rgb_encoder;
  std::shared_ptr<I3DEncoder> of_encoder;
  std::shared_ptr<I3DEncoder> depth_encoder;
  std::shared_ptr<FusionHead> fusion_module;

 private:
  NVGestureClassifierOptions options_;
  std::int64_t feature_dim_;
};

}  // namespace mg::nn
