#pragma once

// Status checks for every CUDA runtime, cuBLAS and cuDNN call: a failure becomes an mg::Error
// that names the maskgrad op, the call and the library's own message.

#include <cublas_v2.h>
#include <cuda_runtime.h>
#include <cudnn.h>

namespace mg::cuda {

void check(cudaError_t status, const char* op, const char* call);
void check(cublasStatus_t status, const char* op, const char* call);
void check(cudnnStatus_t status, const char* op, const char* call);
// After a kernel launch: catches launch failures (bad configuration, no kernel image for this
// GPU) at the op that caused them instead of at some later call.
void check_launch(const char* op);

}  // namespace mg::cuda

#define MG_CUDA_CHECK(call, op) ::mg::cuda::check((call), (op), #call)
