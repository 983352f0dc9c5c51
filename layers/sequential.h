#pragma once

#include <memory>
#include <vector>

#include "layers/module_list.h"

namespace mg::nn {

// Chains one-tensor modules; the children are named "0", "1", ... as in torch.nn.Sequential.
class Sequential : public ModuleList {
 public:
  Sequential() : ModuleList("Sequential") {}
  explicit Sequential(std::vector<std::shared_ptr<Module>> modules);
  Tensor forward(const Tensor& input) override;
};

// Returns its input: stands in for a removed layer (a ResNet's fc when it is a feature
// extractor).
class Identity : public Module {
 public:
  Identity() : Module("Identity") {}
  Tensor forward(const Tensor& input) override { return input; }
};

}  // namespace mg::nn
