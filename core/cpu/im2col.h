#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

#include "core/cpu/conv_geometry.h"

namespace mg::cpu {

namespace detail {

// The output columns [begin, end) along the width whose input column, for kernel column kw,
// lies inside the input; the others read padding.
struct ValidRange {
  std::int64_t begin, end;
};

inline ValidRange valid_outputs(const ConvGeometry& g, std::int64_t kw) {
  const std::int64_t offset = g.padding[2] - kw * g.dilation[2];  // iw = ow·stride - offset
  const std::int64_t s = g.stride[2];
  const std::int64_t begin = offset <= 0 ? 0 : (offset + s - 1) / s;
  const std::int64_t last = g.in[2] - 1 + offset;  // ow·stride <= last
  std::int64_t end = last < 0 ? 0 : last / s + 1;
  end = std::clamp(end, begin, g.out[2]);
  return {std::min(begin, g.out[2]), end};
}

// Calls f(col_row, kw, input_row or nullptr when padding, output_row_index) for every
// (channel, kernel offset) row of the im2col matrix of channels [channel_begin, channel_end) and
// every output row in [row_begin, row_end); input_row points at the input's first column for
// that (channel, depth, height).
template <typename T, typename F>
void for_each_col_segment(const ConvGeometry& g, T* x, std::int64_t channel_begin,
                          std::int64_t channel_end, std::int64_t row_begin, std::int64_t row_end,
                          const F& f) {
  std::int64_t col_row = channel_begin * g.kernel[0] * g.kernel[1] * g.kernel[2];
  for (std::int64_t c = channel_begin; c < channel_end; ++c) {
    for (std::int64_t kd = 0; kd < g.kernel[0]; ++kd) {
      for (std::int64_t kh = 0; kh < g.kernel[1]; ++kh) {
        for (std::int64_t kw = 0; kw < g.kernel[2]; ++kw, ++col_row) {
          for (std::int64_t row = row_begin; row < row_end; ++row) {
            const std::int64_t od = row / g.out[1], oh = row % g.out[1];
            const std::int64_t id = od * g.stride[0] - g.padding[0] + kd * g.dilation[0];
            const std::int64_t ih = oh * g.stride[1] - g.padding[1] + kh * g.dilation[1];
            const bool inside = id >= 0 && id < g.in[0] && ih >= 0 && ih < g.in[1];
            f(col_row, kw, inside ? x + ((c * g.in[0] + id) * g.in[1] + ih) * g.in[2] : nullptr,
              row - row_begin);
          }
        }
      }
    }
  }
}

// Small output planes: for each kernel offset v and output position p of rows [row_begin,
// row_end), where that offset meets the input in its channel's plane, or -1 in the padding, at
// table[v·positions + p]. The table is the calling thread's, rebuilt by each call: on small planes
// with many channels, building it costs little next to the copies it serves.
inline const std::vector<std::int32_t>& offset_table(const ConvGeometry& g, std::int64_t row_begin,
                                                     std::int64_t row_end) {
  thread_local std::vector<std::int32_t> table;
  const std::int64_t positions = (row_end - row_begin) * g.out[2];
  table.resize(g.kernel[0] * g.kernel[1] * g.kernel[2] * positions);
  std::int64_t v = 0;
  for (std::int64_t kd = 0; kd < g.kernel[0]; ++kd) {
    for (std::int64_t kh = 0; kh < g.kernel[1]; ++kh) {
      for (std::int64_t kw = 0; kw < g.kernel[2]; ++kw, ++v) {
        for (std::int64_t p = 0; p < positions; ++p) {
          const std::int64_t row = row_begin + p / g.out[2], ow = p % g.out[2];
          const std::int64_t od = row / g.out[1], oh = row % g.out[1];
          const std::int64_t id = od * g.stride[0] - g.padding[0] + kd * g.dilation[0];
          const std::int64_t ih = oh * g.stride[1] - g.padding[1] + kh * g.dilation[1];
          const std::int64_t iw = ow * g.stride[2] - g.padding[2] + kw * g.dilation[2];
          const bool inside =
              id >= 0 && id < g.in[0] && ih >= 0 && ih < g.in[1] && iw >= 0 && iw < g.in[2];
          table[v * positions + p] =
              inside ? static_cast<std::int32_t>((id * g.in[1] + ih) * g.in[2] + iw) : -1;
        }
      }
    }
  }
  return table;
}

// Output planes up to this size with at least kMinTableChannels input channels go through
// offset_table (unless im2col_same_width applies, which copies whole rows): segment by segment,
// each output row of 1 to 8 values cost a few calls. Measured on one thread, forward and
// backward, segments → table: [64, 64, 8, 8] ⊛ 3×3 stride 2 8.4 → 6.0 ms, ⊛ 1×1 stride 2 1.08 →
// 0.81, [64, 128, 4, 4] ⊛ 3×3 stride 2 8.1 → 5.9, [8, 256, 14, 14] ⊛ 3×3 stride 2 (7×7 out)
// 37 → 35.
inline constexpr std::int64_t kMaxTablePlane = 64;
inline constexpr std::int64_t kMinTableChannels = 16;

inline bool use_offset_table(const ConvGeometry& g) {
  return g.out_plane() <= kMaxTablePlane && g.group_in_channels() >= kMinTableChannels;
}

}  // namespace detail

// im2col when height and width have unit stride and the output is as wide as the input (a
// "same" convolution, the common 3×3 / padding 1 case): then the input rows one kernel offset
// reads are consecutive, and so are the output rows they fill, so one copy moves a whole run
// of rows; only the few columns that read padding are zeroed afterwards.
template <typename T>
void im2col_same_width(const ConvGeometry& g, const T* x, std::int64_t row_begin,
                       std::int64_t row_end, T* col, std::int64_t ld) {
  const std::int64_t width = g.out[2];
  const std::int64_t channels = g.group_in_channels();
  std::int64_t col_row = 0;
  for (std::int64_t c = 0; c < channels; ++c) {
    for (std::int64_t kd = 0; kd < g.kernel[0]; ++kd) {
      for (std::int64_t kh = 0; kh < g.kernel[1]; ++kh) {
        for (std::int64_t kw = 0; kw < g.kernel[2]; ++kw, ++col_row) {
          const auto [begin, end] = detail::valid_outputs(g, kw);
          const std::int64_t shift_h = kh * g.dilation[1] - g.padding[1];  // ih = oh + shift_h
          const std::int64_t shift_w = kw * g.dilation[2] - g.padding[2];
          // One run per output depth: rows [row, run_end) share od.
          for (std::int64_t row = row_begin; row < row_end;) {
            const std::int64_t od = row / g.out[1];
            const std::int64_t run_end = std::min(row_end, (od + 1) * g.out[1]);
            T* dst = col + col_row * ld + (row - row_begin) * width;
            const std::int64_t id = od * g.stride[0] - g.padding[0] + kd * g.dilation[0];
            const std::int64_t oh_first = row % g.out[1], oh_end = oh_first + run_end - row;
            // Output rows whose input row exists: [valid_first, valid_end).
            std::int64_t valid_first = std::clamp(-shift_h, oh_first, oh_end);
            std::int64_t valid_end = std::clamp(g.in[1] - shift_h, valid_first, oh_end);
            if (id < 0 || id >= g.in[0]) valid_first = valid_end = oh_end;
            std::fill(dst, dst + (valid_first - oh_first) * width, T(0));
            std::fill(dst + (valid_end - oh_first) * width, dst + (oh_end - oh_first) * width,
                      T(0));
            if (valid_first < valid_end && begin < end) {
              const T* src = x + ((c * g.in[0] + id) * g.in[1] + valid_first + shift_h) * width;
              T* out = dst + (valid_first - oh_first) * width;
              const std::int64_t last = (valid_end - valid_first - 1) * width;
              // From the first valid column of the first row to the last of the last row; the
              // columns in between that belong to padding are cleared below.
              std::copy(src + begin + shift_w, src + last + end + shift_w, out + begin);
              for (std::int64_t r = 0; r <= last; r += width) {
                std::fill(out + r, out + r + begin, T(0));
                std::fill(out + r + end, out + r + width, T(0));
              }
            } else if (valid_first < valid_end) {
              std::fill(dst + (valid_first - oh_first) * width,
                        dst + (valid_end - oh_first) * width, T(0));
            }
            row = run_end;
          }
        }
      }
    }
  }
}

// Writes the im2col matrix of output rows [row_begin, row_end) of one sample's channel group
// `x` (its first channel; the group's channels follow contiguously) into `col`: row
// (c, kd, kh, kw) holds, for each output position of those rows, the input value that kernel
// offset meets there (0 in the padding). Rows of `col` are `ld` elements apart.
template <typename T>
void im2col(const ConvGeometry& g, const T* x, std::int64_t row_begin, std::int64_t row_end, T* col,
            std::int64_t ld) {
  const std::int64_t width = g.out[2], s = g.stride[2];
  if (s == 1 && g.stride[1] == 1 && width == g.in[2]) {
    return im2col_same_width(g, x, row_begin, row_end, col, ld);
  }
  if (detail::use_offset_table(g)) {
    const std::vector<std::int32_t>& table = detail::offset_table(g, row_begin, row_end);
    const std::int64_t positions = (row_end - row_begin) * width;
    const std::int64_t volume = g.kernel[0] * g.kernel[1] * g.kernel[2];
    for (std::int64_t c = 0; c < g.group_in_channels(); ++c) {
      const T* plane = x + c * g.in_plane();
      for (std::int64_t v = 0; v < volume; ++v) {
        const std::int32_t* from = table.data() + v * positions;
        T* dst = col + (c * volume + v) * ld;
        for (std::int64_t p = 0; p < positions; ++p) dst[p] = from[p] >= 0 ? plane[from[p]] : T(0);
      }
    }
    return;
  }
  detail::for_each_col_segment(
      g, x, 0, g.group_in_channels(), row_begin, row_end,
      [&](std::int64_t col_row, std::int64_t kw, const T* in, std::int64_t row) {
        T* dst = col + col_row * ld + row * width;
        if (in == nullptr) {
          std::fill(dst, dst + width, T(0));
          return;
        }
        const auto [begin, end] = detail::valid_outputs(g, kw);
        const std::int64_t shift = kw * g.dilation[2] - g.padding[2];  // iw = ow·s + shift
        std::fill(dst, dst + begin, T(0));
        if (s == 1) {
          std::copy(in + begin + shift, in + end + shift, dst + begin);
        } else {
          for (std::int64_t ow = begin; ow < end; ++ow) dst[ow] = in[ow * s + shift];
        }
        std::fill(dst + end, dst + width, T(0));
      });
}

// The adjoint of im2col: adds every entry of `col` (laid out as im2col writes it) to the input
// element it was read from, for input channels [channel_begin, channel_end). `grad_x` is one
// sample's channel group. Each channel's entries go to that channel's plane only.
template <typename T>
void col2im(const ConvGeometry& g, const T* col, std::int64_t ld, std::int64_t channel_begin,
            std::int64_t channel_end, std::int64_t row_begin, std::int64_t row_end, T* grad_x) {
  const std::int64_t width = g.out[2], s = g.stride[2];
  if (detail::use_offset_table(g)) {
    const std::vector<std::int32_t>& table = detail::offset_table(g, row_begin, row_end);
    const std::int64_t positions = (row_end - row_begin) * width;
    const std::int64_t volume = g.kernel[0] * g.kernel[1] * g.kernel[2];
    for (std::int64_t c = channel_begin; c < channel_end; ++c) {
      T* plane = grad_x + c * g.in_plane();
      for (std::int64_t v = 0; v < volume; ++v) {
        const std::int32_t* to = table.data() + v * positions;
        const T* src = col + (c * volume + v) * ld;
        for (std::int64_t p = 0; p < positions; ++p) {
          if (to[p] >= 0) plane[to[p]] += src[p];
        }
      }
    }
    return;
  }
  detail::for_each_col_segment(g, grad_x, channel_begin, channel_end, row_begin, row_end,
                               [&](std::int64_t col_row, std::int64_t kw, T* in, std::int64_t row) {
                                 if (in == nullptr) return;
                                 const auto [begin, end] = detail::valid_outputs(g, kw);
                                 const T* src = col + col_row * ld + row * width;
                                 const std::int64_t shift = kw * g.dilation[2] - g.padding[2];
                                 if (s == 1) {
                                   for (std::int64_t ow = begin; ow < end; ++ow)
                                     in[ow + shift] += src[ow];
                                 } else {
                                   for (std::int64_t ow = begin; ow < end; ++ow)
                                     in[ow * s + shift] += src[ow];
                                 }
                               });
}

}  // namespace mg::cpu
