#include "core/cuda/context.cuh"

#include <memory>
#include <mutex>
#include <vector>

#include "core/cuda/check.cuh"
#include "core/cuda/cuda_runtime.h"
#include "core/error.h"

namespace mg::cuda {

DeviceGuard::DeviceGuard(int index) {
  MG_CUDA_CHECK(cudaGetDevice(&previous_), "DeviceGuard");
  if (previous_ != index) MG_CUDA_CHECK(cudaSetDevice(index), "DeviceGuard");
}

DeviceGuard::~DeviceGuard() {
  cudaSetDevice(previous_);  // a destructor must not throw; the next checked call reports it
}

namespace {

struct DeviceContext {
  cudaStream_t stream = nullptr;
  cublasHandle_t cublas = nullptr;
  cudnnHandle_t cudnn = nullptr;
};

// Handles live until the process ends: destroying them from a static destructor races with the
// driver's own teardown.
DeviceContext& context(int device) {
  static std::mutex mutex;
  static std::vector<std::unique_ptr<DeviceContext>> contexts;
  std::lock_guard lock(mutex);
  MG_CHECK(device >= 0 && device < device_count(), "cuda:", device, ": no such device (",
           device_count(), " present)");
  if (contexts.empty()) contexts.resize(device_count());
  auto& slot = contexts[device];
  if (!slot) {
    DeviceGuard guard(device);
    auto created = std::make_unique<DeviceContext>();
    MG_CUDA_CHECK(cudaStreamCreateWithFlags(&created->stream, cudaStreamNonBlocking),
                  "CUDA context");
    slot = std::move(created);
  }
  return *slot;
}

}  // namespace

cudaStream_t stream(int device) {
  return context(device).stream;
}

cublasHandle_t cublas_handle(int device) {
  DeviceContext& ctx = context(device);
  static std::mutex mutex;
  std::lock_guard lock(mutex);
  if (ctx.cublas == nullptr) {
    DeviceGuard guard(device);
    MG_CUDA_CHECK(cublasCreate(&ctx.cublas), "cuBLAS handle");
    MG_CUDA_CHECK(cublasSetStream(ctx.cublas, ctx.stream), "cuBLAS handle");
  }
  return ctx.cublas;
}

cudnnHandle_t cudnn_handle(int device) {
  DeviceContext& ctx = context(device);
  static std::mutex mutex;
  std::lock_guard lock(mutex);
  if (ctx.cudnn == nullptr) {
    DeviceGuard guard(device);
    MG_CUDA_CHECK(cudnnCreate(&ctx.cudnn), "cuDNN handle");
    MG_CUDA_CHECK(cudnnSetStream(ctx.cudnn, ctx.stream), "cuDNN handle");
  }
  return ctx.cudnn;
}

}  // namespace mg::cuda
