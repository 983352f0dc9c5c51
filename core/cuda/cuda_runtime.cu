#include <cuda_runtime.h>

#include <atomic>

#include "core/cuda/caching_allocator.cuh"
#include "core/cuda/check.cuh"
#include "core/cuda/context.cuh"
#include "core/cuda/cuda_backend.cuh"
#include "core/cuda/cuda_runtime.h"
#include "core/error.h"

namespace mg::cuda {

namespace {

void check_present(int index, const char* what) {
  const int count = device_count();
  MG_CHECK(count > 0, what, ": maskgrad was built with CUDA but no GPU is present");
  MG_CHECK(index >= 0 && index < count, what, ": no device cuda:", index, " (", count, " present)");
}

std::atomic<bool> tf32_allowed{false};

}  // namespace

bool is_built() {
  return true;
}

int device_count() {
  // Asked once: every stream lookup and allocation checks its device against it.
  static const int count = [] {
    int found = 0;
    // cudaErrorNoDevice and cudaErrorInsufficientDriver both mean: no usable GPU here.
    if (cudaGetDeviceCount(&found) != cudaSuccess) {
      cudaGetLastError();
      return 0;
    }
    return found;
  }();
  return count;
}

std::string device_name(int index) {
  check_present(index, "cuda::device_name");
  cudaDeviceProp properties{};
  MG_CUDA_CHECK(cudaGetDeviceProperties(&properties, index), "cuda::device_name");
  return properties.name;
}

Allocator& allocator(int index) {
  check_present(index, "CUDA allocator");
  return caching_allocator(index);
}

Backend& cuda_backend() {
  static CudaBackend instance;
  return instance;
}

Backend& backend() {
  check_present(0, "CUDA backend");
  return cuda_backend();
}

void synchronize(int index) {
  check_present(index, "cuda::synchronize");
  MG_CUDA_CHECK(cudaStreamSynchronize(stream(index)), "cuda::synchronize");
}

void set_allow_tf32(bool allow) {
  tf32_allowed = allow;
}

bool allow_tf32() {
  return tf32_allowed;
}

}  // namespace mg::cuda
