#include "layers/conv.h"

#include <cmath>

#include "autograd/ops.h"
#include "core/error.h"
#include "layers/init.h"

namespace mg::nn {

ConvNd::ConvNd(const char* type_name, std::int64_t spatial_dims, ConvOptions options)
    : Module(type_name), spatial_dims_(spatial_dims), options_(std::move(options)) {
  const Shape& kernel = options_.kernel_size();
  const auto check_size = [&](const Shape& values, const char* what, std::int64_t minimum) {
    MG_CHECK(values.size() == 1 || static_cast<std::int64_t>(values.size()) == spatial_dims,
             type_name, ": ", what, " needs 1 or ", spatial_dims, " values, got ", values);
    for (std::int64_t v : values)
      MG_CHECK(v >= minimum, type_name, ": ", what, " values must be at least ", minimum, ", got ",
               values);
  };
  check_size(kernel, "kernel_size", 1);
  check_size(options_.stride(), "stride", 1);
  check_size(options_.padding(), "padding", 0);
  check_size(options_.dilation(), "dilation", 1);
  MG_CHECK(options_.groups() > 0 && options_.in_channels() > 0 && options_.out_channels() > 0 &&
               options_.in_channels() % options_.groups() == 0 &&
               options_.out_channels() % options_.groups() == 0,
           type_name, ": channels (", options_.in_channels(), " → ", options_.out_channels(),
           ") must be positive and divisible by groups (", options_.groups(), ")");
  Shape shape{options_.out_channels(), options_.in_channels() / options_.groups()};
  for (std::int64_t d = 0; d < spatial_dims; ++d)
    shape.push_back(kernel.size() == 1 ? kernel[0] : kernel[d]);
  weight = register_parameter("weight", empty(shape), true, MaskUnits::output_channel());
  init::kaiming_uniform_(weight, std::sqrt(5.0));
  if (options_.bias()) {
    bias = register_parameter("bias", empty({options_.out_channels()}));
    const double fan_in = static_cast<double>(init::calculate_fan_in_and_fan_out(weight).first);
    init::uniform_(bias, -1.0 / std::sqrt(fan_in), 1.0 / std::sqrt(fan_in));
  }
}

Tensor ConvNd::forward(const Tensor& input) {
  MG_CHECK(input.defined() && input.dim() == spatial_dims_ + 2 &&
               input.size(1) == options_.in_channels(),
           type_name(), "(", options_.in_channels(), ", ", options_.out_channels(),
           "): expected a batched input [N, ", options_.in_channels(),
           spatial_dims_ == 2 ? ", H, W]" : ", D, H, W]", ", got ", describe(input));
  if (spatial_dims_ == 2)
    return conv2d(input, weight, bias, options_.stride(), options_.padding(), options_.dilation(),
                  options_.groups());
  return conv3d(input, weight, bias, options_.stride(), options_.padding(), options_.dilation(),
                options_.groups());
}

}  // namespace mg::nn
