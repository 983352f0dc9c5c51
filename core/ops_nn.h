#pragma once

#include <cstdint>

#include "core/tensor.h"

// Fused neural-network ops with their own backward kernels. Raw versions: autograd/ops.h has
// the differentiable ones.
namespace mg::native {

Tensor softmax(const Tensor& x, std::int64_t dim);
Tensor log_softmax(const Tensor& x, std::int64_t dim);
// grad_x from grad_y and y = (log_)softmax(x).
Tensor softmax_backward(const Tensor& grad_y, const Tensor& y, std::int64_t dim);
Tensor log_softmax_backward(const Tensor& grad_y, const Tensor& y, std::int64_t dim);

struct LayerNormResult {
  Tensor out, mean, rstd;  // mean and rstd: one value per normalised row
};
// Normalises over the trailing dims given by `normalized_shape`; weight and bias have that
// shape, or are undefined.
LayerNormResult layer_norm(const Tensor& x, const Shape& normalized_shape, const Tensor& weight,
                           const Tensor& bias, double eps);
struct LayerNormGrads {
  Tensor x, weight, bias;
};
LayerNormGrads layer_norm_backward(const Tensor& grad_out, const Tensor& x,
                                   const LayerNormResult& forward, const Tensor& weight,
                                   bool need_x, bool need_weight, bool need_bias);

struct BatchNormResult {
  Tensor out, save_mean, save_invstd;  // per channel
};
// x is [N, C, *]; weight, bias, running_mean and running_var are [C] or undefined. In
// training the running statistics are updated in place (PyTorch's momentum convention:
// running = (1 - momentum)·running + momentum·batch, with the unbiased batch variance).
BatchNormResult batch_norm(const Tensor& x, const Tensor& weight, const Tensor& bias,
                           const Tensor& running_mean, const Tensor& running_var, bool training,
                           double momentum, double eps);
struct BatchNormGrads {
  Tensor x, weight, bias;
};
BatchNormGrads batch_norm_backward(const Tensor& grad_out, const Tensor& x, const Tensor& weight,
                                   const BatchNormResult& forward, bool training, bool need_x,
                                   bool need_weight, bool need_bias);

}  // namespace mg::native
