#pragma once

#include <memory>
#include <vector>

#include "layers/module.h"

namespace mg::nn {

// Chains one-tensor modules; the children are named "0", "1", ... as in torch.nn.Sequential.
class Sequential : public Module {
 public:
  Sequential() : Module("Sequential") {}
  explicit Sequential(std::vector<std::shared_ptr<Module>> modules);
  // Appends a module under the next index.
  template <typename M>
  std::shared_ptr<M> push_back(std::shared_ptr<M> module) {
    register_module(std::to_string(size_), module);
    ++size_;
    return module;
  }
  Tensor forward(const Tensor& input) override;
  std::size_t size() const { return size_; }
  std::shared_ptr<Module> operator[](std::size_t index) const;

 private:
  std::size_t size_ = 0;
};

// Returns its input: stands in for a removed layer (a ResNet's fc when it is a feature
// extractor).
class Identity : public Module {
 public:
  Identity() : Module("Identity") {}
  Tensor forward(const Tensor& input) override { return input; }
};

}  // namespace mg::nn
