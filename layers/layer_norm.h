#pragma once

#include "core/shape.h"
#include "layers/module.h"

namespace mg::nn {

// Normalises over the trailing `normalized_shape` dims; weight 1 and bias 0 when
// elementwise_affine, as torch.nn.LayerNorm.
class LayerNorm : public Module {
 public:
  explicit LayerNorm(Shape normalized_shape, double eps = 1e-5, bool elementwise_affine = true);
  Tensor forward(const Tensor& input) override;

  Tensor weight;
  Tensor bias;

 private:
  Shape normalized_shape_;
  double eps_;
};

}  // namespace mg::nn
