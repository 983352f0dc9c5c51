#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "core/generator.h"
#include "core/tensor.h"

// Image transforms with torchvision semantics (torchvision 0.14 transforms.functional and
// transforms), for the pipelines of shared/specs/datasets.md §3.1. CPU tensors only.
//
// Images enter as uint8 [H, W, C] (what a decoder gives); `to_tensor` makes them float32
// [C, H, W] in [0, 1]. Every other transform takes float32 [..., C, H, W] (the spatial ones
// [..., H, W]); the deterministic ones treat leading dimensions as a batch, the random ones draw
// separately for each frame of a [T, C, H, W] clip, as AMSS does by transforming frame by frame.
//
// Deviations from torchvision:
// - AMSS resizes PIL images; here the resize runs on float32 tensors, always antialiased. The
//   resampler is torch's `_upsample_bilinear2d_aa` (align_corners = False), which computes PIL's
//   BILINEAR filter (triangle kernel whose support grows with the downscale factor, weights
//   normalised per output pixel) in floating point. PIL itself works on uint8 with 22-bit
//   fixed-point weights and rounds to uint8 after the horizontal and after the vertical pass, so
//   on the same uint8 image it differs by at most about 1/255.
// - The random transforms draw from maskgrad's Philox `Generator`: the same rules as torchvision
//   (scale, ratio, 10 attempts, centred fallback; flip when U[0, 1) < p), not torch's numbers.
namespace mg::data {

// uint8 [H, W, C] (or [H, W], one channel) → float32 [C, H, W] divided by 255.
Tensor to_tensor(const Tensor& image);

// Antialiased bilinear resize of the last two dimensions to height × width (aspect not kept).
Tensor resize(const Tensor& image, std::int64_t height, std::int64_t width);
// The smaller edge becomes `size`, the other int(size · long / short) (torchvision's Resize(int)).
Tensor resize(const Tensor& image, std::int64_t size);

// Rows top .. top+height-1 and columns left .. left+width-1; the part outside the image is zero
// (torchvision's tensor `crop`, which pads).
Tensor crop(const Tensor& image, std::int64_t top, std::int64_t left, std::int64_t height,
            std::int64_t width);
// Centred crop, offsets round((H - height) / 2) with round-half-to-even (Python's round); a crop
// larger than the image pads it with zeros first, the odd pixel going to the bottom/right.
Tensor center_crop(const Tensor& image, std::int64_t height, std::int64_t width);
// crop, then resize to out_height × out_width.
Tensor resized_crop(const Tensor& image, std::int64_t top, std::int64_t left, std::int64_t height,
                    std::int64_t width, std::int64_t out_height, std::int64_t out_width);
// Mirrors the last dimension.
Tensor hflip(const Tensor& image);
// (x - mean[c]) / std[c] over the channel dimension (third from last); mean and std hold one
// value per channel or a single value.
Tensor normalize(const Tensor& image, const std::vector<double>& mean,
                 const std::vector<double>& std);

struct CropBox {
  std::int64_t top = 0, left = 0, height = 0, width = 0;
};

// torchvision's RandomResizedCrop.get_params for a height × width image: up to 10 draws of
// area = H·W·U(scale), aspect = exp(U(ln ratio)), w = round(√(area·aspect)),
// h = round(√(area / aspect)), accepted when 0 < w ≤ W and 0 < h ≤ H, placed uniformly; else a
// centred crop of the whole image with its aspect clamped into `ratio`.
CropBox random_resized_crop_box(std::int64_t height, std::int64_t width,
                                std::array<double, 2> scale, std::array<double, 2> ratio,
                                Generator& generator);

class RandomResizedCrop {
 public:
  RandomResizedCrop(std::int64_t height, std::int64_t width,
                    std::array<double, 2> scale = {0.08, 1.0},
                    std::array<double, 2> ratio = {3.0 / 4.0, 4.0 / 3.0});
  Tensor operator()(const Tensor& image, Generator& generator) const;

 private:
  std::int64_t height_, width_;
  std::array<double, 2> scale_, ratio_;
};

class RandomHorizontalFlip {
 public:
  explicit RandomHorizontalFlip(double p = 0.5);
  Tensor operator()(const Tensor& image, Generator& generator) const;

 private:
  double p_;
};

}  // namespace mg::data
