#pragma once

#include <cstdint>

#include "layers/module.h"

namespace mg::nn {

// y = x Wᵀ + b over the last dimension. weight [out_features, in_features], bias
// [out_features]; both start from U(-1/√in, 1/√in) as in torch.nn.Linear. Mask units are
// element-wise (the AMSS classifier blocks are sampled entry by entry).
class Linear : public Module {
 public:
  Linear(std::int64_t in_features, std::int64_t out_features, bool bias = true);
  Tensor forward(const Tensor& input) override;

  std::int64_t in_features() const { return in_features_; }
  std::int64_t out_features() const { return out_features_; }

  Tensor weight;
  Tensor bias;  // undefined without bias

 private:
  std::int64_t in_features_;
  std::int64_t out_features_;
};

}  // namespace mg::nn
