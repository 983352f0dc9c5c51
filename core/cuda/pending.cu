// Kernels of the CUDA backend not written yet: each raises a clear error until its file lands.

#include "core/cuda/cuda_backend.cuh"
#include "core/error.h"

namespace mg::cuda {

void CudaBackend::matmul(const Tensor& a, const Tensor& b, const Tensor& out) {
  throw Error("matmul: not implemented on CUDA yet");
}
void CudaBackend::index_select(const Tensor& x, std::int64_t dim, const Tensor& index,
                               const Tensor& out) {
  throw Error("index_select: not implemented on CUDA yet");
}
void CudaBackend::index_add(const Tensor& out, std::int64_t dim, const Tensor& index,
                            const Tensor& src) {
  throw Error("index_add: not implemented on CUDA yet");
}
void CudaBackend::gather(const Tensor& x, std::int64_t dim, const Tensor& index,
                         const Tensor& out) {
  throw Error("gather: not implemented on CUDA yet");
}
void CudaBackend::scatter_add(const Tensor& out, std::int64_t dim, const Tensor& index,
                              const Tensor& src) {
  throw Error("scatter_add: not implemented on CUDA yet");
}
void CudaBackend::softmax(const Tensor& x, std::int64_t dim, bool log, const Tensor& out) {
  throw Error("softmax: not implemented on CUDA yet");
}
void CudaBackend::softmax_backward(const Tensor& grad_y, const Tensor& y, std::int64_t dim,
                                   bool log, const Tensor& grad_x) {
  throw Error("softmax_backward: not implemented on CUDA yet");
}
void CudaBackend::layer_norm(const Tensor& x, const Tensor& weight, const Tensor& bias, double eps,
                             const Tensor& out, const Tensor& mean, const Tensor& rstd) {
  throw Error("layer_norm: not implemented on CUDA yet");
}
void CudaBackend::layer_norm_backward(const Tensor& grad_out, const Tensor& x, const Tensor& mean,
                                      const Tensor& rstd, const Tensor& weight,
                                      const Tensor& grad_x, const Tensor& grad_weight,
                                      const Tensor& grad_bias) {
  throw Error("layer_norm_backward: not implemented on CUDA yet");
}
void CudaBackend::batch_norm(const Tensor& x, const Tensor& weight, const Tensor& bias,
                             const Tensor& running_mean, const Tensor& running_var, bool training,
                             double momentum, double eps, const Tensor& out,
                             const Tensor& save_mean, const Tensor& save_invstd) {
  throw Error("batch_norm: not implemented on CUDA yet");
}
void CudaBackend::batch_norm_backward(const Tensor& grad_out, const Tensor& x, const Tensor& weight,
                                      const Tensor& save_mean, const Tensor& save_invstd,
                                      bool training, const Tensor& grad_x,
                                      const Tensor& grad_weight, const Tensor& grad_bias) {
  throw Error("batch_norm_backward: not implemented on CUDA yet");
}
void CudaBackend::nll_loss(const Tensor& input, const Tensor& target, const Tensor& weight,
                           Reduction reduction, std::int64_t ignore_index, const Tensor& out,
                           const Tensor& total_weight) {
  throw Error("nll_loss: not implemented on CUDA yet");
}
void CudaBackend::nll_loss_backward(const Tensor& grad_out, const Tensor& target,
                                    const Tensor& weight, Reduction reduction,
                                    std::int64_t ignore_index, const Tensor& total_weight,
                                    const Tensor& grad_input) {
  throw Error("nll_loss_backward: not implemented on CUDA yet");
}
void CudaBackend::conv(const Tensor& x, const Tensor& weight, const Tensor& bias,
                       const ConvParams& params, const Tensor& out) {
  throw Error("conv: not implemented on CUDA yet");
}
void CudaBackend::conv_backward(const Tensor& grad_out, const Tensor& x, const Tensor& weight,
                                const ConvParams& params, const Tensor& grad_x,
                                const Tensor& grad_weight, const Tensor& grad_bias) {
  throw Error("conv_backward: not implemented on CUDA yet");
}
void CudaBackend::max_pool(const Tensor& x, const PoolParams& params, const Tensor& out,
                           const Tensor& indices) {
  throw Error("max_pool: not implemented on CUDA yet");
}
void CudaBackend::max_pool_backward(const Tensor& grad_out, const Tensor& indices,
                                    const Tensor& grad_x) {
  throw Error("max_pool_backward: not implemented on CUDA yet");
}
void CudaBackend::avg_pool(const Tensor& x, const PoolParams& params, const Tensor& out) {
  throw Error("avg_pool: not implemented on CUDA yet");
}
void CudaBackend::avg_pool_backward(const Tensor& grad_out, const PoolParams& params,
                                    const Tensor& grad_x) {
  throw Error("avg_pool_backward: not implemented on CUDA yet");
}
void CudaBackend::adaptive_avg_pool(const Tensor& x, const Tensor& out) {
  throw Error("adaptive_avg_pool: not implemented on CUDA yet");
}
void CudaBackend::adaptive_avg_pool_backward(const Tensor& grad_out, const Tensor& grad_x) {
  throw Error("adaptive_avg_pool_backward: not implemented on CUDA yet");
}

}  // namespace mg::cuda
