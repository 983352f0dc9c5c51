#pragma once

// Per-GPU state shared by the kernels: the stream maskgrad runs its work on, and cuBLAS and
// cuDNN handles bound to it. Everything is created on first use, one set per device.

#include <cublas_v2.h>
#include <cuda_runtime.h>
#include <cudnn.h>

#include "core/device.h"

namespace mg::cuda {

// Makes `index` the current CUDA device for its lifetime and restores the previous one.
class DeviceGuard {
 public:
  explicit DeviceGuard(int index);
  explicit DeviceGuard(Device device) : DeviceGuard(device.index) {}
  ~DeviceGuard();
  DeviceGuard(const DeviceGuard&) = delete;
  DeviceGuard& operator=(const DeviceGuard&) = delete;

 private:
  int previous_ = 0;
};

// maskgrad issues all work for a device on one stream, so kernels, library calls and copies are
// ordered without events; host reads synchronise on it.
cudaStream_t stream(int device);
cublasHandle_t cublas_handle(int device);
cudnnHandle_t cudnn_handle(int device);

}  // namespace mg::cuda
