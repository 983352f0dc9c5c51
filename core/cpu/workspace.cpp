#include "core/cpu/workspace.h"

#include "core/allocator.h"

namespace mg::cpu {

Workspace::~Workspace() {
  allocator_for(Device::cpu()).deallocate(data_, nbytes_);
}

void* Workspace::get(std::size_t nbytes) {
  if (nbytes <= nbytes_) return data_;
  Allocator& allocator = allocator_for(Device::cpu());
  allocator.deallocate(data_, nbytes_);
  data_ = nullptr;
  nbytes_ = 0;
  data_ = allocator.allocate(nbytes);
  nbytes_ = nbytes;
  return data_;
}

Workspace& thread_workspace(int slot) {
  thread_local Workspace workspaces[2];
  return workspaces[slot];
}

}  // namespace mg::cpu
