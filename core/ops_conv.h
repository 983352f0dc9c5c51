#pragma once

#include "core/backend.h"
#include "core/tensor.h"

// Convolution and pooling over 2 or 3 spatial dims (inputs [N, C, H, W] or [N, C, D, H, W]).
// Raw versions: autograd/ops.h has the differentiable conv2d, conv3d, max_pool2d, ...
// Errors name the op as the user knows it: conv2d or conv3d, max_pool2d, avg_pool3d, ...,
// after the rank of the input. Unbatched inputs ([C, H, W]) are not accepted.
namespace mg::native {

// `params` lists may hold one value (used for every spatial dim) or one per spatial dim.
// Output size per spatial dim: (in + 2·padding - dilation·(kernel - 1) - 1) / stride + 1.
Tensor convolution(const Tensor& x, const Tensor& weight, const Tensor& bias, ConvParams params);
struct ConvGrads {
  Tensor x, weight, bias;  // undefined when not asked for
};
ConvGrads convolution_backward(const Tensor& grad_out, const Tensor& x, const Tensor& weight,
                               ConvParams params, bool need_x, bool need_weight, bool need_bias);

// Pooling: an empty `stride` means stride = kernel (as in PyTorch); padding is at most half the
// kernel. Output size: (in + 2·padding - kernel) / stride + 1, rounded up in ceil_mode, where a
// last window that would start in the right padding is dropped.
struct MaxPoolResult {
  Tensor out, indices;  // indices: int64, flat position of each maximum within its input plane
};
MaxPoolResult max_pool(const Tensor& x, PoolParams params);
Tensor avg_pool(const Tensor& x, PoolParams params);
// Output cell i covers input [floor(i·in/out), ceil((i+1)·in/out)) along each spatial dim;
// `output_size` holds one value or one per spatial dim.
Tensor adaptive_avg_pool(const Tensor& x, const Shape& output_size);

// Gradients with respect to an input of shape `input_shape` (the backward passes need no more
// of the input). `indices` must be what max_pool returned for that input.
Tensor max_pool_backward(const Tensor& grad_out, const Shape& input_shape, const Tensor& indices);
Tensor avg_pool_backward(const Tensor& grad_out, const Shape& input_shape, PoolParams params);
Tensor adaptive_avg_pool_backward(const Tensor& grad_out, const Shape& input_shape);

}  // namespace mg::native
