#pragma once

#include <omp.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <utility>

#include "core/backend.h"
#include "core/tensor.h"

namespace mg::cpu {

// A 2-D or 3-D convolution seen as 3-D: a 2-D one gets depth 1, a kernel of depth 1 and no
// depth padding, which costs nothing in the im2col loops and keeps one code path.
struct ConvGeometry {
  std::int64_t batch = 0, in_channels = 0, out_channels = 0, groups = 1;
  std::array<std::int64_t, 3> in{1, 1, 1}, out{1, 1, 1}, kernel{1, 1, 1};
  std::array<std::int64_t, 3> stride{1, 1, 1}, padding{0, 0, 0}, dilation{1, 1, 1};

  // x [N, C_in, *in], weight [C_out, C_in / groups, *kernel], out [N, C_out, *out].
  ConvGeometry(const Tensor& x, const Tensor& weight, const ConvParams& params,
               const Tensor& output) {
    const std::int64_t spatial = x.dim() - 2, skip = 3 - spatial;
    batch = x.size(0);
    in_channels = x.size(1);
    out_channels = weight.size(0);
    groups = params.groups;
    for (std::int64_t d = 0; d < spatial; ++d) {
      in[skip + d] = x.size(2 + d);
      out[skip + d] = output.size(2 + d);
      kernel[skip + d] = weight.size(2 + d);
      stride[skip + d] = params.stride[d];
      padding[skip + d] = params.padding[d];
      dilation[skip + d] = params.dilation[d];
    }
  }

  std::int64_t in_plane() const { return in[0] * in[1] * in[2]; }
  std::int64_t out_plane() const { return out[0] * out[1] * out[2]; }
  // An output "row" is one (depth, height) pair: chunks of work are whole rows.
  std::int64_t out_rows() const { return out[0] * out[1]; }
  std::int64_t group_in_channels() const { return in_channels / groups; }
  std::int64_t group_out_channels() const { return out_channels / groups; }
  // Rows of the im2col matrix of one group: one per (input channel, kernel offset).
  std::int64_t col_rows() const { return group_in_channels() * kernel[0] * kernel[1] * kernel[2]; }
  // Multiply-adds of the direct convolution.
  std::int64_t macs() const { return batch * out_channels * out_plane() * col_rows(); }
  // Threads worth starting: one per 8M multiply-adds, so that small convolutions stay on one
  // thread, where starting a team and meeting at barriers would cost more than it saves (much
  // more when other processes compete for the cores).
  int useful_threads() const {
    if (omp_in_parallel()) return 1;
    constexpr std::int64_t kMacsPerThread = std::int64_t(1) << 23;
    return static_cast<int>(
        std::clamp<std::int64_t>(macs() / kMacsPerThread, 1, omp_get_max_threads()));
  }
  // With unit strides, the input gradient is itself a stride-1 convolution: of grad_out, padded
  // by dilation·(kernel - 1) - padding, with the kernel flipped and its channel dims swapped.
  // That needs no col2im (no scattered accumulation), but the padding must not be negative.
  bool has_transposed() const {
    for (int d = 0; d < 3; ++d) {
      if (stride[d] != 1 || padding[d] > dilation[d] * (kernel[d] - 1)) return false;
    }
    return true;
  }
  ConvGeometry transposed() const {
    ConvGeometry t = *this;
    std::swap(t.in, t.out);
    std::swap(t.in_channels, t.out_channels);
    for (int d = 0; d < 3; ++d) t.padding[d] = dilation[d] * (kernel[d] - 1) - padding[d];
    return t;
  }
  // A 1×1 convolution with unit stride and no padding reads x as its own im2col matrix.
  bool pointwise() const {
    for (int d = 0; d < 3; ++d) {
      if (kernel[d] != 1 || stride[d] != 1 || padding[d] != 0) return false;
    }
    return true;
  }
};

}  // namespace mg::cpu
