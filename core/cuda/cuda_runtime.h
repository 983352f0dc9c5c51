#pragma once

// The boundary between maskgrad and the CUDA runtime. Two implementations exist: cuda_runtime.cu
// (built with CUDA) and no_cuda.cpp (built without); nothing else includes CUDA headers.

namespace mg {
class Allocator;
class Backend;
}  // namespace mg

namespace mg::cuda {

// True when this build contains the CUDA backend.
bool is_built();
// Number of usable GPUs: 0 when built without CUDA or when none is present.
int device_count();
// The allocator and the kernels of GPU `index`; throw mg::Error when unavailable.
Allocator& allocator(int index);
Backend& backend();

}  // namespace mg::cuda
