#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "layers/fusion.h"
#include "layers/module.h"

namespace mg::nn {

// What every multimodal classifier offers the training loop and the rebalancing methods, so
// that one step serves the AV, text-image and NVGesture models alike:
//   inputs   the model's input tensors in a fixed order (AV: audio, visual; text-image:
//            input_ids, attention_mask, image; NVGesture: rgb, flow, depth), each belonging to
//            one modality (input_modality), so "modality m absent" means zeroing its inputs
//            (the zero-input passes of AGM and of the Shapley metric);
//   outputs  fused logits, per-modality logits and features (MultimodalOutput);
//   subnetworks  modality_parameters(m), dotted from the model, with their mask units;
//   head     the fusion head (AGM clips on its weight gradient, PMR reads the features).
class MultimodalClassifier : public Module {
 public:
  virtual std::int64_t num_modalities() const = 0;
  virtual std::string modality_name(std::int64_t m) const = 0;
  virtual std::int64_t num_inputs() const = 0;
  virtual std::int64_t input_modality(std::int64_t input) const = 0;
  virtual MultimodalOutput forward(const std::vector<Tensor>& inputs) = 0;
  virtual std::vector<NamedParameter> modality_parameters(std::int64_t m) const = 0;
  virtual FusionHead& fusion_head() const = 0;

  // `inputs` with the tensors of every modality not in `present` replaced by zeros.
  std::vector<Tensor> zero_absent(const std::vector<Tensor>& inputs,
                                  const std::vector<bool>& present) const;

 protected:
  explicit MultimodalClassifier(const char* type_name) : Module(type_name) {}
  // Throws mg::Error naming the model when `inputs` is not num_inputs() long.
  void check_inputs(const std::vector<Tensor>& inputs) const;
};

}  // namespace mg::nn
