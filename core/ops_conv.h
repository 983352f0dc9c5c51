#pragma once

#include "core/backend.h"
#include "core/tensor.h"

// Convolution and pooling over 2 or 3 spatial dims (inputs [N, C, H, W] or [N, C, D, H, W]).
// Raw versions: autograd/ops.h has the differentiable conv2d, conv3d, max_pool2d, ...
namespace mg::native {

// `params` lists may hold one value (used for every spatial dim) or one per spatial dim.
Tensor convolution(const Tensor& x, const Tensor& weight, const Tensor& bias, ConvParams params);
struct ConvGrads {
  Tensor x, weight, bias;
};
ConvGrads convolution_backward(const Tensor& grad_out, const Tensor& x, const Tensor& weight,
                               ConvParams params, bool need_x, bool need_weight, bool need_bias);

struct MaxPoolResult {
  Tensor out, indices;
};
MaxPoolResult max_pool(const Tensor& x, PoolParams params);
Tensor max_pool_backward(const Tensor& grad_out, const Tensor& x, const Tensor& indices);
Tensor avg_pool(const Tensor& x, PoolParams params);
Tensor avg_pool_backward(const Tensor& grad_out, const Tensor& x, PoolParams params);
Tensor adaptive_avg_pool(const Tensor& x, const Shape& output_size);
Tensor adaptive_avg_pool_backward(const Tensor& grad_out, const Tensor& x);

}  // namespace mg::native
