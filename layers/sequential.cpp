#include "layers/sequential.h"

namespace mg::nn {

Sequential::Sequential(std::vector<std::shared_ptr<Module>> modules) : ModuleList("Sequential") {
  for (auto& module : modules) push_back(std::move(module));
}

Tensor Sequential::forward(const Tensor& input) {
  Tensor x = input;
  for (const auto& child : children()) x = child->forward(x);
  return x;
}

}  // namespace mg::nn
