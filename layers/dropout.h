#pragma once

#include "layers/module.h"

namespace mg::nn {

// Inverted dropout in training mode (zeroes with probability p, scales the rest by 1/(1 − p));
// the identity in evaluation mode.
class Dropout : public Module {
 public:
  explicit Dropout(double p = 0.5);
  Tensor forward(const Tensor& input) override;
  double p() const { return p_; }

 private:
  double p_;
};

}  // namespace mg::nn
