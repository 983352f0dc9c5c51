#include "core/cuda/check.cuh"
#include "core/error.h"

namespace mg::cuda {

void check(cudaError_t status, const char* op, const char* call) {
  if (status == cudaSuccess) return;
  cudaGetLastError();  // clear the sticky-free error state so later calls are not blamed
  throw Error(str(op, ": CUDA error ", cudaGetErrorName(status), " (", cudaGetErrorString(status),
                  ") in ", call));
}

void check(cublasStatus_t status, const char* op, const char* call) {
  if (status == CUBLAS_STATUS_SUCCESS) return;
  throw Error(str(op, ": cuBLAS error ", cublasGetStatusName(status), " (",
                  cublasGetStatusString(status), ") in ", call));
}

void check(cudnnStatus_t status, const char* op, const char* call) {
  if (status == CUDNN_STATUS_SUCCESS) return;
  throw Error(str(op, ": cuDNN error ", cudnnGetErrorString(status), " in ", call));
}

void check_launch(const char* op) {
  check(cudaGetLastError(), op, "kernel launch");
}

}  // namespace mg::cuda
