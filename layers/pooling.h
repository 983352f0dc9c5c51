#pragma once

#include "core/shape.h"
#include "layers/module.h"

// Pooling layers over the functional ops of autograd/convolution.h, with torch.nn's defaults
// (stride = kernel when not given, no padding, floor mode). Each size holds one value for every
// spatial dim or one per dim: MaxPool2d({.kernel_size = {3}, .stride = {2}, .padding = {1}}).
// Deviation from torch.nn: inputs must be batched ([N, C, H, W] / [N, C, D, H, W]).
namespace mg::nn {

struct PoolOptions {
  Shape kernel_size;
  Shape stride = {};  // empty: the kernel size
  Shape padding = {0};
  bool ceil_mode = false;
  bool count_include_pad = true;  // average pooling only
};

// Max or average pooling over `spatial_dims` dims; the classes below only name the variant.
class PoolNd : public Module {
 public:
  Tensor forward(const Tensor& input) override;
  const PoolOptions& options() const { return options_; }

 protected:
  enum class Kind { Max, Average };
  PoolNd(const char* type_name, Kind kind, std::int64_t spatial_dims, PoolOptions options)
      : Module(type_name), kind_(kind), spatial_dims_(spatial_dims), options_(std::move(options)) {}

 private:
  Kind kind_;
  std::int64_t spatial_dims_;
  PoolOptions options_;
};

class MaxPool2d : public PoolNd {
 public:
  explicit MaxPool2d(PoolOptions options) : PoolNd("MaxPool2d", Kind::Max, 2, std::move(options)) {}
};

class MaxPool3d : public PoolNd {
 public:
  explicit MaxPool3d(PoolOptions options) : PoolNd("MaxPool3d", Kind::Max, 3, std::move(options)) {}
};

class AvgPool2d : public PoolNd {
 public:
  explicit AvgPool2d(PoolOptions options)
      : PoolNd("AvgPool2d", Kind::Average, 2, std::move(options)) {}
};

class AvgPool3d : public PoolNd {
 public:
  explicit AvgPool3d(PoolOptions options)
      : PoolNd("AvgPool3d", Kind::Average, 3, std::move(options)) {}
};

// Average pooling to a fixed output size over `spatial_dims` dims.
class AdaptiveAvgPoolNd : public Module {
 public:
  Tensor forward(const Tensor& input) override;

 protected:
  AdaptiveAvgPoolNd(const char* type_name, std::int64_t spatial_dims, Shape output_size)
      : Module(type_name), spatial_dims_(spatial_dims), output_size_(std::move(output_size)) {}

 private:
  std::int64_t spatial_dims_;
  Shape output_size_;
};

class AdaptiveAvgPool2d : public AdaptiveAvgPoolNd {
 public:
  explicit AdaptiveAvgPool2d(Shape output_size)
      : AdaptiveAvgPoolNd("AdaptiveAvgPool2d", 2, std::move(output_size)) {}
};

class AdaptiveAvgPool3d : public AdaptiveAvgPoolNd {
 public:
  explicit AdaptiveAvgPool3d(Shape output_size)
      : AdaptiveAvgPoolNd("AdaptiveAvgPool3d", 3, std::move(output_size)) {}
};

}  // namespace mg::nn
