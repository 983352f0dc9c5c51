#include "layers/models/av_classifier.h"

#include "autograd/ops.h"
#include "core/error.h"

namespace mg::nn {
namespace {

void prefix_names(std::vector<NamedParameter>& parameters, const std::string& prefix) {
  for (NamedParameter& p : parameters) p.name = prefix + p.name;
}

}  // namespace

AVClassifier::AVClassifier(AVClassifierOptions options)
    : MultimodalClassifier("AVClassifier"), options_(std::move(options)) {
  ResNetOptions audio = options_.trunk;
  audio.in_channels = 1;
  audio.num_classes = 0;
  ResNetOptions visual = options_.trunk;
  visual.in_channels = 3;
  visual.num_classes = 0;
  const std::int64_t d = 8 * options_.trunk.width;  // ResNet-18: BasicBlock, expansion 1
  fusion_module = register_module("fusion_module", make_fusion({.kind = options_.fusion,
                                                                .feature_dims = {d, d},
                                                                .num_classes = options_.num_classes,
                                                                .x_film = options_.x_film,
                                                                .x_gate = options_.x_gate}));
  audio_net = register_module("audio_net", resnet18(audio));
  visual_net = register_module("visual_net", resnet18(visual));
}

MultimodalOutput AVClassifier::forward(const Tensor& audio, const Tensor& visual) {
  MG_CHECK(audio.defined() && audio.dim() == 4 && audio.size(1) == 1,
           "AVClassifier: expected audio [B, 1, F, T], got ", describe(audio));
  MG_CHECK(visual.defined() && visual.dim() == 5 && visual.size(1) == 3 &&
               visual.size(0) == audio.size(0),
           "AVClassifier: expected visual [B, 3, T, H, W] with B = ", audio.size(0), ", got ",
           describe(visual));
  const std::int64_t batch = visual.size(0);
  const std::int64_t frames = visual.size(2);
  const Tensor a = mean(audio_net->forward_features(audio), {2, 3});
  const Tensor folded = reshape(permute(visual, {0, 2, 1, 3, 4}),
                                {batch * frames, 3, visual.size(3), visual.size(4)});
  const Tensor map = visual_net->forward_features(folded);
  const Tensor v =
      mean(view(map, {batch, frames, map.size(1), map.size(2), map.size(3)}), {1, 3, 4});
  FusionOutput fused = fusion_module->forward({a, v});
  return {std::move(fused.logits), std::move(fused.modality_logits), {a, v}};
}

std::string AVClassifier::modality_name(std::int64_t m) const {
  MG_CHECK(m == kAudio || m == kVisual, "AVClassifier: modality ", m,
           " out of range (0 audio, 1 visual)");
  return m == kAudio ? "audio" : "visual";
}

MultimodalOutput AVClassifier::forward(const std::vector<Tensor>& inputs) {
  check_inputs(inputs);
  return forward(inputs[0], inputs[1]);
}

std::vector<NamedParameter> AVClassifier::modality_parameters(std::int64_t m) const {
  MG_CHECK(m == kAudio || m == kVisual, "AVClassifier: modality ", m,
           " out of range (0 audio, 1 visual)");
  std::vector<NamedParameter> out = (m == kAudio ? audio_net : visual_net)->named_parameters();
  prefix_names(out, m == kAudio ? "audio_net." : "visual_net.");
  std::vector<NamedParameter> head = fusion_module->modality_parameters(m);
  prefix_names(head, "fusion_module.");
  out.insert(out.end(), head.begin(), head.end());
  return out;
}

}  // namespace mg::nn
