#pragma once

#include <cstdint>

#include "core/backend.h"
#include "core/tensor.h"

// Fused losses with their own backward kernels. Raw versions: autograd/ops.h has the
// differentiable ones (nll_loss, cross_entropy).
namespace mg::native {

struct NllLossResult {
  Tensor out;
  // Σ weight[target] over the targets that are not ignored (0-d): what Mean divides by, and
  // what the backward needs.
  Tensor total_weight;
};
// PyTorch's nll_loss: input holds log-probabilities [N, C], [N, C, d1, ...] or [C]; target
// holds int64 class indices [N], [N, d1, ...] or [] respectively; weight is [C] or undefined.
// Targets equal to ignore_index contribute nothing (0 in Reduction::None); every other target
// must lie in [0, C). Mean divides by total_weight, so all targets ignored gives NaN.
NllLossResult nll_loss(const Tensor& input, const Tensor& target, const Tensor& weight,
                       Reduction reduction, std::int64_t ignore_index);
// The gradient for `input` (of `input_shape`, grad_out's dtype); grad_out has the forward's
// output shape.
Tensor nll_loss_backward(const Tensor& grad_out, const Shape& input_shape, const Tensor& target,
                         const Tensor& weight, Reduction reduction, std::int64_t ignore_index,
                         const Tensor& total_weight);

}  // namespace mg::native
