#include "layers/models/i3d.h"

#include <algorithm>
#include <limits>

#include "autograd/ops.h"
#include "core/error.h"

namespace mg::nn {
namespace {

// The widths [b0, b1a, b1b, b2a, b2b, b3b] of each inception module, at full width.
const std::vector<std::pair<std::string, std::vector<std::int64_t>>>& mixed_widths() {
  static const std::vector<std::pair<std::string, std::vector<std::int64_t>>> widths = {
      {"Mixed_3b", {64, 96, 128, 16, 32, 32}},     {"Mixed_3c", {128, 128, 192, 32, 96, 64}},
      {"Mixed_4b", {192, 96, 208, 16, 48, 64}},    {"Mixed_4c", {160, 112, 224, 24, 64, 64}},
      {"Mixed_4d", {128, 128, 256, 24, 64, 64}},   {"Mixed_4e", {112, 144, 288, 32, 64, 64}},
      {"Mixed_4f", {256, 160, 320, 32, 128, 128}}, {"Mixed_5b", {256, 160, 320, 32, 128, 128}},
      {"Mixed_5c", {384, 192, 384, 48, 128, 128}},
  };
  return widths;
}

// Pads only what the operator's own symmetric padding cannot: the extra back cell of each
// asymmetric dim. Returns the input itself when the padding is symmetric.
Tensor pad_asymmetric_rest(const Tensor& x, const SamePadding& padding, double value) {
  if (padding.symmetric()) return x;
  std::vector<std::int64_t> pads;  // F.pad order: last dim first, (front, back) pairs
  for (std::size_t d = padding.front.size(); d-- > 0;) {
    pads.push_back(0);
    pads.push_back(padding.back[d] - padding.front[d]);
  }
  return pad(x, pads, value);
}

void check_rank5(const Tensor& input, const std::string& who) {
  MG_CHECK(input.defined() && input.dim() == 5, who,
           ": expected a batched input [N, C, T, H, W], got ", describe(input));
}

}  // namespace

SamePadding same_padding(const Shape& kernel, const Shape& stride, const Shape& spatial_size) {
  SamePadding padding;
  for (std::size_t d = 0; d < spatial_size.size(); ++d) {
    const std::int64_t k = kernel[d], s = stride[d], n = spatial_size[d];
    const std::int64_t total =
        n % s == 0 ? std::max<std::int64_t>(k - s, 0) : std::max<std::int64_t>(k - n % s, 0);
    padding.front.push_back(total / 2);
    padding.back.push_back(total - total / 2);
  }
  return padding;
}

Unit3D::Unit3D(Unit3DOptions options) : Module("Unit3D"), options_(std::move(options)) {
  MG_CHECK(options_.kernel.size() == 3 && options_.stride.size() == 3,
           "Unit3D: kernel and stride need 3 values each, got ", options_.kernel, " and ",
           options_.stride);
  conv3d = register_module(
      "conv3d", std::make_shared<Conv3d>(
                    Conv3dOptions(options_.in_channels, options_.out_channels, options_.kernel)
                        .stride(options_.stride)
                        .bias(options_.bias)));
  if (options_.batch_norm) {
    BatchNormOptions bn_options;
    bn_options.eps = 0.001;
    bn_options.momentum = 0.01;
    bn = register_module("bn", std::make_shared<BatchNorm3d>(options_.out_channels, bn_options));
  }
}

Tensor Unit3D::forward(const Tensor& input) {
  check_rank5(input, "Unit3D");
  MG_CHECK(input.size(1) == options_.in_channels, "Unit3D: expected ", options_.in_channels,
           " input channels, got ", describe(input));
  const Shape spatial(input.shape().begin() + 2, input.shape().end());
  const SamePadding padding = same_padding(options_.kernel, options_.stride, spatial);
  Tensor x = mg::conv3d(pad_asymmetric_rest(input, padding, 0.0), conv3d->weight, conv3d->bias,
                        options_.stride, padding.front);
  if (bn) x = bn->forward(x);
  if (options_.activation) x = relu(x);
  return x;
}

MaxPool3dSamePadding::MaxPool3dSamePadding(Shape kernel, Shape stride)
    : Module("MaxPool3dSamePadding"), kernel_(std::move(kernel)), stride_(std::move(stride)) {
  MG_CHECK(kernel_.size() == 3 && stride_.size() == 3,
           "MaxPool3dSamePadding: kernel and stride need 3 values each, got ", kernel_, " and ",
           stride_);
}

Tensor MaxPool3dSamePadding::forward(const Tensor& input) {
  check_rank5(input, "MaxPool3dSamePadding");
  const Shape spatial(input.shape().begin() + 2, input.shape().end());
  const SamePadding padding = same_padding(kernel_, stride_, spatial);
  return max_pool3d(pad_asymmetric_rest(input, padding, -std::numeric_limits<double>::infinity()),
                    kernel_, stride_, padding.front);
}

InceptionModule::InceptionModule(std::int64_t in_channels, const std::vector<std::int64_t>& out)
    : Module("InceptionModule") {
  MG_CHECK(out.size() == 6, "InceptionModule: needs 6 branch widths, got ", out.size());
  auto unit = [&](const char* name, std::int64_t in, std::int64_t width, std::int64_t k) {
    return register_module(name, std::make_shared<Unit3D>(Unit3DOptions{in, width, {k, k, k}}));
  };
  b0 = unit("b0", in_channels, out[0], 1);
  b1a = unit("b1a", in_channels, out[1], 1);
  b1b = unit("b1b", out[1], out[2], 3);
  b2a = unit("b2a", in_channels, out[3], 1);
  b2b = unit("b2b", out[3], out[4], 3);
  b3a = register_module("b3a",
                        std::make_shared<MaxPool3dSamePadding>(Shape{3, 3, 3}, Shape{1, 1, 1}));
  b3b = unit("b3b", in_channels, out[5], 1);
  out_channels_ = out[0] + out[2] + out[4] + out[5];
}

Tensor InceptionModule::forward(const Tensor& input) {
  return cat({b0->forward(input), b1b->forward(b1a->forward(input)),
              b2b->forward(b2a->forward(input)), b3b->forward(b3a->forward(input))},
             1);
}

const std::vector<std::string>& InceptionI3d::end_point_names() {
  static const std::vector<std::string> names = {
      "Conv3d_1a_7x7",    "MaxPool3d_2a_3x3", "Conv3d_2b_1x1", "Conv3d_2c_3x3",
      "MaxPool3d_3a_3x3", "Mixed_3b",         "Mixed_3c",      "MaxPool3d_4a_3x3",
      "Mixed_4b",         "Mixed_4c",         "Mixed_4d",      "Mixed_4e",
      "Mixed_4f",         "MaxPool3d_5a_2x2", "Mixed_5b",      "Mixed_5c"};
  return names;
}

InceptionI3d::InceptionI3d(InceptionI3dOptions options)
    : Module("InceptionI3d"), options_(std::move(options)) {
  const auto& names = end_point_names();
  const std::string& final_endpoint = options_.final_endpoint;
  const bool head = final_endpoint == "Logits" || final_endpoint == "Predictions";
  MG_CHECK(head || std::find(names.begin(), names.end(), final_endpoint) != names.end(),
           "InceptionI3d: unknown final endpoint \"", final_endpoint, "\"");
  MG_CHECK(options_.in_channels > 0 && options_.num_classes > 0 && options_.width_divisor > 0,
           "InceptionI3d: in_channels (", options_.in_channels, "), num_classes (",
           options_.num_classes, ") and width_divisor (", options_.width_divisor,
           ") must be positive");
  MG_CHECK(options_.avg_pool_kernel.size() == 3,
           "InceptionI3d: avg_pool_kernel needs 3 values, got ", options_.avg_pool_kernel);
  const auto width = [&](std::int64_t c) {
    return std::max<std::int64_t>(1, c / options_.width_divisor);
  };

  // Built first, registered after the head: pytorch-i3d's registration order.
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> built;
  std::int64_t channels = options_.in_channels;
  for (const std::string& name : names) {
    std::shared_ptr<Module> module;
    if (name == "Conv3d_1a_7x7") {
      module = std::make_shared<Unit3D>(Unit3DOptions{channels, width(64), {7, 7, 7}, {2, 2, 2}});
      channels = width(64);
    } else if (name == "Conv3d_2b_1x1") {
      module = std::make_shared<Unit3D>(Unit3DOptions{channels, width(64)});
      channels = width(64);
    } else if (name == "Conv3d_2c_3x3") {
      module = std::make_shared<Unit3D>(Unit3DOptions{channels, width(192), {3, 3, 3}});
      channels = width(192);
    } else if (name == "MaxPool3d_2a_3x3" || name == "MaxPool3d_3a_3x3") {
      module = std::make_shared<MaxPool3dSamePadding>(Shape{1, 3, 3}, Shape{1, 2, 2});
    } else if (name == "MaxPool3d_4a_3x3") {
      module = std::make_shared<MaxPool3dSamePadding>(Shape{3, 3, 3}, Shape{2, 2, 2});
    } else if (name == "MaxPool3d_5a_2x2") {
      module = std::make_shared<MaxPool3dSamePadding>(Shape{2, 2, 2}, Shape{2, 2, 2});
    } else {
      const auto& widths = mixed_widths();
      const auto found = std::find_if(widths.begin(), widths.end(),
                                      [&](const auto& entry) { return entry.first == name; });
      std::vector<std::int64_t> out;
      for (std::int64_t c : found->second) out.push_back(width(c));
      auto mixed = std::make_shared<InceptionModule>(channels, out);
      channels = mixed->out_channels();
      module = mixed;
    }
    built.emplace_back(name == "Conv3d_1a_7x7" ? options_.stem_name : name, module);
    if (name == final_endpoint) break;
  }
  feature_dim_ = channels;

  if (head) {
    PoolOptions pool;
    pool.kernel_size = options_.avg_pool_kernel;
    pool.stride = {1, 1, 1};
    avg_pool = register_module("avg_pool", std::make_shared<AvgPool3d>(pool));
    dropout = register_module("dropout", std::make_shared<Dropout>(options_.dropout_keep_prob));
    replace_logits(options_.num_classes);
  }
  for (auto& [name, module] : built) {
    register_module(name, module);
    end_points_.push_back(module);
  }
}

void InceptionI3d::replace_logits(std::int64_t num_classes) {
  MG_CHECK(avg_pool != nullptr,
           "InceptionI3d: replace_logits needs the Logits head (final "
           "endpoint \"",
           options_.final_endpoint, "\")");
  MG_CHECK(num_classes > 0, "InceptionI3d: num_classes must be positive, got ", num_classes);
  auto layer = std::make_shared<Unit3D>(
      Unit3DOptions{feature_dim_, num_classes, {1, 1, 1}, {1, 1, 1}, false, false, true});
  logits = logits ? replace_module("logits", layer) : register_module("logits", layer);
  options_.num_classes = num_classes;
}

void InceptionI3d::check_input(const Tensor& input) const {
  MG_CHECK(input.defined() && input.dim() == 5 && input.size(1) == options_.in_channels,
           "InceptionI3d: expected input [N, ", options_.in_channels, ", T, H, W], got ",
           describe(input));
}

Tensor InceptionI3d::trunk(const Tensor& input) {
  check_input(input);
  Tensor x = input;
  for (const auto& module : end_points_) x = module->forward(x);
  return x;
}

Tensor InceptionI3d::extract_features(const Tensor& input) {
  MG_CHECK(has_head(), "InceptionI3d: extract_features needs the Logits head (final endpoint \"",
           options_.final_endpoint, "\")");
  const Tensor x = trunk(input);
  const Shape& kernel = options_.avg_pool_kernel;
  MG_CHECK(x.size(2) >= kernel[0] && x.size(3) >= kernel[1] && x.size(4) >= kernel[2],
           "InceptionI3d: avg_pool kernel ", kernel, " is larger than the Mixed_5c output ",
           describe(x), " of input ", describe(input),
           " (a 7×7 kernel needs frames of at least 193×193, 224×224 in the original)");
  return avg_pool->forward(x);
}

Tensor InceptionI3d::forward(const Tensor& input) {
  if (!has_head()) return trunk(input);
  Tensor x = logits->forward(dropout->forward(extract_features(input)));
  if (!options_.spatial_squeeze) return x;
  if (x.size(3) == 1) x = squeeze(x, 3);
  if (x.dim() > 3 && x.size(3) == 1) x = squeeze(x, 3);
  return x;
}

Tensor InceptionI3d::features(const Tensor& input) {
  return mean(trunk(input), {2, 3, 4});
}

}  // namespace mg::nn
