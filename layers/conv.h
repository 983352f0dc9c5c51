#pragma once

#include <cstdint>

#include "core/shape.h"
#include "layers/module.h"

namespace mg::nn {

// Settings of a convolution, libtorch style: Conv2dOptions(3, 64, 7).stride(2).padding(3).
// Each size holds one value for every spatial dimension or one per dimension: a single integer,
// or a list ({1, 2, 2}). (The integer overloads exist because Shape's size constructor is
// explicit: without them `7` would not convert.)
class ConvOptions {
 public:
  ConvOptions(std::int64_t in_channels, std::int64_t out_channels, Shape kernel_size)
      : in_channels_(in_channels),
        out_channels_(out_channels),
        kernel_size_(std::move(kernel_size)) {}
  ConvOptions(std::int64_t in_channels, std::int64_t out_channels, std::int64_t kernel_size)
      : ConvOptions(in_channels, out_channels, Shape{kernel_size}) {}
  ConvOptions& stride(Shape value) {
    stride_ = std::move(value);
    return *this;
  }
  ConvOptions& stride(std::int64_t value) { return stride(Shape{value}); }
  ConvOptions& padding(Shape value) {
    padding_ = std::move(value);
    return *this;
  }
  ConvOptions& padding(std::int64_t value) { return padding(Shape{value}); }
  ConvOptions& dilation(Shape value) {
    dilation_ = std::move(value);
    return *this;
  }
  ConvOptions& dilation(std::int64_t value) { return dilation(Shape{value}); }
  ConvOptions& groups(std::int64_t value) {
    groups_ = value;
    return *this;
  }
  ConvOptions& bias(bool value) {
    bias_ = value;
    return *this;
  }

  std::int64_t in_channels() const { return in_channels_; }
  std::int64_t out_channels() const { return out_channels_; }
  const Shape& kernel_size() const { return kernel_size_; }
  const Shape& stride() const { return stride_; }
  const Shape& padding() const { return padding_; }
  const Shape& dilation() const { return dilation_; }
  std::int64_t groups() const { return groups_; }
  bool bias() const { return bias_; }

 private:
  std::int64_t in_channels_;
  std::int64_t out_channels_;
  Shape kernel_size_;
  Shape stride_{1};
  Shape padding_{0};
  Shape dilation_{1};
  std::int64_t groups_ = 1;
  bool bias_ = true;
};
using Conv2dOptions = ConvOptions;
using Conv3dOptions = ConvOptions;

// weight [out, in / groups, k...] with torch.nn.ConvNd's default initialisation
// (kaiming_uniform_(a=√5), bias U(-1/√fan_in, 1/√fan_in)). Mask units: one per output channel.
class ConvNd : public Module {
 public:
  Tensor forward(const Tensor& input) override;
  const ConvOptions& options() const { return options_; }

  Tensor weight;
  Tensor bias;  // undefined without bias

 protected:
  ConvNd(const char* type_name, std::int64_t spatial_dims, ConvOptions options);

 private:
  std::int64_t spatial_dims_;
  ConvOptions options_;
};

class Conv2d : public ConvNd {
 public:
  explicit Conv2d(ConvOptions options) : ConvNd("Conv2d", 2, std::move(options)) {}
};

class Conv3d : public ConvNd {
 public:
  explicit Conv3d(ConvOptions options) : ConvNd("Conv3d", 3, std::move(options)) {}
};

}  // namespace mg::nn
