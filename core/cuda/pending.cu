// Kernels of the CUDA backend not written yet: each raises a clear error until its file lands.

#include "core/cuda/caching_allocator.cuh"
#include "core/cuda/cuda_backend.cuh"
#include "core/cuda/cuda_runtime.h"
#include "core/error.h"

namespace mg::cuda {

void CudaBackend::copy(const Tensor& src, const Tensor& out) {
  throw Error("copy: not implemented on CUDA yet");
}
void CudaBackend::fill(const Tensor& out, double value) {
  throw Error("fill: not implemented on CUDA yet");
}
void CudaBackend::unary(UnaryOp op, const Tensor& x, const Tensor& out) {
  throw Error("unary: not implemented on CUDA yet");
}
void CudaBackend::binary(BinaryOp op, const Tensor& a, const Tensor& b, double alpha,
                         const Tensor& out) {
  throw Error("binary: not implemented on CUDA yet");
}
void CudaBackend::where(const Tensor& cond, const Tensor& a, const Tensor& b, const Tensor& out) {
  throw Error("where: not implemented on CUDA yet");
}
void CudaBackend::clamp(const Tensor& x, double low, double high, const Tensor& out) {
  throw Error("clamp: not implemented on CUDA yet");
}
void CudaBackend::reduce(ReduceOp op, const Tensor& x, const Tensor& out) {
  throw Error("reduce: not implemented on CUDA yet");
}
void CudaBackend::arg_reduce(ReduceOp op, const Tensor& x, std::int64_t dim, const Tensor& out) {
  throw Error("arg_reduce: not implemented on CUDA yet");
}
void CudaBackend::uniform(const Tensor& out, double low, double high, PhiloxState state) {
  throw Error("uniform: not implemented on CUDA yet");
}
void CudaBackend::normal(const Tensor& out, double mean, double std, PhiloxState state) {
  throw Error("normal: not implemented on CUDA yet");
}
void CudaBackend::bernoulli(const Tensor& p, const Tensor& out, PhiloxState state) {
  throw Error("bernoulli: not implemented on CUDA yet");
}
void CudaBackend::randint(const Tensor& out, std::int64_t low, std::int64_t high,
                          PhiloxState state) {
  throw Error("randint: not implemented on CUDA yet");
}

Allocator& caching_allocator(int index) {
  throw Error("cuda:" + std::to_string(index) + ": the CUDA allocator is not implemented yet");
}
DeviceMemoryStats memory_stats(int) {
  throw Error("cuda::memory_stats: not implemented yet");
}
void reset_peak_memory_stats(int) {
  throw Error("cuda::reset_peak_memory_stats: not implemented yet");
}
void empty_cache() {
  throw Error("cuda::empty_cache: not implemented yet");
}

}  // namespace mg::cuda
