#include "autograd/convolution.h"

#include "autograd/record.h"
#include "core/checks.h"
#include "core/ops_conv.h"

namespace mg {

using namespace autograd;

namespace {

// The 2-D ops take 4-d inputs and the 3-D ops 5-d ones: the raw ops accept both.
void check_rank(const char* op, const Tensor& x, std::int64_t spatial) {
  check_defined(op, x, "input");
  MG_CHECK(x.dim() == spatial + 2, op, ": expected a ", spatial + 2, "-d input ",
           spatial == 2 ? "[N, C, H, W]" : "[N, C, D, H, W]", ", got ", describe(x));
}

Tensor convolution(const char* op, std::int64_t spatial, const Tensor& x, const Tensor& weight,
                   const Tensor& bias, const ConvParams& params) {
  check_rank(op, x, spatial);
  Tensor out = native::convolution(x, weight, bias, params);
  if (!needs_graph({x, weight, bias})) return out;
  return record("ConvolutionBackward", out, {x, weight, bias},
                [saved_x = SavedTensor(x), saved_weight = SavedTensor(weight), params,
                 has_bias = bias.defined()](const Tensor& g, const Needs& needs) {
                  auto grads =
                      native::convolution_backward(g, saved_x.get(), saved_weight.get(), params,
                                                   needs[0], needs[1], has_bias && needs[2]);
                  return Grads{grads.x, grads.weight, grads.bias};
                });
}

Tensor max_pool(const char* op, std::int64_t spatial, const Tensor& x, const PoolParams& params) {
  check_rank(op, x, spatial);
  auto [out, indices] = native::max_pool(x, params);
  if (!needs_graph({x})) return out;
  return record("MaxPoolBackward", out, {x},
                [shape = x.shape(), indices = indices](const Tensor& g, const Needs&) {
                  return Grads{native::max_pool_backward(g, shape, indices)};
                });
}

Tensor avg_pool(const char* op, std::int64_t spatial, const Tensor& x, const PoolParams& params) {
  check_rank(op, x, spatial);
  Tensor out = native::avg_pool(x, params);
  if (!needs_graph({x})) return out;
  return record("AvgPoolBackward", out, {x},
                [shape = x.shape(), params](const Tensor& g, const Needs&) {
                  return Grads{native::avg_pool_backward(g, shape, params)};
                });
}

Tensor adaptive_avg_pool(const char* op, std::int64_t spatial, const Tensor& x,
                         const Shape& output_size) {
  check_rank(op, x, spatial);
  Tensor out = native::adaptive_avg_pool(x, output_size);
  if (!needs_graph({x})) return out;
  return record("AdaptiveAvgPoolBackward", out, {x},
                [shape = x.shape()](const Tensor& g, const Needs&) {
                  return Grads{native::adaptive_avg_pool_backward(g, shape)};
                });
}

}  // namespace

Tensor conv2d(const Tensor& x, const Tensor& weight, const Tensor& bias, const Shape& stride,
              const Shape& padding, const Shape& dilation, std::int64_t groups) {
  return convolution("conv2d", 2, x, weight, bias, {stride, padding, dilation, groups});
}

Tensor conv3d(const Tensor& x, const Tensor& weight, const Tensor& bias, const Shape& stride,
              const Shape& padding, const Shape& dilation, std::int64_t groups) {
  return convolution("conv3d", 3, x, weight, bias, {stride, padding, dilation, groups});
}

Tensor max_pool2d(const Tensor& x, const Shape& kernel, const Shape& stride, const Shape& padding,
                  bool ceil_mode) {
  return max_pool("max_pool2d", 2, x, {kernel, stride, padding, ceil_mode});
}

Tensor max_pool3d(const Tensor& x, const Shape& kernel, const Shape& stride, const Shape& padding,
                  bool ceil_mode) {
  return max_pool("max_pool3d", 3, x, {kernel, stride, padding, ceil_mode});
}

Tensor avg_pool2d(const Tensor& x, const Shape& kernel, const Shape& stride, const Shape& padding,
                  bool ceil_mode, bool count_include_pad) {
  return avg_pool("avg_pool2d", 2, x, {kernel, stride, padding, ceil_mode, count_include_pad});
}

Tensor avg_pool3d(const Tensor& x, const Shape& kernel, const Shape& stride, const Shape& padding,
                  bool ceil_mode, bool count_include_pad) {
  return avg_pool("avg_pool3d", 3, x, {kernel, stride, padding, ceil_mode, count_include_pad});
}

Tensor adaptive_avg_pool2d(const Tensor& x, const Shape& output_size) {
  return adaptive_avg_pool("adaptive_avg_pool2d", 2, x, output_size);
}

Tensor adaptive_avg_pool3d(const Tensor& x, const Shape& output_size) {
  return adaptive_avg_pool("adaptive_avg_pool3d", 3, x, output_size);
}

}  // namespace mg
