#include "datasets/transforms.h"

#include <algorithm>
#include <cmath>
#include <functional>

#include "autograd/ops.h"
#include "core/creation.h"
#include "core/error.h"
#include "core/random.h"

namespace mg::data {
namespace {

// A contiguous float32 CPU copy (or x itself), after checking what every float transform needs.
Tensor checked_image(const Tensor& image, const char* op, std::int64_t min_dims) {
  MG_CHECK(image.defined(), op, ": undefined image");
  MG_CHECK(image.device() == Device::cpu() && image.dtype() == kFloat32 && image.dim() >= min_dims,
           op, ": expected a float32 CPU tensor with at least ", min_dims, " dimensions, got ",
           describe(image));
  NoGradGuard no_grad;
  return contiguous(image.detach());
}

Shape with_spatial(const Shape& shape, std::int64_t height, std::int64_t width) {
  Shape out = shape;
  out[out.size() - 2] = height;
  out[out.size() - 1] = width;
  return out;
}

// Python's round(): half to even (std::nearbyint under the default rounding mode).
std::int64_t round_half_even(double value) {
  return static_cast<std::int64_t>(std::nearbyint(value));
}

// The taps of one output pixel along one axis: input indices start .. start+count-1, with
// `weights[k * max_count ...]`. Computed as torch's _compute_weights_aa does, in float, so that
// the rounding follows torch's: centre = scale·(i + 0.5), support = scale (downscaling) or 1,
// triangle filter evaluated at (j - centre + 0.5) / max(scale, 1), normalised to sum 1.
struct Taps {
  std::vector<std::int64_t> start, count;
  std::vector<float> weights;
  std::int64_t max_count = 0;
};

Taps antialiased_bilinear_taps(std::int64_t in_size, std::int64_t out_size) {
  const float scale = static_cast<float>(in_size) / static_cast<float>(out_size);
  const float support = scale >= 1.0f ? scale : 1.0f;
  const float inv_scale = scale >= 1.0f ? 1.0f / scale : 1.0f;
  Taps taps;
  taps.max_count = static_cast<std::int64_t>(std::ceil(support)) * 2 + 1;
  taps.start.resize(out_size);
  taps.count.resize(out_size);
  taps.weights.assign(out_size * taps.max_count, 0.0f);
  for (std::int64_t i = 0; i < out_size; ++i) {
    const float center = scale * (static_cast<float>(i) + 0.5f);
    const std::int64_t start =
        std::max<std::int64_t>(static_cast<std::int64_t>(center - support + 0.5f), 0);
    const std::int64_t count =
        std::min<std::int64_t>(static_cast<std::int64_t>(center + support + 0.5f), in_size) - start;
    float* w = &taps.weights[i * taps.max_count];
    float total = 0.0f;
    for (std::int64_t j = 0; j < count; ++j) {
      const float x = std::abs((static_cast<float>(j + start) - center + 0.5f) * inv_scale);
      w[j] = x < 1.0f ? 1.0f - x : 0.0f;
      total += w[j];
    }
    if (total != 0.0f)
      for (std::int64_t j = 0; j < count; ++j) w[j] /= total;
    taps.start[i] = start;
    taps.count[i] = count;
  }
  return taps;
}

// Rows the horizontal pass filters at once, one per vector lane (8 floats: one AVX register).
constexpr std::int64_t kLanes = 8;

// Resamples `rows` rows of in_size floats (row r starts at src + r * src_stride) to out_size
// each, written contiguously at dst. Rows are filtered kLanes at a time, interleaved so that the
// taps of one output pixel apply to all of them in one vector operation: each lane computes
// exactly what a row-by-row loop does, in the same order.
void resample_rows(const float* src, std::int64_t rows, std::int64_t src_stride,
                   std::int64_t in_size, const Taps& taps, std::int64_t out_size, float* dst) {
  std::vector<float> in(in_size * kLanes, 0.0f), out(out_size * kLanes);
  for (std::int64_t r0 = 0; r0 < rows; r0 += kLanes) {
    const std::int64_t lanes = std::min(kLanes, rows - r0);
    for (std::int64_t l = 0; l < lanes; ++l) {
      const float* row = src + (r0 + l) * src_stride;
      for (std::int64_t x = 0; x < in_size; ++x) in[x * kLanes + l] = row[x];
    }
    for (std::int64_t i = 0; i < out_size; ++i) {
      const float* w = &taps.weights[i * taps.max_count];
      const float* from = &in[taps.start[i] * kLanes];
      float sum[kLanes] = {};
      for (std::int64_t j = 0; j < taps.count[i]; ++j)
        for (std::int64_t l = 0; l < kLanes; ++l) sum[l] += from[j * kLanes + l] * w[j];
      std::copy(sum, sum + kLanes, &out[i * kLanes]);
    }
    for (std::int64_t l = 0; l < lanes; ++l) {
      float* row = dst + (r0 + l) * out_size;
      for (std::int64_t i = 0; i < out_size; ++i) row[i] = out[i * kLanes + l];
    }
  }
}

// Resamples the middle axis of a contiguous [outer, in_size, inner] block to out_size.
Tensor resample_axis(const Tensor& x, std::int64_t axis, std::int64_t out_size) {
  const std::int64_t in_size = x.size(axis);
  if (in_size == out_size) return x;
  std::int64_t outer = 1, inner = 1;
  for (std::int64_t d = 0; d < axis; ++d) outer *= x.size(d);
  for (std::int64_t d = axis + 1; d < x.dim(); ++d) inner *= x.size(d);
  Shape shape = x.shape();
  shape[axis] = out_size;
  Tensor out = empty(shape, kFloat32);
  const Taps taps = antialiased_bilinear_taps(in_size, out_size);
  const float* src = x.data_ptr<float>();
  float* dst = out.data_ptr<float>();
  if (inner == 1) {
    resample_rows(src, outer, in_size, in_size, taps, out_size, dst);
    return out;
  }
  // Whole rows of `inner` values at a time, accumulated tap by tap (the same order per value).
  for (std::int64_t o = 0; o < outer; ++o) {
    for (std::int64_t i = 0; i < out_size; ++i) {
      const float* w = &taps.weights[i * taps.max_count];
      const float* from = src + (o * in_size + taps.start[i]) * inner;
      float* to = dst + (o * out_size + i) * inner;
      std::fill(to, to + inner, 0.0f);
      for (std::int64_t j = 0; j < taps.count[i]; ++j)
        for (std::int64_t k = 0; k < inner; ++k) to[k] += from[j * inner + k] * w[j];
    }
  }
  return out;
}

// Applies `transform` to each frame of a [T, C, H, W] clip (own random draws per frame), or to
// a [C, H, W] image directly.
Tensor per_frame(const Tensor& image, const char* op,
                 const std::function<Tensor(const Tensor&)>& transform) {
  MG_CHECK(image.defined() && (image.dim() == 3 || image.dim() == 4), op,
           ": expected a [C, H, W] image or a [T, C, H, W] clip, got ",
           image.defined() ? describe(image) : std::string("an undefined tensor"));
  if (image.dim() == 3) return transform(image);
  NoGradGuard no_grad;
  std::vector<Tensor> frames;
  for (std::int64_t t = 0; t < image.size(0); ++t) frames.push_back(transform(select(image, 0, t)));
  return stack(frames, 0);
}

double uniform(double low, double high, Generator& generator) {
  return low + (high - low) * rand({}, kFloat64, &generator).item<double>();
}

}  // namespace

Tensor to_tensor(const Tensor& image) {
  MG_CHECK(image.defined() && image.device() == Device::cpu() && image.dtype() == kUInt8 &&
               (image.dim() == 2 || image.dim() == 3),
           "to_tensor: expected a uint8 CPU image [H, W, C] or [H, W], got ",
           image.defined() ? describe(image) : std::string("an undefined tensor"));
  NoGradGuard no_grad;
  const Tensor hwc = contiguous(image.dim() == 2 ? unsqueeze(image, 2) : image.detach());
  const std::int64_t height = hwc.size(0), width = hwc.size(1), channels = hwc.size(2);
  Tensor out = empty({channels, height, width}, kFloat32);
  const std::uint8_t* src = hwc.data_ptr<std::uint8_t>();
  float* dst = out.data_ptr<float>();
  const std::int64_t plane = height * width;
  if (channels == 3) {  // RGB in one pass, which the compiler vectorises
    float *red = dst, *green = dst + plane, *blue = dst + 2 * plane;
    for (std::int64_t p = 0; p < plane; ++p) {
      red[p] = static_cast<float>(src[3 * p]) / 255.0f;
      green[p] = static_cast<float>(src[3 * p + 1]) / 255.0f;
      blue[p] = static_cast<float>(src[3 * p + 2]) / 255.0f;
    }
    return out;
  }
  for (std::int64_t c = 0; c < channels; ++c)
    for (std::int64_t p = 0; p < plane; ++p)
      dst[c * plane + p] = static_cast<float>(src[p * channels + c]) / 255.0f;
  return out;
}

Tensor resize(const Tensor& image, std::int64_t height, std::int64_t width) {
  const Tensor x = checked_image(image, "resize", 2);
  MG_CHECK(height > 0 && width > 0, "resize: expected a positive size, got ", height, " x ", width,
           " for ", describe(image));
  MG_CHECK(x.size(-2) > 0 && x.size(-1) > 0, "resize: empty image ", describe(image));
  // Width first, as PIL does (torch's order differs only in float rounding).
  return resample_axis(resample_axis(x, x.dim() - 1, width), x.dim() - 2, height);
}

Tensor resize(const Tensor& image, std::int64_t size) {
  const Tensor x = checked_image(image, "resize", 2);
  MG_CHECK(size > 0, "resize: expected a positive size, got ", size);
  const std::int64_t height = x.size(-2), width = x.size(-1);
  MG_CHECK(height > 0 && width > 0, "resize: empty image ", describe(image));
  const std::int64_t short_side = std::min(height, width), long_side = std::max(height, width);
  // int(size * long / short) in Python: a float division, truncated.
  const auto long_out = static_cast<std::int64_t>(
      static_cast<double>(size) * static_cast<double>(long_side) / static_cast<double>(short_side));
  return width <= height ? resize(x, long_out, size) : resize(x, size, long_out);
}

Tensor crop(const Tensor& image, std::int64_t top, std::int64_t left, std::int64_t height,
            std::int64_t width) {
  const Tensor x = checked_image(image, "crop", 2);
  MG_CHECK(height >= 0 && width >= 0, "crop: expected a non-negative size, got ", height, " x ",
           width);
  const std::int64_t in_height = x.size(-2), in_width = x.size(-1);
  const std::int64_t planes = x.numel() / std::max<std::int64_t>(in_height * in_width, 1);
  Tensor out = zeros(with_spatial(x.shape(), height, width), kFloat32);
  const float* src = x.data_ptr<float>();
  float* dst = out.data_ptr<float>();
  const std::int64_t col_begin = std::clamp<std::int64_t>(-left, 0, width);
  const std::int64_t col_end = std::clamp<std::int64_t>(in_width - left, col_begin, width);
  for (std::int64_t p = 0; p < planes; ++p)
    for (std::int64_t r = 0; r < height; ++r) {
      const std::int64_t in_row = top + r;
      if (in_row < 0 || in_row >= in_height) continue;
      std::copy(src + (p * in_height + in_row) * in_width + left + col_begin,
                src + (p * in_height + in_row) * in_width + left + col_end,
                dst + (p * height + r) * width + col_begin);
    }
  return out;
}

Tensor center_crop(const Tensor& image, std::int64_t height, std::int64_t width) {
  const Tensor x = checked_image(image, "center_crop", 2);
  MG_CHECK(height > 0 && width > 0, "center_crop: expected a positive size, got ", height, " x ",
           width);
  // torchvision pads (left/top get the smaller half) and then crops at round((padded - crop)/2);
  // the crop is done directly on the unpadded image, shifted by the padding.
  const std::int64_t pad_top = height > x.size(-2) ? (height - x.size(-2)) / 2 : 0;
  const std::int64_t pad_left = width > x.size(-1) ? (width - x.size(-1)) / 2 : 0;
  const std::int64_t padded_height = std::max(height, x.size(-2));
  const std::int64_t padded_width = std::max(width, x.size(-1));
  const std::int64_t top = round_half_even((padded_height - height) / 2.0) - pad_top;
  const std::int64_t left = round_half_even((padded_width - width) / 2.0) - pad_left;
  return crop(x, top, left, height, width);
}

Tensor resized_crop(const Tensor& image, std::int64_t top, std::int64_t left, std::int64_t height,
                    std::int64_t width, std::int64_t out_height, std::int64_t out_width) {
  const Tensor x = checked_image(image, "resized_crop", 2);
  const std::int64_t in_height = x.size(-2), in_width = x.size(-1);
  const bool inside = top >= 0 && left >= 0 && height > 0 && width > 0 &&
                      top + height <= in_height && left + width <= in_width;
  if (!inside || width == out_width || out_height <= 0 || out_width <= 0)
    return resize(crop(x, top, left, height, width), out_height, out_width);
  // A box inside the image (always, for RandomResizedCrop): the horizontal pass reads the box
  // straight from the image, without copying it out first; same values as crop + resize.
  const std::int64_t planes = x.numel() / (in_height * in_width);
  Tensor narrow = empty(with_spatial(x.shape(), height, out_width), kFloat32);
  const Taps taps = antialiased_bilinear_taps(width, out_width);
  const float* src = x.data_ptr<float>();
  float* dst = narrow.data_ptr<float>();
  for (std::int64_t p = 0; p < planes; ++p)
    resample_rows(src + (p * in_height + top) * in_width + left, height, in_width, width, taps,
                  out_width, dst + p * height * out_width);
  return resample_axis(narrow, narrow.dim() - 2, out_height);
}

Tensor hflip(const Tensor& image) {
  const Tensor x = checked_image(image, "hflip", 1);
  Tensor out = empty(x.shape(), kFloat32);
  const std::int64_t width = x.size(-1);
  const float* src = x.data_ptr<float>();
  float* dst = out.data_ptr<float>();
  for (std::int64_t row = 0; width > 0 && row < x.numel() / width; ++row)
    std::reverse_copy(src + row * width, src + (row + 1) * width, dst + row * width);
  return out;
}

Tensor normalize(const Tensor& image, const std::vector<double>& mean,
                 const std::vector<double>& std) {
  const Tensor x = checked_image(image, "normalize", 3);
  const std::int64_t channels = x.size(-3);
  const auto fits = [&](std::size_t n) {
    return n == 1 || static_cast<std::int64_t>(n) == channels;
  };
  MG_CHECK(fits(mean.size()) && fits(std.size()), "normalize: ", mean.size(), " means and ",
           std.size(), " stds for ", channels, " channels of ", describe(image));
  for (double s : std)
    MG_CHECK(s != 0.0, "normalize: a zero std would divide by zero (", describe(image), ")");
  Tensor out = empty(x.shape(), kFloat32);
  const std::int64_t plane = x.size(-2) * x.size(-1);
  const float* src = x.data_ptr<float>();
  float* dst = out.data_ptr<float>();
  for (std::int64_t p = 0; plane > 0 && p < x.numel() / plane; ++p) {
    const std::size_t c = static_cast<std::size_t>(p % channels);
    // float32 mean and std, as torchvision's as_tensor(mean, dtype=float32) gives.
    const float m = static_cast<float>(mean[mean.size() == 1 ? 0 : c]);
    const float s = static_cast<float>(std[std.size() == 1 ? 0 : c]);
    for (std::int64_t k = 0; k < plane; ++k) dst[p * plane + k] = (src[p * plane + k] - m) / s;
  }
  return out;
}

CropBox random_resized_crop_box(std::int64_t height, std::int64_t width,
                                std::array<double, 2> scale, std::array<double, 2> ratio,
                                Generator& generator) {
  MG_CHECK(height > 0 && width > 0, "random_resized_crop_box: empty image ", height, " x ", width);
  MG_CHECK(0 < scale[0] && scale[0] <= scale[1] && 0 < ratio[0] && ratio[0] <= ratio[1],
           "random_resized_crop_box: expected 0 < scale[0] <= scale[1] and 0 < ratio[0] <= "
           "ratio[1], got scale (",
           scale[0], ", ", scale[1], ") and ratio (", ratio[0], ", ", ratio[1], ")");
  const double area = static_cast<double>(height * width);
  const double log_low = std::log(ratio[0]), log_high = std::log(ratio[1]);
  for (int attempt = 0; attempt < 10; ++attempt) {
    const double target_area = area * uniform(scale[0], scale[1], generator);
    const double aspect = std::exp(uniform(log_low, log_high, generator));
    const std::int64_t w = round_half_even(std::sqrt(target_area * aspect));
    const std::int64_t h = round_half_even(std::sqrt(target_area / aspect));
    if (0 < w && w <= width && 0 < h && h <= height) {
      const std::int64_t top =
          randint(0, height - h + 1, {}, kInt64, &generator).item<std::int64_t>();
      const std::int64_t left =
          randint(0, width - w + 1, {}, kInt64, &generator).item<std::int64_t>();
      return {top, left, h, w};
    }
  }
  const double in_ratio = static_cast<double>(width) / static_cast<double>(height);
  std::int64_t w = width, h = height;
  if (in_ratio < ratio[0]) {
    h = round_half_even(static_cast<double>(w) / ratio[0]);
  } else if (in_ratio > ratio[1]) {
    w = round_half_even(static_cast<double>(h) * ratio[1]);
  }
  return {(height - h) / 2, (width - w) / 2, h, w};
}

RandomResizedCrop::RandomResizedCrop(std::int64_t height, std::int64_t width,
                                     std::array<double, 2> scale, std::array<double, 2> ratio)
    : height_(height), width_(width), scale_(scale), ratio_(ratio) {
  MG_CHECK(height > 0 && width > 0, "RandomResizedCrop: expected a positive size, got ", height,
           " x ", width);
}

Tensor RandomResizedCrop::operator()(const Tensor& image, Generator& generator) const {
  return per_frame(image, "RandomResizedCrop", [&](const Tensor& frame) {
    const CropBox box =
        random_resized_crop_box(frame.size(-2), frame.size(-1), scale_, ratio_, generator);
    return resized_crop(frame, box.top, box.left, box.height, box.width, height_, width_);
  });
}

RandomHorizontalFlip::RandomHorizontalFlip(double p) : p_(p) {
  MG_CHECK(p >= 0.0 && p <= 1.0, "RandomHorizontalFlip: expected 0 <= p <= 1, got ", p);
}

Tensor RandomHorizontalFlip::operator()(const Tensor& image, Generator& generator) const {
  return per_frame(image, "RandomHorizontalFlip", [&](const Tensor& frame) {
    return uniform(0.0, 1.0, generator) < p_ ? hflip(frame) : frame;
  });
}

}  // namespace mg::data
