#include "layers/layer_norm.h"

#include <algorithm>

#include "autograd/nn_functional.h"
#include "core/creation.h"
#include "core/error.h"

namespace mg::nn {

LayerNorm::LayerNorm(Shape normalized_shape, double eps, bool elementwise_affine)
    : Module("LayerNorm"), normalized_shape_(std::move(normalized_shape)), eps_(eps) {
  MG_CHECK(
      !normalized_shape_.empty() && std::all_of(normalized_shape_.begin(), normalized_shape_.end(),
                                                [](std::int64_t size) { return size > 0; }),
      "LayerNorm: normalized_shape must hold positive sizes, got ", normalized_shape_);
  if (elementwise_affine) {
    weight = register_parameter("weight", ones(normalized_shape_));
    bias = register_parameter("bias", zeros(normalized_shape_));
  }
}

Tensor LayerNorm::forward(const Tensor& input) {
  const auto k = static_cast<std::int64_t>(normalized_shape_.size());
  MG_CHECK(input.defined() && input.dim() >= k &&
               Shape(input.shape().end() - k, input.shape().end()) == normalized_shape_,
           "LayerNorm(", normalized_shape_, "): expected an input whose trailing dims are ",
           normalized_shape_, ", got ", describe(input));
  return layer_norm(input, normalized_shape_, weight, bias, eps_);
}

}  // namespace mg::nn
