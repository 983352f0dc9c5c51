#include "layers/sequential.h"

#include "core/error.h"

namespace mg::nn {

Sequential::Sequential(std::vector<std::shared_ptr<Module>> modules) : Module("Sequential") {
  for (auto& module : modules) push_back(std::move(module));
}

Tensor Sequential::forward(const Tensor& input) {
  Tensor x = input;
  for (const auto& child : children()) x = child->forward(x);
  return x;
}

std::shared_ptr<Module> Sequential::operator[](std::size_t index) const {
  MG_CHECK(index < size_, "Sequential: index ", index, " out of range for ", size_, " modules");
  return children()[index];
}

}  // namespace mg::nn
