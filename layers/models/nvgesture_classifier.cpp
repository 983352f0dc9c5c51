#include "layers/models/nvgesture_classifier.h"

#include "autograd/ops.h"
#include "core/error.h"

namespace mg::nn {
namespace {

const char* kEncoderNames[] = {"rgb_encoder", "of_encoder", "depth_encoder"};

}  // namespace

I3DEncoder::I3DEncoder(const std::string& type_name, const std::string& attribute,
                       InceptionI3dOptions options)
    : Module(type_name) {
  model = register_module(attribute, std::make_shared<InceptionI3d>(std::move(options)));
}

std::string NVGestureClassifier::modality_name(std::int64_t m) const {
  static const char* names[] = {"rgb", "flow", "depth"};
  MG_CHECK(m >= 0 && m < kModalities, "NVGestureClassifier: modality ", m, " out of range [0, 3)");
  return names[m];
}

NVGestureClassifier::NVGestureClassifier(NVGestureClassifierOptions options)
    : MultimodalClassifier("NVGestureClassifier"), options_(std::move(options)) {
  MG_CHECK(options_.feature_pool_kernel.empty() || options_.feature_pool_kernel.size() == 3,
           "NVGestureClassifier: feature_pool_kernel needs 3 values (or none), got ",
           options_.feature_pool_kernel);
  auto i3d = [&](std::int64_t channels, const char* stem) {
    InceptionI3dOptions i3d_options;
    i3d_options.in_channels = channels;
    i3d_options.width_divisor = options_.width_divisor;
    i3d_options.final_endpoint = "Mixed_5c";
    i3d_options.stem_name = stem;
    return i3d_options;
  };
  rgb_encoder = register_module(
      "rgb_encoder",
      std::make_shared<I3DEncoder>("RGBEncoder", "rgbmodel", i3d(3, "Conv3d_1a_7x7")));
  of_encoder = register_module(
      "of_encoder", std::make_shared<I3DEncoder>("OFEncoder", "ofmodel", i3d(2, "Conv3d_1a_7x7")));
  depth_encoder = register_module(
      "depth_encoder",
      std::make_shared<I3DEncoder>("DepthEncoder", "depthmodel", i3d(1, "Conv3d_1a_7x7_1")));
  feature_dim_ = rgb_encoder->model->feature_dim();
  fusion_module = register_module(
      "fusion_module", make_fusion({.kind = options_.fusion,
                                    .feature_dims = {feature_dim_, feature_dim_, feature_dim_},
                                    .num_classes = options_.num_classes}));
}

std::shared_ptr<InceptionI3d> NVGestureClassifier::encoder(int m) const {
  modality_name(m);  // range check
  const std::shared_ptr<I3DEncoder> encoders[] = {rgb_encoder, of_encoder, depth_encoder};
  return encoders[m]->model;
}

Tensor NVGestureClassifier::features(int m, const Tensor& clip) {
  const std::shared_ptr<InceptionI3d> model = encoder(m);
  const std::int64_t channels = model->options().in_channels;
  MG_CHECK(clip.defined() && clip.dim() == 5 && clip.size(1) == channels,
           "NVGestureClassifier: expected the ", modality_name(m), " clip as [B, ", channels,
           ", T, H, W], got ", describe(clip));
  const Tensor x = model->trunk(clip);
  const Shape& kernel = options_.feature_pool_kernel;
  if (kernel.empty()) return mean(x, {2, 3, 4});
  MG_CHECK(x.size(2) >= kernel[0] && x.size(3) >= kernel[1] && x.size(4) >= kernel[2],
           "NVGestureClassifier: ", modality_name(m), " Mixed_5c output ", describe(x), " (clip ",
           describe(clip), ") is smaller than the pooling kernel ", kernel);
  const Tensor pooled = flatten(avg_pool3d(x, kernel), 1);
  MG_CHECK(pooled.size(1) == feature_dim_, "NVGestureClassifier: ", modality_name(m), " clip ",
           describe(clip), " pools (kernel ", kernel, ") to ", pooled.size(1),
           " values per sample, the head expects ", feature_dim_,
           " (with kernel [8, 7, 7]: 57-120 frames of 193-416 pixels a side)");
  return pooled;
}

MultimodalOutput NVGestureClassifier::forward(const Tensor& rgb, const Tensor& flow,
                                              const Tensor& depth) {
  MultimodalOutput out;
  out.features = {features(kRgb, rgb), features(kFlow, flow), features(kDepth, depth)};
  FusionOutput fused = fusion_module->forward(out.features);
  out.logits = std::move(fused.logits);
  out.modality_logits = std::move(fused.modality_logits);
  return out;
}

MultimodalOutput NVGestureClassifier::forward(const std::vector<Tensor>& inputs) {
  check_inputs(inputs);
  return forward(inputs[0], inputs[1], inputs[2]);
}

std::vector<NamedParameter> NVGestureClassifier::modality_parameters(std::int64_t m) const {
  const std::shared_ptr<I3DEncoder> encoders[] = {rgb_encoder, of_encoder, depth_encoder};
  modality_name(m);  // range check
  std::vector<NamedParameter> out = encoders[m]->named_parameters();
  for (NamedParameter& parameter : out)
    parameter.name = std::string(kEncoderNames[m]) + "." + parameter.name;
  for (NamedParameter& parameter : fusion_module->modality_parameters(m)) {
    parameter.name = "fusion_module." + parameter.name;
    out.push_back(std::move(parameter));
  }
  return out;
}

}  // namespace mg::nn
