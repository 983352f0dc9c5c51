#include "layers/multimodal_classifier.h"

#include "core/creation.h"
#include "core/error.h"

namespace mg::nn {

void MultimodalClassifier::check_inputs(const std::vector<Tensor>& inputs) const {
  MG_CHECK(static_cast<std::int64_t>(inputs.size()) == num_inputs(), type_name(), ": expected ",
           num_inputs(), " input tensors, got ", inputs.size());
}

std::vector<Tensor> MultimodalClassifier::zero_absent(const std::vector<Tensor>& inputs,
                                                      const std::vector<bool>& present) const {
  check_inputs(inputs);
  MG_CHECK(static_cast<std::int64_t>(present.size()) == num_modalities(), type_name(),
           ": expected one presence flag per modality (", num_modalities(), "), got ",
           present.size());
  std::vector<Tensor> out = inputs;
  for (std::size_t i = 0; i < out.size(); ++i)
    if (!present[input_modality(static_cast<std::int64_t>(i))]) out[i] = zeros_like(inputs[i]);
  return out;
}

}  // namespace mg::nn
