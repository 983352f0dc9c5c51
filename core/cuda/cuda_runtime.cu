#include <cuda_runtime.h>

#include "core/cuda/cuda_runtime.h"
#include "core/error.h"

namespace mg::cuda {

bool is_built() {
  return true;
}

int device_count() {
  int count = 0;
  // cudaErrorNoDevice and cudaErrorInsufficientDriver both mean: no usable GPU here.
  if (cudaGetDeviceCount(&count) != cudaSuccess) {
    cudaGetLastError();
    return 0;
  }
  return count;
}

// The device memory allocator and the kernels arrive with the CUDA backend; until then a CUDA
// tensor cannot be created, and the error says why.
Allocator& allocator(int index) {
  MG_CHECK(device_count() > 0, "cuda:", index,
           ": maskgrad was built with CUDA but no GPU is present");
  throw Error(str("cuda:", index, ": the CUDA backend is not implemented in this version yet"));
}

Backend& backend() {
  MG_CHECK(device_count() > 0, "CUDA backend: maskgrad was built with CUDA but no GPU is present");
  throw Error("CUDA backend: not implemented in this version yet");
}

}  // namespace mg::cuda
