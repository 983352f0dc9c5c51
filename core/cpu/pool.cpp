#include <algorithm>
#include <array>
#include <cmath>
#include <limits>

#include "core/cpu/cpu_backend.h"
#include "core/cpu/parallel.h"

namespace mg::cpu {

namespace {

using Dims3 = std::array<std::int64_t, 3>;

// Pooling over 2 or 3 spatial dims seen as 3 (a 2-D pooling gets depth 1), one [*spatial]
// plane per (sample, channel).
struct PoolGeometry {
  std::int64_t planes = 0;
  Dims3 in{1, 1, 1}, out{1, 1, 1};
  Dims3 kernel{1, 1, 1}, stride{1, 1, 1}, padding{0, 0, 0};

  // x and out are [N, C, *spatial]; params (when given) has one entry per spatial dim.
  PoolGeometry(const Tensor& x, const Tensor& output, const PoolParams* params = nullptr) {
    const std::int64_t spatial = x.dim() - 2, skip = 3 - spatial;
    planes = x.size(0) * x.size(1);
    for (std::int64_t d = 0; d < spatial; ++d) {
      in[skip + d] = x.size(2 + d);
      out[skip + d] = output.size(2 + d);
      if (params != nullptr) {
        kernel[skip + d] = params->kernel[d];
        stride[skip + d] = params->stride[d];
        padding[skip + d] = params->padding[d];
      }
    }
  }
  std::int64_t in_plane() const { return in[0] * in[1] * in[2]; }
  std::int64_t out_plane() const { return out[0] * out[1] * out[2]; }
};

// The input range [begin, end) one output position covers along one dim, clipped to the input;
// `padded_size` is the window's size clipped to the padded input instead (what average pooling
// with count_include_pad divides by).
struct Window {
  std::int64_t begin, end, padded_size;
};

Window pool_window(const PoolGeometry& g, int d, std::int64_t o) {
  const std::int64_t start = o * g.stride[d] - g.padding[d];
  const std::int64_t stop = std::min(start + g.kernel[d], g.in[d] + g.padding[d]);
  return {std::max<std::int64_t>(start, 0), std::min(stop, g.in[d]), stop - start};
}

// Adaptive pooling: cell o of `out` covers [floor(o·in/out), ceil((o+1)·in/out)).
Window adaptive_window(const PoolGeometry& g, int d, std::int64_t o) {
  const std::int64_t begin = o * g.in[d] / g.out[d];
  const std::int64_t end = ((o + 1) * g.in[d] + g.out[d] - 1) / g.out[d];
  return {begin, end, end - begin};
}

// Calls f(plane, output_index, window_d, window_h, window_w) for every output position, planes
// split between threads (each plane is read and written by one thread only).
template <typename WindowOf, typename F>
void for_each_window(const PoolGeometry& g, const WindowOf& window_of, const F& f) {
  const std::int64_t grain =
      std::max<std::int64_t>(1, kParallelGrain / std::max<std::int64_t>(1, g.out_plane()));
  parallel_for(0, g.planes, grain, [&](std::int64_t begin, std::int64_t end) {
    for (std::int64_t plane = begin; plane < end; ++plane) {
      std::int64_t index = 0;
      for (std::int64_t od = 0; od < g.out[0]; ++od) {
        const Window wd = window_of(g, 0, od);
        for (std::int64_t oh = 0; oh < g.out[1]; ++oh) {
          const Window wh = window_of(g, 1, oh);
          for (std::int64_t ow = 0; ow < g.out[2]; ++ow, ++index) {
            f(plane, index, wd, wh, window_of(g, 2, ow));
          }
        }
      }
    }
  });
}

template <typename T>
T* data(const Tensor& t) {
  return static_cast<T*>(t.raw_data());
}

// Averages over each window (adaptive or not), dividing by divisor(wd, wh, ww).
template <typename T, typename WindowOf, typename Divisor>
void average(const PoolGeometry& g, const T* x, T* out, const WindowOf& window_of,
             const Divisor& divisor) {
  for_each_window(g, window_of,
                  [&](std::int64_t plane, std::int64_t index, const Window& wd, const Window& wh,
                      const Window& ww) {
                    const T* p = x + plane * g.in_plane();
                    double sum = 0;
                    for (std::int64_t d = wd.begin; d < wd.end; ++d) {
                      for (std::int64_t h = wh.begin; h < wh.end; ++h) {
                        const T* row = p + (d * g.in[1] + h) * g.in[2];
                        for (std::int64_t w = ww.begin; w < ww.end; ++w) sum += row[w];
                      }
                    }
                    out[plane * g.out_plane() + index] = static_cast<T>(sum / divisor(wd, wh, ww));
                  });
}

// The adjoint of average: every input element of a window gets grad / divisor.
template <typename T, typename WindowOf, typename Divisor>
void average_backward(const PoolGeometry& g, const T* grad_out, T* grad_x,
                      const WindowOf& window_of, const Divisor& divisor) {
  parallel_for(
      0, g.planes * g.in_plane(), kParallelGrain,
      [&](std::int64_t begin, std::int64_t end) { std::fill(grad_x + begin, grad_x + end, T(0)); });
  for_each_window(g, window_of,
                  [&](std::int64_t plane, std::int64_t index, const Window& wd, const Window& wh,
                      const Window& ww) {
                    T* p = grad_x + plane * g.in_plane();
                    const T share = static_cast<T>(grad_out[plane * g.out_plane() + index] /
                                                   divisor(wd, wh, ww));
                    for (std::int64_t d = wd.begin; d < wd.end; ++d) {
                      for (std::int64_t h = wh.begin; h < wh.end; ++h) {
                        T* row = p + (d * g.in[1] + h) * g.in[2];
                        for (std::int64_t w = ww.begin; w < ww.end; ++w) row[w] += share;
                      }
                    }
                  });
}

// What average pooling divides by: the window clipped to the padded input (count_include_pad),
// or only its elements inside the input.
auto pool_divisor(bool count_include_pad) {
  return [count_include_pad](const Window& wd, const Window& wh, const Window& ww) {
    return count_include_pad ? static_cast<double>(wd.padded_size * wh.padded_size * ww.padded_size)
                             : static_cast<double>((wd.end - wd.begin) * (wh.end - wh.begin) *
                                                   (ww.end - ww.begin));
  };
}

double element_count(const Window& wd, const Window& wh, const Window& ww) {
  return static_cast<double>((wd.end - wd.begin) * (wh.end - wh.begin) * (ww.end - ww.begin));
}

// Max pooling of one output row: for each kernel offset along the width, all the outputs of the
// row compare their element at that offset at once. The loop over outputs has no branches and
// vectorizes; compared element by element, window by window, the comparison was a coin flip on
// real data, and mispredicting it took 85% of the time of [64, 64, 16, 16] 3×3 stride-2 pooling
// forward and backward (9.3 ms against PyTorch's 7.9 on one thread).
template <typename T>
void max_pool_row(const PoolGeometry& g, const T* p, const Window& wd, const Window& wh, T* best,
                  std::int64_t* where) {
  const std::int64_t width = g.out[2], stride = g.stride[2], pad = g.padding[2];
  // As PyTorch: NaN wins, and a window of -inf reports its first element.
  for (std::int64_t ow = 0; ow < width; ++ow) {
    best[ow] = -std::numeric_limits<T>::infinity();
    where[ow] = (wd.begin * g.in[1] + wh.begin) * g.in[2] + pool_window(g, 2, ow).begin;
  }
  for (std::int64_t d = wd.begin; d < wd.end; ++d) {
    for (std::int64_t h = wh.begin; h < wh.end; ++h) {
      const std::int64_t row = (d * g.in[1] + h) * g.in[2];
      for (std::int64_t kw = 0; kw < g.kernel[2]; ++kw) {
        // Outputs whose element at offset kw is inside the input: 0 <= ow·stride - pad + kw < in.
        const std::int64_t first = std::max<std::int64_t>(0, (pad - kw + stride - 1) / stride);
        const std::int64_t reach = g.in[2] - 1 + pad - kw;
        const std::int64_t last = reach < 0 ? 0 : std::min(width, reach / stride + 1);
        const std::int64_t offset = row + kw - pad;
#pragma omp simd
        for (std::int64_t ow = first; ow < last; ++ow) {
          const std::int64_t at = offset + ow * stride;
          const T v = p[at];
          const bool take = (v > best[ow]) | (v != v);
          best[ow] = take ? v : best[ow];
          where[ow] = take ? at : where[ow];
        }
      }
    }
  }
}

}  // namespace

void CpuBackend::max_pool(const Tensor& x, const PoolParams& params, const Tensor& out,
                          const Tensor& indices) {
  const PoolGeometry g(x, out, &params);
  visit_floating(x.dtype(), "max_pool", [&](auto zero) {
    using T = decltype(zero);
    const T* in = data<T>(x);
    T* values = data<T>(out);
    std::int64_t* where = data<std::int64_t>(indices);
    const std::int64_t grain =
        std::max<std::int64_t>(1, kParallelGrain / std::max<std::int64_t>(1, g.out_plane()));
    parallel_for(0, g.planes, grain, [&](std::int64_t begin, std::int64_t end) {
      for (std::int64_t plane = begin; plane < end; ++plane) {
        std::int64_t index = plane * g.out_plane();
        for (std::int64_t od = 0; od < g.out[0]; ++od) {
          const Window wd = pool_window(g, 0, od);
          for (std::int64_t oh = 0; oh < g.out[1]; ++oh, index += g.out[2]) {
            max_pool_row(g, in + plane * g.in_plane(), wd, pool_window(g, 1, oh), values + index,
                         where + index);
          }
        }
      }
    });
  });
}

void CpuBackend::max_pool_backward(const Tensor& grad_out, const Tensor& indices,
                                   const Tensor& grad_x) {
  const PoolGeometry g(grad_x, grad_out);
  visit_floating(grad_x.dtype(), "max_pool_backward", [&](auto zero) {
    using T = decltype(zero);
    const T* grad = data<T>(grad_out);
    const std::int64_t* where = data<std::int64_t>(indices);
    T* gx = data<T>(grad_x);
    const std::int64_t grain = std::max<std::int64_t>(1, kParallelGrain / g.in_plane());
    parallel_for(0, g.planes, grain, [&](std::int64_t begin, std::int64_t end) {
      for (std::int64_t plane = begin; plane < end; ++plane) {
        T* p = gx + plane * g.in_plane();
        std::fill(p, p + g.in_plane(), T(0));
        const std::int64_t first = plane * g.out_plane();
        for (std::int64_t i = first; i < first + g.out_plane(); ++i) p[where[i]] += grad[i];
      }
    });
  });
}

void CpuBackend::avg_pool(const Tensor& x, const PoolParams& params, const Tensor& out) {
  const PoolGeometry g(x, out, &params);
  visit_floating(x.dtype(), "avg_pool", [&](auto zero) {
    using T = decltype(zero);
    average(g, data<T>(x), data<T>(out), pool_window, pool_divisor(params.count_include_pad));
  });
}

void CpuBackend::avg_pool_backward(const Tensor& grad_out, const PoolParams& params,
                                   const Tensor& grad_x) {
  const PoolGeometry g(grad_x, grad_out, &params);
  visit_floating(grad_x.dtype(), "avg_pool_backward", [&](auto zero) {
    using T = decltype(zero);
    average_backward(g, data<T>(grad_out), data<T>(grad_x), pool_window,
                     pool_divisor(params.count_include_pad));
  });
}

void CpuBackend::adaptive_avg_pool(const Tensor& x, const Tensor& out) {
  const PoolGeometry g(x, out);
  visit_floating(x.dtype(), "adaptive_avg_pool", [&](auto zero) {
    using T = decltype(zero);
    average(g, data<T>(x), data<T>(out), adaptive_window, element_count);
  });
}

void CpuBackend::adaptive_avg_pool_backward(const Tensor& grad_out, const Tensor& grad_x) {
  const PoolGeometry g(grad_x, grad_out);
  visit_floating(grad_x.dtype(), "adaptive_avg_pool_backward", [&](auto zero) {
    using T = decltype(zero);
    average_backward(g, data<T>(grad_out), data<T>(grad_x), adaptive_window, element_count);
  });
}

}  // namespace mg::cpu
