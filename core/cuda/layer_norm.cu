// Layer norm over the rows of a contiguous [rows, cols] tensor, with the CPU's formulas
// (core/cpu/normalization.cpp):
//   forward   mean, biased variance around it (two passes), rstd = 1/sqrt(var + eps),
//             y = (x·rstd - mean·rstd)·w + b
//   backward  g = grad_out·w; grad_x = rstd·g + scale·x + offset with
//             scale = -rstd³·Σ g·(x - mean)/cols, offset = -rstd·Σ g/cols - mean·scale;
//             grad_weight = Σ_rows grad_out·(x - mean)·rstd, grad_bias = Σ_rows grad_out.
// A warp (short rows) or a block (long rows) owns each row. The column sums of grad_weight and
// grad_bias run in two deterministic passes: chunks of rows into partial sums, then the partials.

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

// Every thread of a group takes the same turns of the row loop, as the reductions need.
template <int Threads, typename T>
__global__ void layer_norm_rows(const T* x, const T* w, const T* b, T eps, T* y, T* mean, T* rstd,
                                std::int64_t rows, std::int64_t cols) {
  const RowGroup<Threads> g;
  const T inv_cols = T(1) / static_cast<T>(cols);
  for (std::int64_t r = g.first; r < rows; r += g.step) {
    const T* in = x + r * cols;
    T* out = y + r * cols;
    T sum = 0;
    for (std::int64_t j = g.lane; j < cols; j += Threads) sum += in[j];
    const T mu = group_reduce<Threads>(sum, SumOp{}) * inv_cols;
    T squares = 0;
    for (std::int64_t j = g.lane; j < cols; j += Threads) squares += (in[j] - mu) * (in[j] - mu);
    squares = group_reduce<Threads>(squares, SumOp{});
    const T inv_std = T(1) / device_sqrt(squares * inv_cols + eps);
    if (g.lane == 0) {
      mean[r] = mu;
      rstd[r] = inv_std;
    }
    const T shift = -mu * inv_std;
    for (std::int64_t j = g.lane; j < cols; j += Threads) {
      out[j] = (in[j] * inv_std + shift) * (w ? w[j] : T(1)) + (b ? b[j] : T(0));
    }
  }
}

template <int Threads, typename T>
__global__ void layer_norm_backward_rows(const T* dy, const T* x, const T* mean, const T* rstd,
                                         const T* w, T* dx, std::int64_t rows, std::int64_t cols) {
  const RowGroup<Threads> g;
  const T inv_cols = T(1) / static_cast<T>(cols);
  for (std::int64_t r = g.first; r < rows; r += g.step) {
    const T* grad = dy + r * cols;
    const T* in = x + r * cols;
    T* result = dx + r * cols;
    const T mu = mean[r], inv_std = rstd[r];
    T sum_g = 0, sum_g_centered = 0;
    for (std::int64_t j = g.lane; j < cols; j += Threads) {
      const T gj = grad[j] * (w ? w[j] : T(1));
      sum_g += gj;
      sum_g_centered += gj * (in[j] - mu);
    }
    sum_g = group_reduce<Threads>(sum_g, SumOp{});
    sum_g_centered = group_reduce<Threads>(sum_g_centered, SumOp{});
    const T scale = -inv_std * inv_std * inv_std * sum_g_centered * inv_cols;
    const T offset = -inv_std * sum_g * inv_cols - mu * scale;
    for (std::int64_t j = g.lane; j < cols; j += Threads)
      result[j] = inv_std * grad[j] * (w ? w[j] : T(1)) + scale * in[j] + offset;
  }
}

// Pass 1 of the column sums: chunk c of `chunk` rows adds up, for every column j,
// Σ grad_out·(x - mean)·rstd into partial[c][0][j] and Σ grad_out into partial[c][1][j].
// Threads along x are columns (coalesced), blocks along y are chunks.
template <typename T>
__global__ void layer_norm_column_partials(const T* dy, const T* x, const T* mean, const T* rstd,
                                           T* partial, std::int64_t rows, std::int64_t cols,
                                           std::int64_t chunk) {
  const std::int64_t c = blockIdx.y;
  const std::int64_t begin = c * chunk, end = begin + chunk < rows ? begin + chunk : rows;
  for (std::int64_t j = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x; j < cols;
       j += static_cast<std::int64_t>(blockDim.x) * gridDim.x) {
    T dw = 0, db = 0;
    for (std::int64_t r = begin; r < end; ++r) {
      const T grad = dy[r * cols + j];
      dw += grad * (x[r * cols + j] - mean[r]) * rstd[r];
      db += grad;
    }
    partial[(c * 2) * cols + j] = dw;
    partial[(c * 2 + 1) * cols + j] = db;
  }
}

// Pass 2: the chunks' partials in chunk order.
template <typename T>
__global__ void layer_norm_column_totals(const T* partial, std::int64_t chunks, std::int64_t cols,
                                         T* grad_weight, T* grad_bias) {
  for (std::int64_t j = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x; j < cols;
       j += static_cast<std::int64_t>(blockDim.x) * gridDim.x) {
    T dw = 0, db = 0;
    for (std::int64_t c = 0; c < chunks; ++c) {
      dw += partial[(c * 2) * cols + j];
      db += partial[(c * 2 + 1) * cols + j];
    }
    if (grad_weight) grad_weight[j] = dw;
    if (grad_bias) grad_bias[j] = db;
  }
}

// Rows per chunk of the column sums: at least 32, and few enough chunks for the y grid.
std::int64_t column_chunk(std::int64_t rows) {
  constexpr std::int64_t kMaxChunks = 1024;
  return std::max<std::int64_t>(32, (rows + kMaxChunks - 1) / kMaxChunks);
}

}  // namespace

void CudaBackend::layer_norm(const Tensor& x, const Tensor& weight, const Tensor& bias, double eps,
                             const Tensor& out, const Tensor& mean, const Tensor& rstd) {
  const std::int64_t rows = x.size(0), cols = x.size(1);
  if (rows == 0) return;
  DeviceGuard guard(x.device());
  cudaStream_t s = stream(x.device().index);
  visit_floating(x.dtype(), "layer_norm", [&](auto zero) {
    using T = decltype(zero);
    const T* in = static_cast<const T*>(x.raw_data());
    const T* w = data_or_null<T>(weight);
    const T* b = data_or_null<T>(bias);
    T* y = static_cast<T*>(out.raw_data());
    T* means = static_cast<T*>(mean.raw_data());
    T* rstds = static_cast<T*>(rstd.raw_data());
    const T e = static_cast<T>(eps);
    if (cols <= kWarpRowLimit) {
      layer_norm_rows<kWarpSize, T>
          <<<row_blocks(rows, kRowsPerWarpBlock), kThreadsPerBlock, 0, s>>>(in, w, b, e, y, means,
                                                                            rstds, rows, cols);
    } else {
      layer_norm_rows<kThreadsPerBlock, T><<<row_blocks(rows, 1), kThreadsPerBlock, 0, s>>>(
          in, w, b, e, y, means, rstds, rows, cols);
    }
  });
  check_launch("layer_norm");
}

void CudaBackend::layer_norm_backward(const Tensor& grad_out, const Tensor& x, const Tensor& mean,
                                      const Tensor& rstd, const Tensor& weight,
                                      const Tensor& grad_x, const Tensor& grad_weight,
                                      const Tensor& grad_bias) {
  const std::int64_t rows = x.size(0), cols = x.size(1);
  const bool want_params = grad_weight.defined() || grad_bias.defined();
  DeviceGuard guard(x.device());
  cudaStream_t s = stream(x.device().index);
  visit_floating(x.dtype(), "layer_norm_backward", [&](auto zero) {
    using T = decltype(zero);
    const T* dy = static_cast<const T*>(grad_out.raw_data());
    const T* in = static_cast<const T*>(x.raw_data());
    const T* means = static_cast<const T*>(mean.raw_data());
    const T* rstds = static_cast<const T*>(rstd.raw_data());
    const T* w = data_or_null<T>(weight);
    if (grad_x.defined() && rows > 0) {
      T* dx = static_cast<T*>(grad_x.raw_data());
      if (cols <= kWarpRowLimit) {
        layer_norm_backward_rows<kWarpSize, T>
            <<<row_blocks(rows, kRowsPerWarpBlock), kThreadsPerBlock, 0, s>>>(dy, in, means, rstds,
                                                                              w, dx, rows, cols);
      } else {
        layer_norm_backward_rows<kThreadsPerBlock, T>
            <<<row_blocks(rows, 1), kThreadsPerBlock, 0, s>>>(dy, in, means, rstds, w, dx, rows,
                                                              cols);
      }
      check_launch("layer_norm_backward");
    }
    if (!want_params || cols == 0) return;
    const std::int64_t chunk = column_chunk(rows);
    const std::int64_t chunks = std::max<std::int64_t>(1, (rows + chunk - 1) / chunk);
    const Tensor partial = empty({chunks, 2, cols}, x.options());
    T* p = static_cast<T*>(partial.raw_data());
    const dim3 grid(std::min<unsigned int>(blocks_for(cols), 1024),
                    static_cast<unsigned int>(chunks));
    layer_norm_column_partials<T>
        <<<grid, kThreadsPerBlock, 0, s>>>(dy, in, means, rstds, p, rows, cols, chunk);
    check_launch("layer_norm_backward");
    layer_norm_column_totals<T><<<blocks_for(cols), kThreadsPerBlock, 0, s>>>(
        p, chunks, cols, grad_weight.defined() ? static_cast<T*>(grad_weight.raw_data()) : nullptr,
        grad_bias.defined() ? static_cast<T*>(grad_bias.raw_data()) : nullptr);
    check_launch("layer_norm_backward");
  });
}

}  // namespace mg::cuda
