#include "core/ops_conv.h"

#include <algorithm>
#include <cstdint>

#include "core/checks.h"
#include "core/creation.h"
#include "core/ops_copy.h"
#include "core/ops_index.h"
#include "core/ops_reduction.h"
#include "core/ops_view.h"

namespace mg::native {

namespace {

// The number of spatial dims of an input of `shape` ([N, C, *spatial] with 2 or 3 of them),
// described as `what` in errors; `family` is "conv", "max_pool", ... and the error names it
// without a dim count, since there is none yet.
std::int64_t spatial_dims(const char* family, const Shape& shape, const std::string& what) {
  MG_CHECK(shape.size() == 4 || shape.size() == 5, family, ": expected a 4-d [N, C, H, W] or ",
           "5-d [N, C, D, H, W] input, got ", what);
  return static_cast<std::int64_t>(shape.size()) - 2;
}

std::int64_t spatial_dims(const char* family, const Tensor& x) {
  check_defined(family, x, "input");
  return spatial_dims(family, x.shape(), describe(x));
}

// "conv2d", "max_pool3d", ...: the name errors use.
std::string op_name(const char* family, std::int64_t spatial) {
  return str(family, spatial, "d");
}

// One entry per spatial dim, from a list of one entry or one per spatial dim.
Shape per_dim(const std::string& op, const char* what, const Shape& values, std::int64_t spatial) {
  MG_CHECK(values.size() == 1 || static_cast<std::int64_t>(values.size()) == spatial, op,
           ": expected ", what, " to have 1 or ", spatial, " entries, got ", values);
  return values.size() == 1 ? Shape(spatial, values[0]) : values;
}

void check_all(const std::string& op, const char* what, const Shape& values, std::int64_t min) {
  for (std::int64_t v : values) {
    MG_CHECK(v >= min, op, ": expected every ", what, " entry to be ",
             min == 0 ? "non-negative" : "positive", ", got ", what, " ", values);
  }
}

// Pooling reads every output from a non-empty plane (PyTorch rejects empty ones too): with padding
// a kernel may fit around an empty dim, and its windows would then hold no element.
void check_nonempty_plane(const std::string& op, const Shape& shape, const std::string& what) {
  for (std::size_t d = 2; d < shape.size(); ++d) {
    MG_CHECK(shape[d] > 0, op, ": expected a non-empty input plane (every spatial size positive), ",
             "got ", what);
  }
}

struct ConvSetup {
  std::string op;
  ConvParams params;  // one entry per spatial dim
  Shape out_shape;
};

ConvSetup conv_setup(const Tensor& x, const Tensor& weight, const Tensor& bias,
                     const ConvParams& params) {
  const std::int64_t spatial = spatial_dims("convolution", x);
  const std::string op = op_name("conv", spatial);
  const char* name = op.c_str();
  check_defined(name, weight, "weight");
  check_same_device(name, {&x, &weight, &bias});
  check_floating(name, x);
  check_same_dtype(name, x, weight);
  MG_CHECK(weight.dim() == x.dim(), op, ": expected weight to be ", x.dim(),
           "-d [C_out, C_in / groups, *kernel], got weight ", describe(weight), " for input ",
           describe(x));
  const std::int64_t groups = params.groups;
  const std::int64_t in_channels = x.size(1), out_channels = weight.size(0);
  MG_CHECK(groups > 0, op, ": expected groups to be positive, got ", groups);
  MG_CHECK(in_channels % groups == 0, op, ": input channels (", in_channels,
           ") are not divisible by groups (", groups, "), input ", describe(x));
  MG_CHECK(weight.size(1) * groups == in_channels, op, ": input ", describe(x), " has ",
           in_channels, " channels but weight ", describe(weight), " expects ", weight.size(1),
           " × groups ", groups, " = ", weight.size(1) * groups);
  MG_CHECK(out_channels > 0 && out_channels % groups == 0, op, ": weight ", describe(weight),
           " has ", out_channels, " output channels, expected a positive multiple of groups (",
           groups, ")");
  if (bias.defined()) {
    check_same_dtype(name, x, bias);
    MG_CHECK(bias.dim() == 1 && bias.size(0) == out_channels, op, ": expected bias of shape [",
             out_channels, "] for weight ", describe(weight), ", got bias ", describe(bias));
  }
  ConvSetup setup{op, {}, {x.size(0), out_channels}};
  setup.params.groups = groups;
  setup.params.stride = per_dim(op, "stride", params.stride, spatial);
  setup.params.padding = per_dim(op, "padding", params.padding, spatial);
  setup.params.dilation = per_dim(op, "dilation", params.dilation, spatial);
  check_all(op, "stride", setup.params.stride, 1);
  check_all(op, "padding", setup.params.padding, 0);
  check_all(op, "dilation", setup.params.dilation, 1);
  for (std::int64_t d = 0; d < spatial; ++d) {
    const std::int64_t padded = x.size(2 + d) + 2 * setup.params.padding[d];
    const std::int64_t extent = setup.params.dilation[d] * (weight.size(2 + d) - 1) + 1;
    MG_CHECK(extent <= padded, op, ": kernel extent ", extent, " (kernel ", weight.size(2 + d),
             ", dilation ", setup.params.dilation[d], ") is larger than the padded input size ",
             padded, " along spatial dim ", d, ", input ", describe(x), ", weight ",
             describe(weight), ", padding ", setup.params.padding);
    setup.out_shape.push_back((padded - extent) / setup.params.stride[d] + 1);
  }
  return setup;
}

struct PoolSetup {
  std::string op;
  PoolParams params;  // one entry per spatial dim
  Shape out_shape;
};

// `shape` is the input's, `what` describes it in errors.
PoolSetup pool_setup(const char* family, const Shape& shape, const std::string& what,
                     const PoolParams& params) {
  const std::int64_t spatial = spatial_dims(family, shape, what);
  const std::string op = op_name(family, spatial);
  PoolSetup setup{op, params, {shape[0], shape[1]}};
  PoolParams& p = setup.params;
  p.kernel = per_dim(op, "kernel", params.kernel, spatial);
  p.stride = params.stride.empty() ? p.kernel : per_dim(op, "stride", params.stride, spatial);
  p.padding = per_dim(op, "padding", params.padding, spatial);
  check_all(op, "kernel", p.kernel, 1);
  check_all(op, "stride", p.stride, 1);
  check_all(op, "padding", p.padding, 0);
  check_nonempty_plane(op, shape, what);
  for (std::int64_t d = 0; d < spatial; ++d) {
    const std::int64_t in = shape[2 + d], k = p.kernel[d], s = p.stride[d], pad = p.padding[d];
    MG_CHECK(pad <= k / 2, op, ": padding ", pad, " is more than half the kernel size ", k,
             " along spatial dim ", d, ", input ", what, ", kernel ", p.kernel, ", padding ",
             p.padding);
    MG_CHECK(k <= in + 2 * pad, op, ": kernel size ", k, " is larger than the padded input size ",
             in + 2 * pad, " along spatial dim ", d, ", input ", what, ", kernel ", p.kernel,
             ", padding ", p.padding);
    std::int64_t out = (in + 2 * pad - k + (p.ceil_mode ? s - 1 : 0)) / s + 1;
    // In ceil mode the last window must start inside the input or its left padding.
    if (p.ceil_mode && (out - 1) * s >= in + pad) --out;
    setup.out_shape.push_back(out);
  }
  return setup;
}

PoolSetup pool_setup(const char* family, const Tensor& x, const PoolParams& params) {
  PoolSetup setup = pool_setup(family, x.shape(), describe(x), params);
  check_floating(setup.op.c_str(), x);
  return setup;
}

// Checks a pooling gradient: floating, of shape `expected` when given, and for an input of
// `input_shape` (its batch and channels).
void check_pool_grad(const std::string& op, const Tensor& grad_out, const Shape& input_shape,
                     const Shape* expected) {
  check_defined(op.c_str(), grad_out, "grad_out");
  check_floating(op.c_str(), grad_out);
  const bool matches = expected != nullptr
                           ? grad_out.shape() == *expected
                           : grad_out.dim() == static_cast<std::int64_t>(input_shape.size()) &&
                                 grad_out.size(0) == input_shape[0] &&
                                 grad_out.size(1) == input_shape[1];
  MG_CHECK(matches, op, ": grad_out ", describe(grad_out), " does not fit an input of shape ",
           input_shape, expected != nullptr ? str(" (expected ", *expected, ")") : std::string());
}

// Checks that `indices` (int64, already of grad_out's shape) can come from max_pool of an input
// of `input_shape`: same rank, batch and channels, and every index inside the input plane. The
// kernel writes where the indices point, so this is all that keeps it inside grad_x.
void check_pool_indices(const std::string& op, const Tensor& indices, const Shape& input_shape) {
  MG_CHECK(indices.dim() == static_cast<std::int64_t>(input_shape.size()) &&
               indices.size(0) == input_shape[0] && indices.size(1) == input_shape[1],
           op, ": indices ", describe(indices), " do not fit an input of shape ", input_shape,
           " (expected [", input_shape[0], ", ", input_shape[1], ", *spatial] with ",
           input_shape.size() - 2, " spatial dims)");
  check_nonempty_plane(op, input_shape, str("input shape ", input_shape));
  std::int64_t plane = 1;
  for (std::size_t d = 2; d < input_shape.size(); ++d) plane *= input_shape[d];
  // Checked before any kernel runs: kernels cannot throw. On a GPU the indices stay there: their
  // minimum and maximum come back, in one copy (copying them all would cost more than the
  // pooling).
  if (!indices.device().is_cpu() && indices.numel() > 0) {
    const Tensor bounds = to(cat({reshape(reduce(ReduceOp::Min, indices), {1}),
                                  reshape(reduce(ReduceOp::Max, indices), {1})},
                                 0),
                             Device::cpu());
    const std::int64_t* range = bounds.data_ptr<std::int64_t>();
    if (range[0] >= 0 && range[1] < plane) return;
  }
  // On the CPU one branch-free pass finds whether any index is off (a negative one wraps to a
  // huge unsigned value); only then is the first one looked up for the message.
  const Tensor values = contiguous(to(indices, Device::cpu()));
  const std::int64_t* data = values.data_ptr<std::int64_t>();
  const std::int64_t n = values.numel();
  std::int64_t off = 0;
  for (std::int64_t i = 0; i < n; ++i) {
    off += static_cast<std::uint64_t>(data[i]) >= static_cast<std::uint64_t>(plane);
  }
  if (off == 0) return;
  const std::int64_t* bad =
      std::find_if(data, data + n, [plane](std::int64_t v) { return v < 0 || v >= plane; });
  throw Error(str(op, ": index ", *bad, " at flat position ", bad - data, " of indices ",
                  describe(indices), " is out of range for an input plane of ", plane,
                  " elements (input shape ", input_shape, ")"));
}

void check_grad_out(const std::string& op, const Tensor& grad_out, const Tensor& x,
                    const Shape& expected) {
  check_defined(op.c_str(), grad_out, "grad_out");
  check_same_device(op.c_str(), {&grad_out, &x});
  check_same_dtype(op.c_str(), grad_out, x);
  MG_CHECK(grad_out.shape() == expected, op, ": expected grad_out of shape ", expected,
           " for input ", describe(x), ", got ", describe(grad_out));
}

}  // namespace

Tensor convolution(const Tensor& x, const Tensor& weight, const Tensor& bias, ConvParams params) {
  const ConvSetup setup = conv_setup(x, weight, bias, params);
  Tensor out = empty(setup.out_shape, x.options());
  backend_for(x.device())
      .conv(contiguous(x), contiguous(weight), bias.defined() ? contiguous(bias) : Tensor(),
            setup.params, out);
  return out;
}

ConvGrads convolution_backward(const Tensor& grad_out, const Tensor& x, const Tensor& weight,
                               ConvParams params, bool need_x, bool need_weight, bool need_bias) {
  const ConvSetup setup = conv_setup(x, weight, Tensor(), params);
  const std::string op = setup.op + "_backward";
  check_grad_out(op, grad_out, x, setup.out_shape);
  ConvGrads grads;
  if (need_x) grads.x = empty(x.shape(), x.options());
  if (need_weight) grads.weight = empty(weight.shape(), weight.options());
  if (need_bias) grads.bias = empty({weight.size(0)}, weight.options());
  if (!need_x && !need_weight && !need_bias) return grads;
  backend_for(x.device())
      .conv_backward(contiguous(grad_out), contiguous(x), contiguous(weight), setup.params, grads.x,
                     grads.weight, grads.bias);
  return grads;
}

MaxPoolResult max_pool(const Tensor& x, PoolParams params) {
  const PoolSetup setup = pool_setup("max_pool", x, params);
  MaxPoolResult result{empty(setup.out_shape, x.options()),
                       empty(setup.out_shape, x.options().dtype(kInt64))};
  backend_for(x.device()).max_pool(contiguous(x), setup.params, result.out, result.indices);
  return result;
}

Tensor max_pool_backward(const Tensor& grad_out, const Shape& input_shape, const Tensor& indices) {
  const std::int64_t spatial =
      spatial_dims("max_pool_backward", input_shape, str("input shape ", input_shape));
  const std::string op = op_name("max_pool", spatial) + "_backward";
  check_defined(op.c_str(), indices, "indices");
  check_dtype(op.c_str(), indices, kInt64, "indices");
  check_same_device(op.c_str(), {&grad_out, &indices});
  check_pool_grad(op, grad_out, input_shape, &indices.shape());
  check_pool_indices(op, indices, input_shape);
  Tensor grad_x = empty(input_shape, grad_out.options());
  backend_for(grad_out.device())
      .max_pool_backward(contiguous(grad_out), contiguous(indices), grad_x);
  return grad_x;
}

Tensor avg_pool(const Tensor& x, PoolParams params) {
  const PoolSetup setup = pool_setup("avg_pool", x, params);
  Tensor out = empty(setup.out_shape, x.options());
  backend_for(x.device()).avg_pool(contiguous(x), setup.params, out);
  return out;
}

Tensor avg_pool_backward(const Tensor& grad_out, const Shape& input_shape, PoolParams params) {
  const PoolSetup setup =
      pool_setup("avg_pool", input_shape, str("input shape ", input_shape), params);
  check_pool_grad(setup.op + "_backward", grad_out, input_shape, &setup.out_shape);
  Tensor grad_x = empty(input_shape, grad_out.options());
  backend_for(grad_out.device()).avg_pool_backward(contiguous(grad_out), setup.params, grad_x);
  return grad_x;
}

Tensor adaptive_avg_pool(const Tensor& x, const Shape& output_size) {
  const std::int64_t spatial = spatial_dims("adaptive_avg_pool", x);
  const std::string op = op_name("adaptive_avg_pool", spatial);
  check_floating(op.c_str(), x);
  const Shape size = per_dim(op, "output_size", output_size, spatial);
  check_all(op, "output_size", size, 1);
  check_nonempty_plane(op, x.shape(), describe(x));
  Shape shape{x.size(0), x.size(1)};
  for (std::int64_t d = 0; d < spatial; ++d) shape.push_back(size[d]);
  Tensor out = empty(shape, x.options());
  backend_for(x.device()).adaptive_avg_pool(contiguous(x), out);
  return out;
}

Tensor adaptive_avg_pool_backward(const Tensor& grad_out, const Shape& input_shape) {
  const std::int64_t spatial =
      spatial_dims("adaptive_avg_pool_backward", input_shape, str("input shape ", input_shape));
  const std::string op = op_name("adaptive_avg_pool", spatial) + "_backward";
  check_pool_grad(op, grad_out, input_shape, nullptr);
  check_nonempty_plane(op, input_shape, str("input shape ", input_shape));
  Tensor grad_x = empty(input_shape, grad_out.options());
  backend_for(grad_out.device()).adaptive_avg_pool_backward(contiguous(grad_out), grad_x);
  return grad_x;
}

}  // namespace mg::native
