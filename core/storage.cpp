#include "core/storage.h"

#include "core/cuda/cuda_runtime.h"

namespace mg {

namespace {
Allocator& allocator_of(Device device, bool pinned) {
  return pinned ? cuda::pinned_host_allocator() : allocator_for(device);
}
}  // namespace

Storage::Storage(std::size_t nbytes, Device device, bool pinned)
    : nbytes_(nbytes), device_(device), pinned_(pinned), allocator_(&allocator_of(device, pinned)) {
  data_ = allocator_->allocate(nbytes);
}

Storage::~Storage() {
  allocator_->deallocate(data_, nbytes_);
}

}  // namespace mg
