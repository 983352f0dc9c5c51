#pragma once

#include "core/backend.h"

namespace mg::cuda {

// The CUDA kernels: own kernels for elementwise ops, reductions, softmax, losses, norms, indexing
// and random numbers; cuBLAS for matmul; cuDNN for convolution. Each group of methods lives in
// its own file in this folder. Every call runs on the stream of the device of its operands.
class CudaBackend final : public Backend {
 public:
  // elementwise.cu
  void copy(const Tensor& src, const Tensor& out) override;
  void fill(const Tensor& out, double value) override;
  void unary(UnaryOp op, const Tensor& x, const Tensor& out) override;
  void binary(BinaryOp op, const Tensor& a, const Tensor& b, double alpha,
              const Tensor& out) override;
  void where(const Tensor& cond, const Tensor& a, const Tensor& b, const Tensor& out) override;
  void clamp(const Tensor& x, double low, double high, const Tensor& out) override;
  // reduction.cu
  void reduce(ReduceOp op, const Tensor& x, const Tensor& out) override;
  void arg_reduce(ReduceOp op, const Tensor& x, std::int64_t dim, const Tensor& out) override;
  // random.cu
  void uniform(const Tensor& out, double low, double high, PhiloxState state) override;
  void normal(const Tensor& out, double mean, double std, PhiloxState state) override;
  void bernoulli(const Tensor& p, const Tensor& out, PhiloxState state) override;
  void randint(const Tensor& out, std::int64_t low, std::int64_t high, PhiloxState state) override;
  // gemm.cu
  void matmul(const Tensor& a, const Tensor& b, const Tensor& out) override;
  // index.cu
  void index_select(const Tensor& x, std::int64_t dim, const Tensor& index,
                    const Tensor& out) override;
  void index_add(const Tensor& out, std::int64_t dim, const Tensor& index,
                 const Tensor& src) override;
  void gather(const Tensor& x, std::int64_t dim, const Tensor& index, const Tensor& out) override;
  void scatter_add(const Tensor& out, std::int64_t dim, const Tensor& index,
                   const Tensor& src) override;
  // softmax.cu
  void softmax(const Tensor& x, std::int64_t dim, bool log, const Tensor& out) override;
  void softmax_backward(const Tensor& grad_y, const Tensor& y, std::int64_t dim, bool log,
                        const Tensor& grad_x) override;
  // layer_norm.cu
  void layer_norm(const Tensor& x, const Tensor& weight, const Tensor& bias, double eps,
                  const Tensor& out, const Tensor& mean, const Tensor& rstd) override;
  void layer_norm_backward(const Tensor& grad_out, const Tensor& x, const Tensor& mean,
                           const Tensor& rstd, const Tensor& weight, const Tensor& grad_x,
                           const Tensor& grad_weight, const Tensor& grad_bias) override;
  // batch_norm.cu
  void batch_norm(const Tensor& x, const Tensor& weight, const Tensor& bias,
                  const Tensor& running_mean, const Tensor& running_var, bool training,
                  double momentum, double eps, const Tensor& out, const Tensor& save_mean,
                  const Tensor& save_invstd) override;
  void batch_norm_backward(const Tensor& grad_out, const Tensor& x, const Tensor& weight,
                           const Tensor& save_mean, const Tensor& save_invstd, bool training,
                           const Tensor& grad_x, const Tensor& grad_weight,
                           const Tensor& grad_bias) override;
  // loss.cu
  void nll_loss(const Tensor& input, const Tensor& target, const Tensor& weight,
                Reduction reduction, std::int64_t ignore_index, const Tensor& out,
                const Tensor& total_weight) override;
  void nll_loss_backward(const Tensor& grad_out, const Tensor& target, const Tensor& weight,
                         Reduction reduction, std::int64_t ignore_index, const Tensor& total_weight,
                         const Tensor& grad_input) override;
  // conv.cu
  void conv(const Tensor& x, const Tensor& weight, const Tensor& bias, const ConvParams& params,
            const Tensor& out) override;
  void conv_backward(const Tensor& grad_out, const Tensor& x, const Tensor& weight,
                     const ConvParams& params, const Tensor& grad_x, const Tensor& grad_weight,
                     const Tensor& grad_bias) override;
  // pool.cu
  void max_pool(const Tensor& x, const PoolParams& params, const Tensor& out,
                const Tensor& indices) override;
  void max_pool_backward(const Tensor& grad_out, const Tensor& indices,
                         const Tensor& grad_x) override;
  void avg_pool(const Tensor& x, const PoolParams& params, const Tensor& out) override;
  void avg_pool_backward(const Tensor& grad_out, const PoolParams& params,
                         const Tensor& grad_x) override;
  void adaptive_avg_pool(const Tensor& x, const Tensor& out) override;
  void adaptive_avg_pool_backward(const Tensor& grad_out, const Tensor& grad_x) override;
};

// The one CudaBackend instance.
Backend& cuda_backend();

}  // namespace mg::cuda
