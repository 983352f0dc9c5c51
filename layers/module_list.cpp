#include "layers/module_list.h"

#include "core/error.h"

namespace mg::nn {

std::shared_ptr<Module> ModuleList::operator[](std::size_t index) const {
  MG_CHECK(index < size_, type_name(), ": index ", index, " out of range for ", size_, " modules");
  return children()[index];
}

}  // namespace mg::nn
