#include "layers/pooling.h"

#include "autograd/convolution.h"

namespace mg::nn {

Tensor MaxPool2d::forward(const Tensor& input) {
  return max_pool2d(input, options_.kernel_size, options_.stride, options_.padding,
                    options_.ceil_mode);
}

Tensor MaxPool3d::forward(const Tensor& input) {
  return max_pool3d(input, options_.kernel_size, options_.stride, options_.padding,
                    options_.ceil_mode);
}

Tensor AvgPool2d::forward(const Tensor& input) {
  return avg_pool2d(input, options_.kernel_size, options_.stride, options_.padding,
                    options_.ceil_mode, options_.count_include_pad);
}

Tensor AvgPool3d::forward(const Tensor& input) {
  return avg_pool3d(input, options_.kernel_size, options_.stride, options_.padding,
                    options_.ceil_mode, options_.count_include_pad);
}

Tensor AdaptiveAvgPool2d::forward(const Tensor& input) {
  return adaptive_avg_pool2d(input, output_size_);
}

Tensor AdaptiveAvgPool3d::forward(const Tensor& input) {
  return adaptive_avg_pool3d(input, output_size_);
}

}  // namespace mg::nn
