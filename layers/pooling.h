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

class MaxPool2d : public Module {
 public:
  explicit MaxPool2d(PoolOptions options) : Module("MaxPool2d"), options_(std::move(options)) {}
  Tensor forward(const Tensor& input) override;

 private:
  PoolOptions options_;
};

class MaxPool3d : public Module {
 public:
  explicit MaxPool3d(PoolOptions options) : Module("MaxPool3d"), options_(std::move(options)) {}
  Tensor forward(const Tensor& input) override;

 private:
  PoolOptions options_;
};

class AvgPool2d : public Module {
 public:
  explicit AvgPool2d(PoolOptions options) : Module("AvgPool2d"), options_(std::move(options)) {}
  Tensor forward(const Tensor& input) override;

 private:
  PoolOptions options_;
};

class AvgPool3d : public Module {
 public:
  explicit AvgPool3d(PoolOptions options) : Module("AvgPool3d"), options_(std::move(options)) {}
  Tensor forward(const Tensor& input) override;

 private:
  PoolOptions options_;
};

class AdaptiveAvgPool2d : public Module {
 public:
  explicit AdaptiveAvgPool2d(Shape output_size)
      : Module("AdaptiveAvgPool2d"), output_size_(std::move(output_size)) {}
  Tensor forward(const Tensor& input) override;

 private:
  Shape output_size_;
};

class AdaptiveAvgPool3d : public Module {
 public:
  explicit AdaptiveAvgPool3d(Shape output_size)
      : Module("AdaptiveAvgPool3d"), output_size_(std::move(output_size)) {}
  Tensor forward(const Tensor& input) override;

 private:
  Shape output_size_;
};

}  // namespace mg::nn
