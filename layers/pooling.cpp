#include "layers/pooling.h"

#include "autograd/convolution.h"
#include "core/error.h"

namespace mg::nn {
namespace {

// The functional ops check the sizes too, but only a layer can name itself in the message.
const Tensor& checked(const Module& module, const Tensor& input, std::int64_t spatial_dims) {
  MG_CHECK(input.defined() && input.dim() == spatial_dims + 2, module.type_name(),
           ": expected a batched input [N, C, ", spatial_dims == 2 ? "H, W" : "D, H, W", "], got ",
           describe(input));
  return input;
}

}  // namespace

Tensor MaxPool2d::forward(const Tensor& input) {
  return max_pool2d(checked(*this, input, 2), options_.kernel_size, options_.stride,
                    options_.padding, options_.ceil_mode);
}

Tensor MaxPool3d::forward(const Tensor& input) {
  return max_pool3d(checked(*this, input, 3), options_.kernel_size, options_.stride,
                    options_.padding, options_.ceil_mode);
}

Tensor AvgPool2d::forward(const Tensor& input) {
  return avg_pool2d(checked(*this, input, 2), options_.kernel_size, options_.stride,
                    options_.padding, options_.ceil_mode, options_.count_include_pad);
}

Tensor AvgPool3d::forward(const Tensor& input) {
  return avg_pool3d(checked(*this, input, 3), options_.kernel_size, options_.stride,
                    options_.padding, options_.ceil_mode, options_.count_include_pad);
}

Tensor AdaptiveAvgPool2d::forward(const Tensor& input) {
  return adaptive_avg_pool2d(checked(*this, input, 2), output_size_);
}

Tensor AdaptiveAvgPool3d::forward(const Tensor& input) {
  return adaptive_avg_pool3d(checked(*this, input, 3), output_size_);
}

}  // namespace mg::nn
