#pragma once

#include <cstdint>

#include "core/tensor.h"

// Differentiable convolution and pooling with the names, arguments and defaults of PyTorch's
// torch.nn.functional. Inputs are batched: [N, C, H, W] for the 2-D ops, [N, C, D, H, W] for
// the 3-D ones. Every list holds one value, used for every spatial dim, or one per spatial dim.
namespace mg {

// weight [C_out, C_in / groups, *kernel]; bias [C_out] or undefined.
Tensor conv2d(const Tensor& x, const Tensor& weight, const Tensor& bias = {},
              const Shape& stride = {1}, const Shape& padding = {0}, const Shape& dilation = {1},
              std::int64_t groups = 1);
Tensor conv3d(const Tensor& x, const Tensor& weight, const Tensor& bias = {},
              const Shape& stride = {1}, const Shape& padding = {0}, const Shape& dilation = {1},
              std::int64_t groups = 1);

// An empty `stride` means stride = kernel.
Tensor max_pool2d(const Tensor& x, const Shape& kernel, const Shape& stride = {},
                  const Shape& padding = {0}, bool ceil_mode = false);
Tensor max_pool3d(const Tensor& x, const Shape& kernel, const Shape& stride = {},
                  const Shape& padding = {0}, bool ceil_mode = false);
Tensor avg_pool2d(const Tensor& x, const Shape& kernel, const Shape& stride = {},
                  const Shape& padding = {0}, bool ceil_mode = false,
                  bool count_include_pad = true);
Tensor avg_pool3d(const Tensor& x, const Shape& kernel, const Shape& stride = {},
                  const Shape& padding = {0}, bool ceil_mode = false,
                  bool count_include_pad = true);

// Output cell i covers input [floor(i·in/out), ceil((i+1)·in/out)) along each spatial dim.
Tensor adaptive_avg_pool2d(const Tensor& x, const Shape& output_size);
Tensor adaptive_avg_pool3d(const Tensor& x, const Shape& output_size);

}  // namespace mg
