#pragma once

#include "core/allocator.h"

namespace mg::cuda {

// The caching allocator of GPU `index` (see caching_allocator.cu).
Allocator& caching_allocator(int index);

}  // namespace mg::cuda
