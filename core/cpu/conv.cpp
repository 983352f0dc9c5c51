#include <omp.h>

#include <algorithm>

#include "core/cpu/blas.h"
#include "core/cpu/conv_taps.h"
#include "core/cpu/cpu_backend.h"
#include "core/cpu/im2col.h"
#include "core/cpu/parallel.h"
#include "core/cpu/winograd.h"
#include "core/cpu/workspace.h"
#include "core/creation.h"

namespace mg::cpu {

namespace {

// GEMMs narrower than this run well below BLAS's peak, so small planes (7×7, 14×14) put several
// samples side by side in one GEMM.
constexpr std::int64_t kMinGemmColumns = 192;
// Cap on one im2col buffer; larger planes (mostly 3-D) are cut into chunks of output rows.
constexpr std::int64_t kMaxColumnBytes = std::int64_t(8) << 20;

// How the work is cut. A unit is a run of whole samples handled by one thread, so col2im never
// races; units run in parallel with single-threaded BLAS, which on few cores beats splitting
// each (smallish) GEMM. With fewer units than threads, units run one after another and the
// threads share each GEMM, im2col and col2im (by input channel) instead.
struct Plan {
  std::int64_t samples_per_unit = 1;
  std::int64_t units = 0;
  std::int64_t rows_per_chunk = 1;  // output rows per GEMM when a unit is one sample
  std::int64_t columns = 0;         // widest GEMM: columns of the im2col buffer
  int threads = 1;                  // OpenMP threads over units
  int gemm_threads = 1;             // threads sharing each GEMM (when units run one by one)
  bool direct = false;              // pointwise with one sample per unit: x is its own im2col
};

Plan make_plan(const ConvGeometry& g, std::size_t element_size) {
  Plan plan;
  const int available = g.useful_threads();
  const std::int64_t plane = g.out_plane();
  if (plane < kMinGemmColumns && g.batch > 1) {
    const std::int64_t wanted = (kMinGemmColumns + plane - 1) / plane;
    const std::int64_t per_thread = g.batch >= available ? g.batch / available : g.batch;
    plan.samples_per_unit = std::max<std::int64_t>(1, std::min(wanted, per_thread));
  }
  plan.units = (g.batch + plan.samples_per_unit - 1) / plan.samples_per_unit;
  plan.threads = plan.units >= available ? available : 1;
  plan.gemm_threads = plan.threads == 1 ? available : 1;
  plan.direct = g.pointwise() && plan.samples_per_unit == 1;
  if (plan.samples_per_unit == 1) {
    const std::int64_t row_bytes = std::max<std::int64_t>(
        1, g.col_rows() * g.out[2] * static_cast<std::int64_t>(element_size));
    plan.rows_per_chunk = std::clamp<std::int64_t>(kMaxColumnBytes / row_bytes, 1, g.out_rows());
    plan.columns = plan.rows_per_chunk * g.out[2];
  } else {
    plan.columns = plan.samples_per_unit * plane;
  }
  return plan;
}

// im2col of output rows [row_begin, row_end) on `threads` threads, each writing the columns of
// its own rows.
template <typename T>
void im2col_on(int threads, const ConvGeometry& g, const T* x, std::int64_t row_begin,
               std::int64_t row_end, T* col, std::int64_t ld) {
  if (threads <= 1) return im2col(g, x, row_begin, row_end, col, ld);
  parallel_for(row_begin, row_end, 1, [&](std::int64_t begin, std::int64_t end) {
    im2col(g, x, begin, end, col + (begin - row_begin) * g.out[2], ld);
  });
}

// col2im of output rows [row_begin, row_end) on `threads` threads, each adding into the planes
// of its own input channels: a channel's kernel offsets overlap in its plane, while different
// channels never meet.
template <typename T>
void col2im_on(int threads, const ConvGeometry& g, const T* col, std::int64_t ld,
               std::int64_t row_begin, std::int64_t row_end, T* grad_x) {
  if (threads <= 1) return col2im(g, col, ld, 0, g.group_in_channels(), row_begin, row_end, grad_x);
  parallel_for(0, g.group_in_channels(), 1, [&](std::int64_t begin, std::int64_t end) {
    col2im(g, col, ld, begin, end, row_begin, row_end, grad_x);
  });
}

// Runs body(unit, thread) for every unit, on up to plan.threads threads with single-threaded
// BLAS when that is more than one, each thread taking a contiguous run of units. The team may
// be smaller than asked for (OMP_THREAD_LIMIT, OMP_DYNAMIC, threads the system cannot start),
// so the units are split over the threads that came; as plan.threads <= units, each of them,
// thread 0 included, gets at least one.
template <typename Body>
void for_each_unit(const Plan& plan, const Body& body) {
  if (plan.threads <= 1) {
    for (std::int64_t unit = 0; unit < plan.units; ++unit) body(unit, 0);
    return;
  }
  const blas::SingleThreaded single;
#pragma omp parallel num_threads(plan.threads)
  {
    const int thread = omp_get_thread_num(), team = omp_get_num_threads();
    const std::int64_t begin = plan.units * thread / team;
    const std::int64_t end = plan.units * (thread + 1) / team;
    for (std::int64_t unit = begin; unit < end; ++unit) body(unit, thread);
  }
}

// Small planes: the [channels, plane] blocks of `samples` consecutive samples (`sample_stride`
// apart) sit side by side in one [channels, samples·plane] matrix, so one GEMM serves them all.
template <typename T>
void pack_samples(const T* src, std::int64_t sample_stride, std::int64_t samples,
                  std::int64_t channels, std::int64_t plane, T* packed) {
  for (std::int64_t c = 0; c < channels; ++c) {
    for (std::int64_t j = 0; j < samples; ++j) {
      const T* from = src + j * sample_stride + c * plane;
      std::copy(from, from + plane, packed + (c * samples + j) * plane);
    }
  }
}

template <typename T>
void unpack_samples(const T* packed, std::int64_t samples, std::int64_t channels,
                    std::int64_t plane, T* dst, std::int64_t sample_stride) {
  for (std::int64_t c = 0; c < channels; ++c) {
    for (std::int64_t j = 0; j < samples; ++j) {
      const T* from = packed + (c * samples + j) * plane;
      std::copy(from, from + plane, dst + j * sample_stride + c * plane);
    }
  }
}

template <typename T>
void forward_by_im2col(const ConvGeometry& g, const T* x, const T* weight, const T* bias, T* out) {
  const Plan plan = make_plan(g, sizeof(T));
  const std::int64_t plane = g.out_plane(), in_plane = g.in_plane(), width = g.out[2];
  const std::int64_t k = g.col_rows(), group_in = g.group_in_channels(),
                     group_out = g.group_out_channels();
  const bool packed = plan.samples_per_unit > 1;
  const ScratchBuffers<T> scratch(
      {}, {plan.direct ? 0 : k * plan.columns, packed ? group_out * plan.columns : 0},
      plan.threads);
  for_each_unit(plan, [&](std::int64_t unit, int thread) {
    T* col = scratch.local(thread, 0);
    T* out_packed = scratch.local(thread, 1);
    const std::int64_t first = unit * plan.samples_per_unit;
    const std::int64_t samples = std::min(plan.samples_per_unit, g.batch - first);
    for (std::int64_t group = 0; group < g.groups; ++group) {
      const T* x_group = x + (first * g.in_channels + group * group_in) * in_plane;
      const T* w_group = weight + group * group_out * k;
      T* out_group = out + (first * g.out_channels + group * group_out) * plane;
      if (!packed) {
        for (std::int64_t row = 0; row < g.out_rows(); row += plan.rows_per_chunk) {
          const std::int64_t rows = std::min(plan.rows_per_chunk, g.out_rows() - row);
          const std::int64_t columns = rows * width;
          const T* b = x_group + row * width;
          std::int64_t ldb = plane;
          if (!plan.direct) {
            im2col_on(plan.gemm_threads, g, x_group, row, row + rows, col, columns);
            b = col;
            ldb = columns;
          }
          blas::parallel_gemm(plan.gemm_threads, false, false, group_out, columns, k, w_group, k, b,
                              ldb, T(0), out_group + row * width, plane);
        }
      } else {
        const std::int64_t ld = samples * plane;
        for (std::int64_t j = 0; j < samples; ++j) {
          im2col_on(plan.gemm_threads, g, x_group + j * g.in_channels * in_plane, 0, g.out_rows(),
                    col + j * plane, ld);
        }
        blas::parallel_gemm(plan.gemm_threads, false, false, group_out, ld, k, w_group, k, col, ld,
                            T(0), out_packed, ld);
        unpack_samples(out_packed, samples, group_out, plane, out_group, g.out_channels * plane);
      }
    }
    if (bias != nullptr) {
      for (std::int64_t j = 0; j < samples; ++j) {
        for (std::int64_t c = 0; c < g.out_channels; ++c) {
          T* o = out + ((first + j) * g.out_channels + c) * plane;
          const T b = bias[c];
          for (std::int64_t i = 0; i < plane; ++i) o[i] += b;
        }
      }
    }
  });
}

// A pointwise convolution of 1×1 planes without groups is a fully connected layer: x is an
// [N, C_in] matrix, the output [N, C_out] and the weight [C_out, C_in]; one GEMM per product
// spares the per-sample im2col and packing (a third of [64, 512, 1, 1] ⊛ [512, 512, 1, 1]).
bool fully_connected(const ConvGeometry& g) {
  return g.pointwise() && g.in_plane() == 1 && g.groups == 1;
}

template <typename T>
void forward_fully_connected(const ConvGeometry& g, const T* x, const T* weight, const T* bias,
                             T* out) {
  const std::int64_t n = g.batch, c_in = g.in_channels, c_out = g.out_channels;
  blas::parallel_gemm(g.useful_threads(), false, true, n, c_out, c_in, x, c_in, weight, c_in, T(0),
                      out, c_out);
  if (bias == nullptr) return;
  for (std::int64_t i = 0; i < n; ++i) {
    for (std::int64_t c = 0; c < c_out; ++c) out[i * c_out + c] += bias[c];
  }
}

// Fully connected where it applies, then Winograd, then im2col everywhere else.
template <typename T>
void convolution_forward(const ConvGeometry& g, const T* x, const T* weight, const T* bias,
                         T* out) {
  if (fully_connected(g)) return forward_fully_connected(g, x, weight, bias, out);
  if (winograd_applies(g)) return winograd_conv(g, x, weight, bias, out);
  forward_by_im2col(g, x, weight, bias, out);
}

// The input gradient of a unit-stride convolution, as the forward convolution of grad_out
// with the flipped, channel-swapped kernel.
template <typename T>
void grad_input_by_transposed_conv(const ConvGeometry& g, const T* grad_out, const T* weight,
                                   T* grad_x) {
  const std::int64_t group_in = g.group_in_channels(), group_out = g.group_out_channels();
  const std::int64_t volume = g.kernel[0] * g.kernel[1] * g.kernel[2];
  // flipped[group][ci][co][v] = weight[group·group_out + co][ci][volume - 1 - v]: reversing the
  // flat kernel index flips every spatial dim at once.
  const ScratchBuffers<T> buffers({g.out_channels * group_in * volume}, {}, 1, 1);
  T* flipped = buffers.shared(0);
  const std::int64_t grain = std::max<std::int64_t>(1, kParallelGrain / (group_in * volume));
  parallel_for(0, g.out_channels, grain, [&](std::int64_t begin, std::int64_t end) {
    for (std::int64_t oc = begin; oc < end; ++oc) {
      const std::int64_t group = oc / group_out, co = oc % group_out;
      for (std::int64_t ci = 0; ci < group_in; ++ci) {
        const T* src = weight + (oc * group_in + ci) * volume;
        T* dst = flipped + ((group * group_in + ci) * group_out + co) * volume;
        for (std::int64_t v = 0; v < volume; ++v) dst[v] = src[volume - 1 - v];
      }
    }
  });
  convolution_forward(g.transposed(), grad_out, flipped, static_cast<const T*>(nullptr), grad_x);
}

// The input gradient of any convolution: GEMM with the transposed kernel into im2col layout,
// then col2im adds each entry back where im2col read it.
template <typename T>
void grad_input_by_col2im(const ConvGeometry& g, const Plan& plan, const T* grad_out,
                          const T* weight, T* grad_x) {
  const std::int64_t plane = g.out_plane(), in_plane = g.in_plane(), width = g.out[2];
  const std::int64_t k = g.col_rows(), group_in = g.group_in_channels(),
                     group_out = g.group_out_channels();
  const bool packed = plan.samples_per_unit > 1;
  const ScratchBuffers<T> scratch(
      {}, {plan.direct ? 0 : k * plan.columns, packed ? group_out * plan.columns : 0},
      plan.threads);
  for_each_unit(plan, [&](std::int64_t unit, int thread) {
    T* col_grad = scratch.local(thread, 0);
    T* grad_packed = scratch.local(thread, 1);
    const std::int64_t first = unit * plan.samples_per_unit;
    const std::int64_t samples = std::min(plan.samples_per_unit, g.batch - first);
    if (!plan.direct) {  // col2im accumulates
      T* begin = grad_x + first * g.in_channels * in_plane;
      std::fill(begin, begin + samples * g.in_channels * in_plane, T(0));
    }
    for (std::int64_t group = 0; group < g.groups; ++group) {
      const T* w_group = weight + group * group_out * k;
      const T* g_group = grad_out + (first * g.out_channels + group * group_out) * plane;
      T* gx_group = grad_x + (first * g.in_channels + group * group_in) * in_plane;
      if (!packed) {
        for (std::int64_t row = 0; row < g.out_rows(); row += plan.rows_per_chunk) {
          const std::int64_t rows = std::min(plan.rows_per_chunk, g.out_rows() - row);
          const std::int64_t columns = rows * width;
          const T* g_chunk = g_group + row * width;
          if (plan.direct) {
            blas::parallel_gemm(plan.gemm_threads, true, false, k, columns, group_out, w_group, k,
                                g_chunk, plane, T(0), gx_group + row * width, plane);
          } else {
            blas::parallel_gemm(plan.gemm_threads, true, false, k, columns, group_out, w_group, k,
                                g_chunk, plane, T(0), col_grad, columns);
            col2im_on(plan.gemm_threads, g, col_grad, columns, row, row + rows, gx_group);
          }
        }
      } else {
        const std::int64_t ld = samples * plane;
        pack_samples(g_group, g.out_channels * plane, samples, group_out, plane, grad_packed);
        blas::parallel_gemm(plan.gemm_threads, true, false, k, ld, group_out, w_group, k,
                            grad_packed, ld, T(0), col_grad, ld);
        for (std::int64_t j = 0; j < samples; ++j) {
          col2im_on(plan.gemm_threads, g, col_grad + j * plane, ld, 0, g.out_rows(),
                    gx_group + j * g.in_channels * in_plane);
        }
      }
    }
  });
}

// grad_weight = Σ over samples of grad_out · im2col(x)ᵀ. Each thread sums its units into its
// own copy (thread 0 into grad_weight itself); the copies of the threads that ran are added at
// the end.
template <typename T>
void grad_weight_by_gemm(const ConvGeometry& g, const Plan& plan, const T* grad_out, const T* x,
                         T* grad_weight) {
  const std::int64_t plane = g.out_plane(), in_plane = g.in_plane(), width = g.out[2];
  const std::int64_t k = g.col_rows(), group_in = g.group_in_channels(),
                     group_out = g.group_out_channels();
  const bool packed = plan.samples_per_unit > 1;
  const std::int64_t weight_numel = g.out_channels * k;
  const ScratchBuffers<T> scratch(
      {},
      {plan.direct ? 0 : k * plan.columns, packed ? group_out * plan.columns : 0,
       plan.threads > 1 ? weight_numel : 0},
      plan.threads);
  if (g.batch == 0) std::fill(grad_weight, grad_weight + weight_numel, T(0));
  std::vector<char> started(plan.threads, 0);  // has this thread written its sum yet?
  for_each_unit(plan, [&](std::int64_t unit, int thread) {
    T* col = scratch.local(thread, 0);
    T* grad_packed = scratch.local(thread, 1);
    T* sum = thread == 0 ? grad_weight : scratch.local(thread, 2);
    const T beta = started[thread] ? T(1) : T(0);
    started[thread] = 1;
    const std::int64_t first = unit * plan.samples_per_unit;
    const std::int64_t samples = std::min(plan.samples_per_unit, g.batch - first);
    for (std::int64_t group = 0; group < g.groups; ++group) {
      const T* x_group = x + (first * g.in_channels + group * group_in) * in_plane;
      const T* g_group = grad_out + (first * g.out_channels + group * group_out) * plane;
      T* sum_group = sum + group * group_out * k;
      if (!packed) {
        for (std::int64_t row = 0; row < g.out_rows(); row += plan.rows_per_chunk) {
          const std::int64_t rows = std::min(plan.rows_per_chunk, g.out_rows() - row);
          const std::int64_t columns = rows * width;
          const T* b = x_group + row * width;
          std::int64_t ldb = plane;
          if (!plan.direct) {
            im2col_on(plan.gemm_threads, g, x_group, row, row + rows, col, columns);
            b = col;
            ldb = columns;
          }
          blas::parallel_gemm(plan.gemm_threads, false, true, group_out, k, columns,
                              g_group + row * width, plane, b, ldb, row == 0 ? beta : T(1),
                              sum_group, k);
        }
      } else {
        const std::int64_t ld = samples * plane;
        pack_samples(g_group, g.out_channels * plane, samples, group_out, plane, grad_packed);
        for (std::int64_t j = 0; j < samples; ++j) {
          im2col_on(plan.gemm_threads, g, x_group + j * g.in_channels * in_plane, 0, g.out_rows(),
                    col + j * plane, ld);
        }
        blas::parallel_gemm(plan.gemm_threads, false, true, group_out, k, ld, grad_packed, ld, col,
                            ld, beta, sum_group, k);
      }
    }
  });
  if (plan.threads > 1) {
    parallel_for(0, weight_numel, kParallelGrain, [&](std::int64_t begin, std::int64_t end) {
      for (int thread = 1; thread < plan.threads; ++thread) {
        if (!started[thread]) continue;  // not in the team: its copy holds stale scratch
        const T* partial = scratch.local(thread, 2);
        for (std::int64_t i = begin; i < end; ++i) grad_weight[i] += partial[i];
      }
    });
  }
}

template <typename T>
void grad_bias_by_sum(const ConvGeometry& g, const T* grad_out, T* grad_bias) {
  const std::int64_t plane = g.out_plane();
  const std::int64_t grain =
      std::max<std::int64_t>(1, kParallelGrain / std::max<std::int64_t>(1, g.batch * plane));
  parallel_for(0, g.out_channels, grain, [&](std::int64_t begin, std::int64_t end) {
    for (std::int64_t c = begin; c < end; ++c) {
      double sum = 0;  // float32 sums accumulate in double, as the reductions do
      for (std::int64_t n = 0; n < g.batch; ++n) {
        const T* row = grad_out + (n * g.out_channels + c) * plane;
        for (std::int64_t i = 0; i < plane; ++i) sum += row[i];
      }
      grad_bias[c] = static_cast<T>(sum);
    }
  });
}

template <typename T>
void convolution_backward(const ConvGeometry& g, const T* grad_out, const T* x, const T* weight,
                          T* grad_x, T* grad_weight, T* grad_bias) {
  if (fully_connected(g)) {
    const std::int64_t n = g.batch, c_in = g.in_channels, c_out = g.out_channels;
    const int threads = g.useful_threads();
    if (grad_x != nullptr) {
      blas::parallel_gemm(threads, false, false, n, c_in, c_out, grad_out, c_out, weight, c_in,
                          T(0), grad_x, c_in);
    }
    if (grad_weight != nullptr) {
      blas::parallel_gemm(threads, true, false, c_out, c_in, n, grad_out, c_out, x, c_in, T(0),
                          grad_weight, c_in);
    }
    if (grad_bias != nullptr) grad_bias_by_sum(g, grad_out, grad_bias);
    return;
  }
  const Plan plan = make_plan(g, sizeof(T));
  if (grad_x != nullptr) {
    if (g.has_transposed() && !plan.direct) {
      grad_input_by_transposed_conv(g, grad_out, weight, grad_x);
    } else {
      grad_input_by_col2im(g, plan, grad_out, weight, grad_x);
    }
  }
  if (grad_weight != nullptr) {
    if (winograd_applies(g)) {
      winograd_conv_grad_weight(g, grad_out, x, grad_weight);
    } else {
      grad_weight_by_gemm(g, plan, grad_out, x, grad_weight);
    }
  }
  if (grad_bias != nullptr) grad_bias_by_sum(g, grad_out, grad_bias);
}

}  // namespace

void CpuBackend::conv(const Tensor& x, const Tensor& weight, const Tensor& bias,
                      const ConvParams& params, const Tensor& out) {
  const ConvGeometry geometry(x, weight, params, out);
  const TapWindow taps = live_taps(geometry);
  visit_floating(x.dtype(), "conv", [&](auto zero) {
    using T = decltype(zero);
    if (!taps.crops(geometry)) {
      return convolution_forward<T>(geometry, mutable_data_or_null<T>(x),
                                    mutable_data_or_null<T>(weight), mutable_data_or_null<T>(bias),
                                    mutable_data_or_null<T>(out));
    }
    const Tensor cropped = empty({cropped_kernel_numel(geometry, taps)}, weight.options());
    crop_kernel(geometry, taps, mutable_data_or_null<T>(weight), mutable_data_or_null<T>(cropped));
    convolution_forward<T>(taps.crop(geometry), mutable_data_or_null<T>(x),
                           mutable_data_or_null<T>(cropped), mutable_data_or_null<T>(bias),
                           mutable_data_or_null<T>(out));
  });
}

void CpuBackend::conv_backward(const Tensor& grad_out, const Tensor& x, const Tensor& weight,
                               const ConvParams& params, const Tensor& grad_x,
                               const Tensor& grad_weight, const Tensor& grad_bias) {
  const ConvGeometry geometry(x, weight, params, grad_out);
  const TapWindow taps = live_taps(geometry);
  visit_floating(x.dtype(), "conv_backward", [&](auto zero) {
    using T = decltype(zero);
    if (!taps.crops(geometry)) {
      return convolution_backward<T>(
          geometry, mutable_data_or_null<T>(grad_out), mutable_data_or_null<T>(x),
          mutable_data_or_null<T>(weight), mutable_data_or_null<T>(grad_x),
          mutable_data_or_null<T>(grad_weight), mutable_data_or_null<T>(grad_bias));
    }
    const Shape kernel_shape{cropped_kernel_numel(geometry, taps)};
    const Tensor cropped = empty(kernel_shape, weight.options());
    const Tensor cropped_grad =
        grad_weight.defined() ? empty(kernel_shape, weight.options()) : Tensor();
    crop_kernel(geometry, taps, mutable_data_or_null<T>(weight), mutable_data_or_null<T>(cropped));
    convolution_backward<T>(taps.crop(geometry), mutable_data_or_null<T>(grad_out),
                            mutable_data_or_null<T>(x), mutable_data_or_null<T>(cropped),
                            mutable_data_or_null<T>(grad_x), mutable_data_or_null<T>(cropped_grad),
                            mutable_data_or_null<T>(grad_bias));
    if (grad_weight.defined()) {
      uncrop_kernel(geometry, taps, mutable_data_or_null<T>(cropped_grad),
                    mutable_data_or_null<T>(grad_weight));
    }
  });
}

}  // namespace mg::cpu
