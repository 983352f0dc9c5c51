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

Tensor PoolNd::forward(const Tensor& input) {
  const Tensor& x = checked(*this, input, spatial_dims_);
  const PoolOptions& o = options_;
  if (kind_ == Kind::Max) {
    return spatial_dims_ == 2 ? max_pool2d(x, o.kernel_size, o.stride, o.padding, o.ceil_mode)
                              : max_pool3d(x, o.kernel_size, o.stride, o.padding, o.ceil_mode);
  }
  return spatial_dims_ == 2
             ? avg_pool2d(x, o.kernel_size, o.stride, o.padding, o.ceil_mode, o.count_include_pad)
             : avg_pool3d(x, o.kernel_size, o.stride, o.padding, o.ceil_mode, o.count_include_pad);
}

Tensor AdaptiveAvgPoolNd::forward(const Tensor& input) {
  const Tensor& x = checked(*this, input, spatial_dims_);
  return spatial_dims_ == 2 ? adaptive_avg_pool2d(x, output_size_)
                            : adaptive_avg_pool3d(x, output_size_);
}

}  // namespace mg::nn
