#pragma once

#include <cstdint>

#include "core/tensor.h"

// Fused neural-network ops with their own backward kernels. Raw versions: autograd/ops.h has
// the differentiable ones. All take floating-point tensors, of one dtype and device.
namespace mg::native {

// (Log-)softmax along `dim` (PyTorch's softmax / log_softmax with dtype unset).
Tensor softmax(const Tensor& x, std::int64_t dim);
Tensor log_softmax(const Tensor& x, std::int64_t dim);
// grad_x from grad_y and y = (log_)softmax(x).
Tensor softmax_backward(const Tensor& grad_y, const Tensor& y, std::int64_t dim);
Tensor log_softmax_backward(const Tensor& grad_y, const Tensor& y, std::int64_t dim);

struct LayerNormResult {
  // mean and rstd = 1/sqrt(var + eps), one per normalised row, shaped as in PyTorch: x's
  // leading dims followed by a 1 for every normalised dim.
  Tensor out, mean, rstd;
};
// Normalises over the trailing dims given by `normalized_shape` with the biased variance;
// weight and bias have that shape, or are undefined.
LayerNormResult layer_norm(const Tensor& x, const Shape& normalized_shape, const Tensor& weight,
                           const Tensor& bias, double eps);
struct LayerNormGrads {
  Tensor x, weight, bias;  // undefined where not asked for
};
LayerNormGrads layer_norm_backward(const Tensor& grad_out, const Tensor& x,
                                   const Shape& normalized_shape, const LayerNormResult& forward,
                                   const Tensor& weight, bool need_x, bool need_weight,
                                   bool need_bias);

struct BatchNormResult {
  // Per channel: the statistics that normalised x (batch ones in training, running ones in
  // evaluation), with save_invstd = 1/sqrt(var + eps).
  Tensor out, save_mean, save_invstd;
};
// x is [N, C, *]; weight, bias, running_mean and running_var are [C] or undefined. Training
// normalises with the batch statistics (biased variance) and, when running statistics are
// given, updates them in place with PyTorch's momentum convention: running = (1 - momentum)·
// running + momentum·batch, using the unbiased batch variance. Evaluation needs the running
// statistics and normalises with them.
BatchNormResult batch_norm(const Tensor& x, const Tensor& weight, const Tensor& bias,
                           const Tensor& running_mean, const Tensor& running_var, bool training,
                           double momentum, double eps);
struct BatchNormGrads {
  Tensor x, weight, bias;  // undefined where not asked for
};
// `training` must be the forward's: it says whether the saved statistics depend on x.
BatchNormGrads batch_norm_backward(const Tensor& grad_out, const Tensor& x, const Tensor& weight,
                                   const BatchNormResult& forward, bool training, bool need_x,
                                   bool need_weight, bool need_bias);

}  // namespace mg::native
