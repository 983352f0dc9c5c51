// Negative log-likelihood over input [N, C, S] and target [N, S], as core/cpu/loss.cpp: the
// loss and weight sums run in double (pass 1: per-block partials, pass 2: one block adds them
// and writes total_weight and the reduced loss). The backward writes every element of
// grad_input once, so it needs no separate zero fill.

#include <algorithm>
#include <cstdint>

#include "core/creation.h"
#include "core/cuda/check.cuh"
#include "core/cuda/context.cuh"
#include "core/cuda/cuda_backend.cuh"
#include "core/cuda/launch.cuh"
#include "core/cuda/row_reduce.cuh"

namespace mg::cuda {

namespace {

// Blocks of the first pass: enough to read a large target map quickly, few enough for one
// block to add their partials.
constexpr unsigned int kMaxLossBlocks = 256;

struct NllShape {
  std::int64_t batch, classes, spatial;
};

// Per-target losses (Reduction::None writes them to out) and block partials of Σ loss and
// Σ weight into partial[2·block], partial[2·block + 1].
template <typename T>
__global__ void nll_loss_partials(const T* x, const std::int64_t* t, const T* w, NllShape l,
                                  std::int64_t ignore_index, bool write_each, T* out,
                                  double* partial) {
  const std::int64_t n = l.batch * l.spatial;
  double loss_sum = 0, weight_sum = 0;
  for (std::int64_t i = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<std::int64_t>(blockDim.x) * gridDim.x) {
    const std::int64_t cls = t[i];
    if (cls == ignore_index) {
      if (write_each) out[i] = T(0);
      continue;
    }
    const std::int64_t batch = i / l.spatial, s = i % l.spatial;
    const T w_i = w ? w[cls] : T(1);
    const T loss = -w_i * x[(batch * l.classes + cls) * l.spatial + s];
    if (write_each) out[i] = loss;
    loss_sum += static_cast<double>(loss);
    weight_sum += static_cast<double>(w_i);
  }
  loss_sum = group_reduce<kThreadsPerBlock>(loss_sum, SumOp{});
  weight_sum = group_reduce<kThreadsPerBlock>(weight_sum, SumOp{});
  if (threadIdx.x == 0) {
    partial[2 * blockIdx.x] = loss_sum;
    partial[2 * blockIdx.x + 1] = weight_sum;
  }
}

// One block: total_weight, and out for Sum and Mean (all targets ignored: 0/0 = NaN, as in
// PyTorch).
template <typename T>
__global__ void nll_loss_totals(const double* partial, unsigned int blocks, int reduction, T* out,
                                T* total_weight) {
  double loss_sum = 0, weight_sum = 0;
  for (unsigned int b = threadIdx.x; b < blocks; b += blockDim.x) {
    loss_sum += partial[2 * b];
    weight_sum += partial[2 * b + 1];
  }
  loss_sum = group_reduce<kThreadsPerBlock>(loss_sum, SumOp{});
  weight_sum = group_reduce<kThreadsPerBlock>(weight_sum, SumOp{});
  if (threadIdx.x != 0) return;
  *total_weight = static_cast<T>(weight_sum);
  if (reduction == static_cast<int>(Reduction::Sum)) *out = static_cast<T>(loss_sum);
  if (reduction == static_cast<int>(Reduction::Mean)) *out = static_cast<T>(loss_sum / weight_sum);
}

// One thread per element of grad_input: -weight[target]·g where the class is the target, 0
// elsewhere.
template <typename T>
__global__ void nll_loss_backward_kernel(const T* g, const std::int64_t* t, const T* w,
                                         const T* total_weight, NllShape l,
                                         std::int64_t ignore_index, int reduction, T* grad) {
  const std::int64_t n = l.batch * l.classes * l.spatial;
  const bool each = reduction == static_cast<int>(Reduction::None);
  T shared = each ? T(0) : *g;
  if (reduction == static_cast<int>(Reduction::Mean)) shared /= *total_weight;
  for (std::int64_t k = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x; k < n;
       k += static_cast<std::int64_t>(blockDim.x) * gridDim.x) {
    const std::int64_t s = k % l.spatial, rest = k / l.spatial;
    const std::int64_t c = rest % l.classes, batch = rest / l.classes;
    const std::int64_t i = batch * l.spatial + s;
    const std::int64_t cls = t[i];
    T value = T(0);
    if (cls == c && cls != ignore_index) value = -(w ? w[cls] : T(1)) * (each ? g[i] : shared);
    grad[k] = value;
  }
}

}  // namespace

void CudaBackend::nll_loss(const Tensor& input, const Tensor& target, const Tensor& weight,
                           Reduction reduction, std::int64_t ignore_index, const Tensor& out,
                           const Tensor& total_weight) {
  const NllShape l{input.size(0), input.size(1), input.size(2)};
  const std::int64_t n = l.batch * l.spatial;
  DeviceGuard guard(input.device());
  cudaStream_t s = stream(input.device().index);
  const unsigned int blocks = std::min(blocks_for(n), kMaxLossBlocks);
  const Tensor partial = empty({2 * static_cast<std::int64_t>(blocks)},
                               TensorOptions(kFloat64).device(input.device()));
  auto* sums = static_cast<double*>(partial.raw_data());
  visit_floating(input.dtype(), "nll_loss", [&](auto zero) {
    using T = decltype(zero);
    const T* w = weight.defined() ? static_cast<const T*>(weight.raw_data()) : nullptr;
    T* result = static_cast<T*>(out.raw_data());
    nll_loss_partials<T><<<blocks, kThreadsPerBlock, 0, s>>>(
        static_cast<const T*>(input.raw_data()),
        static_cast<const std::int64_t*>(target.raw_data()), w, l, ignore_index,
        reduction == Reduction::None, result, sums);
    check_launch("nll_loss");
    nll_loss_totals<T><<<1, kThreadsPerBlock, 0, s>>>(sums, blocks, static_cast<int>(reduction),
                                                      result,
                                                      static_cast<T*>(total_weight.raw_data()));
    check_launch("nll_loss");
  });
}

void CudaBackend::nll_loss_backward(const Tensor& grad_out, const Tensor& target,
                                    const Tensor& weight, Reduction reduction,
                                    std::int64_t ignore_index, const Tensor& total_weight,
                                    const Tensor& grad_input) {
  const NllShape l{grad_input.size(0), grad_input.size(1), grad_input.size(2)};
  const std::int64_t n = grad_input.numel();
  if (n == 0) return;
  DeviceGuard guard(grad_input.device());
  visit_floating(grad_input.dtype(), "nll_loss_backward", [&](auto zero) {
    using T = decltype(zero);
    nll_loss_backward_kernel<T>
        <<<blocks_for(n), kThreadsPerBlock, 0, stream(grad_input.device().index)>>>(
            static_cast<const T*>(grad_out.raw_data()),
            static_cast<const std::int64_t*>(target.raw_data()),
            weight.defined() ? static_cast<const T*>(weight.raw_data()) : nullptr,
            static_cast<const T*>(total_weight.raw_data()), l, ignore_index,
            static_cast<int>(reduction), static_cast<T*>(grad_input.raw_data()));
  });
  check_launch("nll_loss_backward");
}

}  // namespace mg::cuda
