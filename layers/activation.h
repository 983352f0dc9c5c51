#pragma once

#include "autograd/elementwise.h"
#include "layers/module.h"

namespace mg::nn {

class ReLU : public Module {
 public:
  ReLU() : Module("ReLU") {}
  Tensor forward(const Tensor& input) override { return relu(input); }
};

// GELU with the exact erf form (PyTorch's default) or the tanh approximation.
class GELU : public Module {
 public:
  explicit GELU(GeluApproximate approximate = GeluApproximate::None)
      : Module("GELU"), approximate_(approximate) {}
  Tensor forward(const Tensor& input) override { return gelu(input, approximate_); }

 private:
  GeluApproximate approximate_;
};

class Tanh : public Module {
 public:
  Tanh() : Module("Tanh") {}
  Tensor forward(const Tensor& input) override { return tanh(input); }
};

}  // namespace mg::nn
