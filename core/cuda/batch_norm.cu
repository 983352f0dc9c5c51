// Batch norm with own kernels, the CPU backend's arithmetic: one block per channel computes the
// channel's statistics (sums in double, two passes for the variance), then an elementwise kernel
// applies out = a·scale + (b - center)·k + offset per channel. cuDNN's batch norm is not used:
// its backward assumes batch statistics, and evaluation-mode backward needs the running ones.

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

template <typename T>
const T* data_or_null(const Tensor& t) {
  return t.defined() ? static_cast<const T*>(t.raw_data()) : nullptr;
}
template <typename T>
T* mutable_data_or_null(const Tensor& t) {
  return t.defined() ? static_cast<T*>(t.raw_data()) : nullptr;
}

ChannelLayout channel_layout(const Tensor& x) {
  std::int64_t spatial = 1;
  for (std::int64_t d = 2; d < x.dim(); ++d) spatial *= x.size(d);
  return {x.size(0), x.size(1), spatial};
}

// Block c: the statistics of channel c (batch ones when training, running ones otherwise), the
// running statistics' update, and the coefficients of out = x·scale + offset.
template <typename T>
__global__ void batch_norm_stats_kernel(const T* x, ChannelLayout l, const T* weight, const T* bias,
                                        T* running_mean, T* running_var, bool training,
                                        double momentum, double eps, T* save_mean, T* save_invstd,
                                        Coefficients<T> f) {
  const std::int64_t c = blockIdx.x;
  double mean = 0, var = 0;
  if (training) {
    const auto count = static_cast<double>(l.count());
    double sum = 0;
    for (std::int64_t j = threadIdx.x; j < l.count(); j += blockDim.x) sum += x[l.offset(c, j)];
    mean = block_sum(sum) / count;
    double squares = 0;
    for (std::int64_t j = threadIdx.x; j < l.count(); j += blockDim.x) {
      const double centered = static_cast<double>(x[l.offset(c, j)]) - mean;
      squares += centered * centered;
    }
    squares = block_sum(squares);
    var = squares / count;
    if (threadIdx.x == 0 && running_mean != nullptr) {
      running_mean[c] = static_cast<T>((1 - momentum) * running_mean[c] + momentum * mean);
      running_var[c] =
          static_cast<T>((1 - momentum) * running_var[c] + momentum * squares / (count - 1));
    }
  } else {
    mean = running_mean[c];
    var = running_var[c];
  }
  if (threadIdx.x != 0) return;
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
// Both: grad_weight = Σ grad_out·x̂, grad_bias = Σ grad_out. Block c handles channel c.
template <typename T>
__global__ void batch_norm_backward_stats_kernel(const T* grad_out, const T* x, ChannelLayout l,
                                                 const T* weight, const T* save_mean,
                                                 const T* save_invstd, bool training,
                                                 bool need_sums, T* grad_weight, T* grad_bias,
                                                 Coefficients<T> f) {
  const std::int64_t c = blockIdx.x;
  const double mean = save_mean[c], invstd = save_invstd[c];
  double sum_dy = 0, sum_dy_centered = 0;
  if (need_sums) {
    for (std::int64_t j = threadIdx.x; j < l.count(); j += blockDim.x) {
      const std::int64_t at = l.offset(c, j);
      const double g = grad_out[at];
      sum_dy += g;
      sum_dy_centered += g * (static_cast<double>(x[at]) - mean);
    }
    sum_dy = block_sum(sum_dy);
    sum_dy_centered = block_sum(sum_dy_centered);
  }
  if (threadIdx.x != 0) return;
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
// null (then k is 0).
template <typename T>
__global__ void apply_per_channel_kernel(const T* a, const T* b, ChannelLayout l, Coefficients<T> f,
                                         T* out) {
  const std::int64_t n = l.batch * l.channels * l.spatial;
  for (std::int64_t i = blockIdx.x * std::int64_t(blockDim.x) + threadIdx.x; i < n;
       i += std::int64_t(gridDim.x) * blockDim.x) {
    const std::int64_t c = i / l.spatial % l.channels;
    T value = a[i] * f.scale[c] + f.offset[c];
    if (b != nullptr) value += (b[i] - f.center[c]) * f.k[c];
    out[i] = value;
  }
}

template <typename T>
void apply_per_channel(const T* a, const T* b, const ChannelLayout& l, const Coefficients<T>& f,
                       T* out, cudaStream_t s, const char* op) {
  const std::int64_t n = l.batch * l.channels * l.spatial;
  if (n == 0) return;
  apply_per_channel_kernel<T><<<blocks_for(n), kThreadsPerBlock, 0, s>>>(a, b, l, f, out);
  check_launch(op);
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
  visit_floating(x.dtype(), op, [&](auto zero) {
    using T = decltype(zero);
    const Coefficients<T> f(storage, l.channels);
    batch_norm_stats_kernel<T><<<static_cast<unsigned int>(l.channels), kThreadsPerBlock, 0, s>>>(
        static_cast<const T*>(x.raw_data()), l, data_or_null<T>(weight), data_or_null<T>(bias),
        mutable_data_or_null<T>(running_mean), mutable_data_or_null<T>(running_var), training,
        momentum, eps, static_cast<T*>(save_mean.raw_data()),
        static_cast<T*>(save_invstd.raw_data()), f);
    check_launch(op);
    apply_per_channel<T>(static_cast<const T*>(x.raw_data()), nullptr, l, f,
                         static_cast<T*>(out.raw_data()), s, op);
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
  visit_floating(x.dtype(), op, [&](auto zero) {
    using T = decltype(zero);
    const Coefficients<T> f(storage, l.channels);
    const T* in = static_cast<const T*>(x.raw_data());
    const T* dy = static_cast<const T*>(grad_out.raw_data());
    batch_norm_backward_stats_kernel<T>
        <<<static_cast<unsigned int>(l.channels), kThreadsPerBlock, 0, s>>>(
            dy, in, l, data_or_null<T>(weight), static_cast<const T*>(save_mean.raw_data()),
            static_cast<const T*>(save_invstd.raw_data()), training, need_sums,
            mutable_data_or_null<T>(grad_weight), mutable_data_or_null<T>(grad_bias), f);
    check_launch(op);
    if (grad_x.defined()) {
      apply_per_channel<T>(dy, training ? in : nullptr, l, f, static_cast<T*>(grad_x.raw_data()), s,
                           op);
    }
  });
}

}  // namespace mg::cuda
