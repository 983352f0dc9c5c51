// Batch norm with own kernels, the CPU backend's arithmetic: blocks sum shares of each channel
// (in double, two passes for the variance), one thread per channel turns the sums into
// statistics and coefficients, then an elementwise kernel applies
// out = a·scale + (b - center)·k + offset per channel. cuDNN's batch norm is not used:
// its backward assumes batch statistics, and evaluation-mode backward needs the running ones.

#include <algorithm>

#include "core/creation.h"
#include "core/cuda/block_reduce.cuh"
#include "core/cuda/check.cuh"
#include "core/cuda/context.cuh"
#include "core/cuda/cuda_backend.cuh"
#include "core/cuda/launch.cuh"

namespace mg::cuda {

namespace {

// Per-channel coefficients of the elementwise pass, rows of a [4, C] tensor.
template <typename T>
struct Coefficients {
  T* scale;
  T* center;
  T* k;
  T* offset;

  Coefficients(const Tensor& storage, std::int64_t channels)
      : scale(static_cast<T*>(storage.raw_data())),
        center(scale + channels),
        k(scale + 2 * channels),
        offset(scale + 3 * channels) {}
};

// Per-channel sums are split over `parts` blocks per channel, so that a layer with few channels
// and large maps still fills the GPU: block (p, c) covers planes n = p, p + parts, ... of channel
// c and writes its share to partial[(c·parts + p)·sums + i] (sums = 1 or 2 interleaved quantities);
// a second kernel adds the shares of each channel in a fixed order (the result does not depend on
// scheduling).
constexpr int kTargetBlocks = 2048;

int parts_for(const ChannelLayout& l) {
  const std::int64_t wanted = (kTargetBlocks + l.channels - 1) / l.channels;
  return static_cast<int>(std::max<std::int64_t>(1, std::min<std::int64_t>(wanted, l.batch)));
}

dim3 partial_grid(const ChannelLayout& l, int parts) {
  return dim3(static_cast<unsigned int>(parts),
              static_cast<unsigned int>(std::min<std::int64_t>(l.channels, 65535)));
}

// Σx, or with `center` Σ(x - center[c])², over a share of channel c.
template <typename T, bool kCentered>
__global__ void partial_sums_kernel(const T* x, ChannelLayout l, int parts, const double* center,
                                    double* partial) {
  for (std::int64_t c = blockIdx.y; c < l.channels; c += gridDim.y) {
    const double m = kCentered ? center[c] : 0.0;
    double acc = 0;
    for (std::int64_t n = blockIdx.x; n < l.batch; n += parts) {
      const T* plane = x + (n * l.channels + c) * l.spatial;
      for (std::int64_t i = threadIdx.x; i < l.spatial; i += blockDim.x) {
        const double v = static_cast<double>(plane[i]) - m;
        acc += kCentered ? v * v : v;
      }
    }
    acc = block_sum(acc);
    if (threadIdx.x == 0) partial[c * parts + blockIdx.x] = acc;
  }
}

// Σgrad_out and Σgrad_out·(x - mean[c]) over a share of channel c.
template <typename T>
__global__ void backward_partial_sums_kernel(const T* grad_out, const T* x, ChannelLayout l,
                                             int parts, const T* save_mean, double* partial) {
  for (std::int64_t c = blockIdx.y; c < l.channels; c += gridDim.y) {
    const double mean = save_mean[c];
    double sum_dy = 0, sum_dy_centered = 0;
    for (std::int64_t n = blockIdx.x; n < l.batch; n += parts) {
      const std::int64_t base = (n * l.channels + c) * l.spatial;
      for (std::int64_t i = threadIdx.x; i < l.spatial; i += blockDim.x) {
        const double g = grad_out[base + i];
        sum_dy += g;
        sum_dy_centered += g * (static_cast<double>(x[base + i]) - mean);
      }
    }
    sum_dy = block_sum(sum_dy);
    sum_dy_centered = block_sum(sum_dy_centered);
    if (threadIdx.x == 0) {
      partial[(c * parts + blockIdx.x) * 2] = sum_dy;
      partial[(c * parts + blockIdx.x) * 2 + 1] = sum_dy_centered;
    }
  }
}

// The sum of channel c's shares of quantity i (of `sums` interleaved quantities).
__device__ inline double add_shares(const double* partial, std::int64_t c, int parts, int sums,
                                    int i) {
  double total = 0;
  for (int p = 0; p < parts; ++p) total += partial[(c * parts + p) * sums + i];
  return total;
}

__global__ void channel_mean_kernel(const double* partial, ChannelLayout l, int parts,
                                    double* mean) {
  const std::int64_t c = blockIdx.x * std::int64_t(blockDim.x) + threadIdx.x;
  if (c < l.channels)
    mean[c] = add_shares(partial, c, parts, 1, 0) / static_cast<double>(l.count());
}

// Thread c: the statistics of channel c (batch ones when training: `mean` and the shares of the
// centered squares; running ones otherwise), the running statistics' update, and the
// coefficients of out = x·scale + offset.
template <typename T>
__global__ void batch_norm_finish_kernel(ChannelLayout l, const double* batch_mean,
                                         const double* partial, int parts, const T* weight,
                                         const T* bias, T* running_mean, T* running_var,
                                         bool training, double momentum, double eps, T* save_mean,
                                         T* save_invstd, Coefficients<T> f) {
  const std::int64_t c = blockIdx.x * std::int64_t(blockDim.x) + threadIdx.x;
  if (c >= l.channels) return;
  double mean = 0, var = 0;
  if (training) {
    const auto count = static_cast<double>(l.count());
    const double squares = add_shares(partial, c, parts, 1, 0);
    mean = batch_mean[c];
    var = squares / count;
    if (running_mean != nullptr) {
      running_mean[c] = static_cast<T>((1 - momentum) * running_mean[c] + momentum * mean);
      running_var[c] =
          static_cast<T>((1 - momentum) * running_var[c] + momentum * squares / (count - 1));
    }
  } else {
    mean = running_mean[c];
    var = running_var[c];
  }
  const double invstd = 1 / sqrt(var + eps);
  const double w = weight != nullptr ? static_cast<double>(weight[c]) : 1.0;
  save_mean[c] = static_cast<T>(mean);
  save_invstd[c] = static_cast<T>(invstd);
  f.scale[c] = static_cast<T>(invstd * w);
  f.center[c] = T(0);
  f.k[c] = T(0);
  f.offset[c] =
      static_cast<T>((bias != nullptr ? static_cast<double>(bias[c]) : 0.0) - mean * invstd * w);
}

// Training (batch statistics, which depend on x), with x̂ = (x - mean)·invstd and M values per
// channel: grad_x = weight·invstd·(grad_out - Σgrad_out/M - x̂·Σ(grad_out·x̂)/M).
// Evaluation (running statistics, constants): grad_x = weight·invstd·grad_out.
// Both: grad_weight = Σ grad_out·x̂, grad_bias = Σ grad_out. Thread c handles channel c.
template <typename T>
__global__ void batch_norm_backward_finish_kernel(ChannelLayout l, const double* partial, int parts,
                                                  const T* weight, const T* save_mean,
                                                  const T* save_invstd, bool training,
                                                  T* grad_weight, T* grad_bias, Coefficients<T> f) {
  const std::int64_t c = blockIdx.x * std::int64_t(blockDim.x) + threadIdx.x;
  if (c >= l.channels) return;
  const double invstd = save_invstd[c];
  const double sum_dy = partial != nullptr ? add_shares(partial, c, parts, 2, 0) : 0.0;
  const double sum_dy_centered = partial != nullptr ? add_shares(partial, c, parts, 2, 1) : 0.0;
  const double w = weight != nullptr ? static_cast<double>(weight[c]) : 1.0;
  const double inv_count = l.count() > 0 ? 1.0 / static_cast<double>(l.count()) : 0.0;
  if (grad_weight != nullptr) grad_weight[c] = static_cast<T>(sum_dy_centered * invstd);
  if (grad_bias != nullptr) grad_bias[c] = static_cast<T>(sum_dy);
  f.scale[c] = static_cast<T>(w * invstd);
  f.center[c] = training ? save_mean[c] : T(0);
  f.k[c] =
      training ? static_cast<T>(-w * invstd * invstd * invstd * sum_dy_centered * inv_count) : T(0);
  f.offset[c] = training ? static_cast<T>(-w * invstd * sum_dy * inv_count) : T(0);
}

// out = a·scale[c] + (b - center[c])·k[c] + offset[c], c the channel of each element; b may be
// null (then k is 0). Blocks walk (plane, spatial) so that no element needs a division.
template <typename T>
__global__ void apply_per_channel_kernel(const T* a, const T* b, ChannelLayout l, Coefficients<T> f,
                                         T* out) {
  const std::int64_t planes = l.batch * l.channels;
  for (std::int64_t plane = blockIdx.y; plane < planes; plane += gridDim.y) {
    const std::int64_t c = plane % l.channels;
    const T scale = f.scale[c], offset = f.offset[c], center = f.center[c], k = f.k[c];
    const std::int64_t base = plane * l.spatial;
    for (std::int64_t i = blockIdx.x * std::int64_t(blockDim.x) + threadIdx.x; i < l.spatial;
         i += std::int64_t(gridDim.x) * blockDim.x) {
      T value = a[base + i] * scale + offset;
      if (b != nullptr) value += (b[base + i] - center) * k;
      out[base + i] = value;
    }
  }
}

template <typename T>
void apply_per_channel(const T* a, const T* b, const ChannelLayout& l, const Coefficients<T>& f,
                       T* out, cudaStream_t s, const char* op) {
  const std::int64_t planes = l.batch * l.channels;
  if (planes == 0 || l.spatial == 0) return;
  const dim3 grid(std::min<unsigned int>(blocks_for(l.spatial), 1024),
                  static_cast<unsigned int>(std::min<std::int64_t>(planes, 65535)));
  apply_per_channel_kernel<T><<<grid, kThreadsPerBlock, 0, s>>>(a, b, l, f, out);
  check_launch(op);
}

unsigned int channel_blocks(const ChannelLayout& l) {
  return static_cast<unsigned int>((l.channels + kThreadsPerBlock - 1) / kThreadsPerBlock);
}

Tensor scratch(std::int64_t doubles, Device device) {
  return empty({doubles}, TensorOptions(kFloat64).device(device));
}

}  // namespace

void CudaBackend::batch_norm(const Tensor& x, const Tensor& weight, const Tensor& bias,
                             const Tensor& running_mean, const Tensor& running_var, bool training,
                             double momentum, double eps, const Tensor& out,
                             const Tensor& save_mean, const Tensor& save_invstd) {
  const char* op = "batch_norm";
  DeviceGuard guard(x.device());
  const ChannelLayout l = channel_layout(x);
  if (l.channels == 0) return;
  const cudaStream_t s = stream(x.device().index);
  const Tensor storage = empty({4, l.channels}, x.options());
  const int parts = parts_for(l);
  const Tensor mean = scratch(l.channels, x.device());
  const Tensor partial = scratch(l.channels * parts, x.device());
  double* mean_data = static_cast<double*>(mean.raw_data());
  double* partial_data = static_cast<double*>(partial.raw_data());
  visit_floating(x.dtype(), op, [&](auto zero) {
    using T = decltype(zero);
    const Coefficients<T> f(storage, l.channels);
    const T* in = static_cast<const T*>(x.raw_data());
    if (training) {
      // Two passes, as on the CPU: the mean, then the centered squares.
      partial_sums_kernel<T, false>
          <<<partial_grid(l, parts), kThreadsPerBlock, 0, s>>>(in, l, parts, nullptr, partial_data);
      check_launch(op);
      channel_mean_kernel<<<channel_blocks(l), kThreadsPerBlock, 0, s>>>(partial_data, l, parts,
                                                                         mean_data);
      check_launch(op);
      partial_sums_kernel<T, true><<<partial_grid(l, parts), kThreadsPerBlock, 0, s>>>(
          in, l, parts, mean_data, partial_data);
      check_launch(op);
    }
    batch_norm_finish_kernel<T><<<channel_blocks(l), kThreadsPerBlock, 0, s>>>(
        l, mean_data, partial_data, parts, data_or_null<T>(weight), data_or_null<T>(bias),
        mutable_data_or_null<T>(running_mean), mutable_data_or_null<T>(running_var), training,
        momentum, eps, static_cast<T*>(save_mean.raw_data()),
        static_cast<T*>(save_invstd.raw_data()), f);
    check_launch(op);
    apply_per_channel<T>(in, nullptr, l, f, static_cast<T*>(out.raw_data()), s, op);
  });
}

void CudaBackend::batch_norm_backward(const Tensor& grad_out, const Tensor& x, const Tensor& weight,
                                      const Tensor& save_mean, const Tensor& save_invstd,
                                      bool training, const Tensor& grad_x,
                                      const Tensor& grad_weight, const Tensor& grad_bias) {
  const char* op = "batch_norm_backward";
  DeviceGuard guard(x.device());
  const ChannelLayout l = channel_layout(x);
  if (l.channels == 0) return;
  const cudaStream_t s = stream(x.device().index);
  const bool need_sums =
      grad_weight.defined() || grad_bias.defined() || (grad_x.defined() && training);
  const Tensor storage = empty({4, l.channels}, x.options());
  const int parts = parts_for(l);
  const Tensor partial = need_sums ? scratch(l.channels * parts * 2, x.device()) : Tensor();
  double* partial_data = need_sums ? static_cast<double*>(partial.raw_data()) : nullptr;
  visit_floating(x.dtype(), op, [&](auto zero) {
    using T = decltype(zero);
    const Coefficients<T> f(storage, l.channels);
    const T* in = static_cast<const T*>(x.raw_data());
    const T* dy = static_cast<const T*>(grad_out.raw_data());
    const T* mean = static_cast<const T*>(save_mean.raw_data());
    if (need_sums) {
      backward_partial_sums_kernel<T><<<partial_grid(l, parts), kThreadsPerBlock, 0, s>>>(
          dy, in, l, parts, mean, partial_data);
      check_launch(op);
    }
    batch_norm_backward_finish_kernel<T><<<channel_blocks(l), kThreadsPerBlock, 0, s>>>(
        l, partial_data, parts, data_or_null<T>(weight), mean,
        static_cast<const T*>(save_invstd.raw_data()), training,
        mutable_data_or_null<T>(grad_weight), mutable_data_or_null<T>(grad_bias), f);
    check_launch(op);
    if (grad_x.defined()) {
      apply_per_channel<T>(dy, training ? in : nullptr, l, f, static_cast<T*>(grad_x.raw_data()), s,
                           op);
    }
  });
}

}  // namespace mg::cuda
