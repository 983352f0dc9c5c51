#pragma once

#include <memory>
#include <string>

#include "layers/module.h"

namespace mg::nn {

// torch.nn.ModuleList: submodules named "0", "1", ... that are registered (so their parameters
// are listed and saved) and used by the owner one by one; no forward of its own.
class ModuleList : public Module {
 public:
  ModuleList() : Module("ModuleList") {}
  // Appends a module under the next index.
  template <typename M>
  std::shared_ptr<M> push_back(std::shared_ptr<M> module) {
    register_module(std::to_string(size_), module);
    ++size_;
    return module;
  }
  std::size_t size() const { return size_; }
  std::shared_ptr<Module> operator[](std::size_t index) const;

 protected:
  explicit ModuleList(std::string type_name) : Module(std::move(type_name)) {}

 private:
  std::size_t size_ = 0;
};

}  // namespace mg::nn
