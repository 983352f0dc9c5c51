#pragma once

#include <cstdint>

#include "core/generator.h"
#include "core/tensor.h"

// Differentiable neural-network functions, as torch.nn.functional. Softmax, the norms and
// their backward passes run fused kernels (core/ops_nn.h); their gradients are not themselves
// differentiable (no double backward).
namespace mg {

Tensor softmax(const Tensor& x, std::int64_t dim);
Tensor log_softmax(const Tensor& x, std::int64_t dim);

// Normalises over the trailing dims `normalized_shape` (biased variance); weight and bias have
// that shape, or are undefined.
Tensor layer_norm(const Tensor& x, const Shape& normalized_shape, const Tensor& weight = {},
                  const Tensor& bias = {}, double eps = 1e-5);

// x is [N, C, *]; every other tensor is [C] or undefined. Training normalises with the batch
// statistics and updates defined running statistics in place (running = (1 - momentum)·running
// + momentum·batch, unbiased variance); undefined ones mean PyTorch's
// track_running_stats=False. Evaluation normalises with the running statistics, which it
// needs. Running statistics get no gradient.
Tensor batch_norm(const Tensor& x, const Tensor& running_mean, const Tensor& running_var,
                  const Tensor& weight, const Tensor& bias, bool training, double momentum = 0.1,
                  double eps = 1e-5);

// Inverted dropout: in training, zeroes each element with probability p (mask drawn with
// mg::bernoulli from `generator`, or the default one) and scales the rest by 1/(1 - p); p = 1
// gives x·0. Not training, or p = 0, returns x itself.
Tensor dropout(const Tensor& x, double p, bool training, Generator* generator = nullptr);

}  // namespace mg
