// Softmax and log-softmax along one dim of a contiguous tensor seen as [outer, dim, inner], and
// their backward rules, with the CPU's formulas (core/cpu/softmax.cpp):
//   softmax      y = exp(x - max) / Σ exp(x - max)
//   log-softmax  y = (x - max) - log Σ exp(x - max)
//   backward     grad_x = y·(grad_y - Σ grad_y·y)        (softmax)
//                grad_x = grad_y - exp(y)·Σ grad_y       (log-softmax)
// inner == 1 (the last dim): each row is contiguous and a warp (short rows) or a block (long
// rows) reduces it. Otherwise each (outer, inner) column belongs to one thread, and neighbouring
// threads read neighbouring columns, so every pass along `dim` is coalesced.

#include <cstdint>

#include "core/cuda/check.cuh"
#include "core/cuda/context.cuh"
#include "core/cuda/cuda_backend.cuh"
#include "core/cuda/launch.cuh"
#include "core/cuda/row_reduce.cuh"

namespace mg::cuda {

namespace {

// The loop bound is the same for every thread of a group, so the reductions inside see all of
// them (block groups: the whole block takes the same number of turns).
template <int Threads, typename T>
__global__ void softmax_rows(const T* x, T* y, std::int64_t rows, std::int64_t n, bool log) {
  const RowGroup<Threads> g;
  for (std::int64_t r = g.first; r < rows; r += g.step) {
    const T* in = x + r * n;
    T* out = y + r * n;
    T max = negative_infinity<T>();
    for (std::int64_t j = g.lane; j < n; j += Threads) max = in[j] > max ? in[j] : max;
    max = group_reduce<Threads>(max, MaxOp{});
    T sum = 0;
    for (std::int64_t j = g.lane; j < n; j += Threads) {
      const T e = device_exp(in[j] - max);
      if (!log) out[j] = e;
      sum += e;
    }
    sum = group_reduce<Threads>(sum, SumOp{});
    if (log) {
      const T log_sum = device_log(sum);
      for (std::int64_t j = g.lane; j < n; j += Threads) out[j] = (in[j] - max) - log_sum;
    } else {
      const T scale = T(1) / sum;
      for (std::int64_t j = g.lane; j < n; j += Threads) out[j] *= scale;
    }
  }
}

template <int Threads, typename T>
__global__ void softmax_backward_rows(const T* gy, const T* y, T* gx, std::int64_t rows,
                                      std::int64_t n, bool log) {
  const RowGroup<Threads> g;
  for (std::int64_t r = g.first; r < rows; r += g.step) {
    const T* grad = gy + r * n;
    const T* out = y + r * n;
    T* result = gx + r * n;
    T sum = 0;
    for (std::int64_t j = g.lane; j < n; j += Threads) sum += log ? grad[j] : grad[j] * out[j];
    sum = group_reduce<Threads>(sum, SumOp{});
    if (log) {
      for (std::int64_t j = g.lane; j < n; j += Threads)
        result[j] = grad[j] - device_exp(out[j]) * sum;
    } else {
      for (std::int64_t j = g.lane; j < n; j += Threads) result[j] = out[j] * (grad[j] - sum);
    }
  }
}

template <typename T>
__global__ void softmax_columns(const T* x, T* y, DimLayout l, bool log) {
  const std::int64_t columns = l.outer * l.inner;
  for (std::int64_t c = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x;
       c < columns; c += static_cast<std::int64_t>(blockDim.x) * gridDim.x) {
    const std::int64_t o = c / l.inner, i = c % l.inner;
    const T* in = x + o * l.dim * l.inner + i;
    T* out = y + o * l.dim * l.inner + i;
    T max = negative_infinity<T>();
    for (std::int64_t d = 0; d < l.dim; ++d) {
      const T v = in[d * l.inner];
      max = v > max ? v : max;
    }
    T sum = 0;
    for (std::int64_t d = 0; d < l.dim; ++d) {
      const T e = device_exp(in[d * l.inner] - max);
      if (!log) out[d * l.inner] = e;
      sum += e;
    }
    if (log) {
      const T log_sum = device_log(sum);
      for (std::int64_t d = 0; d < l.dim; ++d) out[d * l.inner] = (in[d * l.inner] - max) - log_sum;
    } else {
      const T scale = T(1) / sum;
      for (std::int64_t d = 0; d < l.dim; ++d) out[d * l.inner] *= scale;
    }
  }
}

template <typename T>
__global__ void softmax_backward_columns(const T* gy, const T* y, T* gx, DimLayout l, bool log) {
  const std::int64_t columns = l.outer * l.inner;
  for (std::int64_t c = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x;
       c < columns; c += static_cast<std::int64_t>(blockDim.x) * gridDim.x) {
    const std::int64_t base = (c / l.inner) * l.dim * l.inner + c % l.inner;
    T sum = 0;
    for (std::int64_t d = 0; d < l.dim; ++d) {
      const std::int64_t k = base + d * l.inner;
      sum += log ? gy[k] : gy[k] * y[k];
    }
    for (std::int64_t d = 0; d < l.dim; ++d) {
      const std::int64_t k = base + d * l.inner;
      gx[k] = log ? gy[k] - device_exp(y[k]) * sum : y[k] * (gy[k] - sum);
    }
  }
}

}  // namespace

void CudaBackend::softmax(const Tensor& x, std::int64_t dim, bool log, const Tensor& out) {
  if (x.numel() == 0) return;
  DeviceGuard guard(x.device());
  const DimLayout l = dim_layout(x, dim);
  cudaStream_t s = stream(x.device().index);
  visit_floating(x.dtype(), "softmax", [&](auto zero) {
    using T = decltype(zero);
    const T* in = static_cast<const T*>(x.raw_data());
    T* result = static_cast<T*>(out.raw_data());
    if (l.inner != 1) {
      softmax_columns<T>
          <<<blocks_for(l.outer * l.inner), kThreadsPerBlock, 0, s>>>(in, result, l, log);
    } else if (l.dim <= kWarpRowLimit) {
      softmax_rows<kWarpSize, T>
          <<<row_blocks(l.outer, kRowsPerWarpBlock), kThreadsPerBlock, 0, s>>>(in, result, l.outer,
                                                                               l.dim, log);
    } else {
      softmax_rows<kThreadsPerBlock, T>
          <<<row_blocks(l.outer, 1), kThreadsPerBlock, 0, s>>>(in, result, l.outer, l.dim, log);
    }
  });
  check_launch(log ? "log_softmax" : "softmax");
}

void CudaBackend::softmax_backward(const Tensor& grad_y, const Tensor& y, std::int64_t dim,
                                   bool log, const Tensor& grad_x) {
  if (y.numel() == 0) return;
  DeviceGuard guard(y.device());
  const DimLayout l = dim_layout(y, dim);
  cudaStream_t s = stream(y.device().index);
  visit_floating(y.dtype(), "softmax_backward", [&](auto zero) {
    using T = decltype(zero);
    const T* g = static_cast<const T*>(grad_y.raw_data());
    const T* out = static_cast<const T*>(y.raw_data());
    T* result = static_cast<T*>(grad_x.raw_data());
    if (l.inner != 1) {
      softmax_backward_columns<T>
          <<<blocks_for(l.outer * l.inner), kThreadsPerBlock, 0, s>>>(g, out, result, l, log);
    } else if (l.dim <= kWarpRowLimit) {
      softmax_backward_rows<kWarpSize, T>
          <<<row_blocks(l.outer, kRowsPerWarpBlock), kThreadsPerBlock, 0, s>>>(g, out, result,
                                                                               l.outer, l.dim, log);
    } else {
      softmax_backward_rows<kThreadsPerBlock, T>
          <<<row_blocks(l.outer, 1), kThreadsPerBlock, 0, s>>>(g, out, result, l.outer, l.dim, log);
    }
  });
  check_launch("softmax_backward");
}

}  // namespace mg::cuda
