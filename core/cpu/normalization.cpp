#include <cmath>
#include <map>
#include <mutex>
#include <vector>

#include "core/cpu/cpu_backend.h"
#include "core/cpu/parallel.h"

namespace mg::cpu {

namespace {

template <typename T>
const T* data_or_null(const Tensor& t) {
  return t.defined() ? static_cast<const T*>(t.raw_data()) : nullptr;
}
template <typename T>
T* mutable_data_or_null(const Tensor& t) {
  return t.defined() ? static_cast<T*>(t.raw_data()) : nullptr;
}

std::int64_t row_grain(std::int64_t cols) {
  return std::max<std::int64_t>(1, kParallelGrain / std::max<std::int64_t>(cols, 1));
}

// Sums per-chunk partial results in chunk order, so that the result does not depend on which
// thread finished first.
template <typename T>
class OrderedPartials {
 public:
  void add(std::int64_t chunk_begin, std::vector<T> partial) {
    std::lock_guard<std::mutex> lock(mutex_);
    partials_.emplace(chunk_begin, std::move(partial));
  }
  // Element i of the sum of all partials.
  std::vector<T> total(std::size_t size) const {
    std::vector<T> sum(size, T(0));
    for (const auto& [begin, partial] : partials_) {
      for (std::size_t i = 0; i < size; ++i) sum[i] += partial[i];
    }
    return sum;
  }

 private:
  std::mutex mutex_;
  std::map<std::int64_t, std::vector<T>> partials_;
};

// ---- layer norm -----------------------------------------------------------------------------

// Weight and bias when the layer has none: ones and zeros, so that one loop serves every case.
template <typename T>
struct Affine {
  std::vector<T> ones, zeros;
  const T* weight;
  const T* bias;
  Affine(const Tensor& w, const Tensor& b, std::int64_t cols)
      : ones(w.defined() ? 0 : static_cast<std::size_t>(cols), T(1)),
        zeros(b.defined() ? 0 : static_cast<std::size_t>(cols), T(0)),
        weight(w.defined() ? static_cast<const T*>(w.raw_data()) : ones.data()),
        bias(b.defined() ? static_cast<const T*>(b.raw_data()) : zeros.data()) {}
};

// The per-row work is in functions of plain pointers: vectorised loops that read a pointer
// captured by a lambda may reload it, or even gather through it, in every iteration.

// One row: mean, then the biased variance around it (two passes over a row that sits in
// cache, which avoids the cancellation of E[x²] - mean²), then y = (x·rstd + shift)·w + b.
template <typename T>
void layer_norm_row(const T* x, const T* w, const T* b, std::int64_t cols, T eps, T* y, T* mean,
                    T* rstd) {
  const T inv_cols = T(1) / static_cast<T>(cols);
  T sum = 0;
#pragma omp simd reduction(+ : sum)
  for (std::int64_t j = 0; j < cols; ++j) sum += x[j];
  const T mu = sum * inv_cols;
  T squares = 0;
#pragma omp simd reduction(+ : squares)
  for (std::int64_t j = 0; j < cols; ++j) squares += (x[j] - mu) * (x[j] - mu);
  const T inv_std = T(1) / std::sqrt(squares * inv_cols + eps);
  *mean = mu;
  *rstd = inv_std;
  const T shift = -mu * inv_std;
#pragma omp simd
  for (std::int64_t j = 0; j < cols; ++j) y[j] = (x[j] * inv_std + shift) * w[j] + b[j];
}

template <typename T>
void layer_norm_typed(const Tensor& x, const Tensor& weight, const Tensor& bias, double eps,
                      const Tensor& out, const Tensor& mean, const Tensor& rstd) {
  const std::int64_t cols = x.size(1);
  const T* in = static_cast<const T*>(x.raw_data());
  const Affine<T> affine(weight, bias, cols);
  T* y = static_cast<T*>(out.raw_data());
  T* means = static_cast<T*>(mean.raw_data());
  T* rstds = static_cast<T*>(rstd.raw_data());
  parallel_for(0, x.size(0), row_grain(cols), [&](std::int64_t begin, std::int64_t end) {
    for (std::int64_t r = begin; r < end; ++r) {
      layer_norm_row(in + r * cols, affine.weight, affine.bias, cols, static_cast<T>(eps),
                     y + r * cols, means + r, rstds + r);
    }
  });
}

// With x̂ = (x - mean)·rstd and g = grad_out·weight, one row's
//   grad_x = rstd · (g - mean(g) - x̂ · mean(g·x̂)),
// and its terms of grad_weight = Σ_rows grad_out·x̂ and grad_bias = Σ_rows grad_out, added to
// dw and db unless they are null. One pass gathers the two row sums (and the column terms), a
// second writes grad_x (unless dx is null).
template <typename T>
void layer_norm_backward_row(const T* dy, const T* x, const T* w, T mu, T inv_std,
                             std::int64_t cols, T* dx, T* dw, T* db) {
  T sum_g = 0, sum_g_centered = 0;
  if (dw) {
#pragma omp simd reduction(+ : sum_g, sum_g_centered)
    for (std::int64_t j = 0; j < cols; ++j) {
      const T centered = x[j] - mu;
      dw[j] += dy[j] * centered * inv_std;
      db[j] += dy[j];
      const T g = dy[j] * w[j];
      sum_g += g;
      sum_g_centered += g * centered;
    }
  } else {
#pragma omp simd reduction(+ : sum_g, sum_g_centered)
    for (std::int64_t j = 0; j < cols; ++j) {
      const T g = dy[j] * w[j];
      sum_g += g;
      sum_g_centered += g * (x[j] - mu);
    }
  }
  if (!dx) return;
  // grad_x = rstd·g + scale·x + offset, with mean(g·x̂) = rstd·sum_g_centered/cols.
  const T inv_cols = T(1) / static_cast<T>(cols);
  const T scale = -inv_std * inv_std * inv_std * sum_g_centered * inv_cols;
  const T offset = -inv_std * sum_g * inv_cols - mu * scale;
#pragma omp simd
  for (std::int64_t j = 0; j < cols; ++j) dx[j] = inv_std * dy[j] * w[j] + scale * x[j] + offset;
}

template <typename T>
void layer_norm_backward_typed(const Tensor& grad_out, const Tensor& x, const Tensor& mean,
                               const Tensor& rstd, const Tensor& weight, const Tensor& grad_x,
                               const Tensor& grad_weight, const Tensor& grad_bias) {
  const std::int64_t rows = x.size(0), cols = x.size(1);
  const T* dy = static_cast<const T*>(grad_out.raw_data());
  const T* in = static_cast<const T*>(x.raw_data());
  const T* means = static_cast<const T*>(mean.raw_data());
  const T* rstds = static_cast<const T*>(rstd.raw_data());
  const Affine<T> affine(weight, Tensor(), cols);
  T* dx = mutable_data_or_null<T>(grad_x);
  const bool want_params = grad_weight.defined() || grad_bias.defined();
  OrderedPartials<T> partials;  // per chunk: Σ grad_out·x̂ (cols), then Σ grad_out (cols)
  parallel_for(0, rows, row_grain(cols), [&](std::int64_t begin, std::int64_t end) {
    std::vector<T> column_sums(want_params ? static_cast<std::size_t>(2 * cols) : 0, T(0));
    T* dw = want_params ? column_sums.data() : nullptr;
    T* db = want_params ? column_sums.data() + cols : nullptr;
    for (std::int64_t r = begin; r < end; ++r) {
      layer_norm_backward_row(dy + r * cols, in + r * cols, affine.weight, means[r], rstds[r], cols,
                              dx ? dx + r * cols : nullptr, dw, db);
    }
    if (want_params) partials.add(begin, std::move(column_sums));
  });
  if (!want_params) return;
  const std::vector<T> sums = partials.total(static_cast<std::size_t>(2 * cols));
  if (grad_weight.defined()) {
    std::copy_n(sums.begin(), cols, static_cast<T*>(grad_weight.raw_data()));
  }
  if (grad_bias.defined()) {
    std::copy_n(sums.begin() + cols, cols, static_cast<T*>(grad_bias.raw_data()));
  }
}

// ---- batch norm -----------------------------------------------------------------------------

// x is [N, C, S] (S: the product of the spatial dims); channel c's values are the N blocks
// x[n, c, 0:S]. Sums accumulate in double, as PyTorch's CPU kernels do: a channel can hold
// millions of values.
struct ChannelLayout {
  std::int64_t batch, channels, spatial;
  std::int64_t count() const { return batch * spatial; }
};

ChannelLayout channel_layout(const Tensor& x) {
  std::int64_t spatial = 1;
  for (std::int64_t d = 2; d < x.dim(); ++d) spatial *= x.size(d);
  return {x.size(0), x.size(1), spatial};
}

// Where channel c's block of sample n starts: x[n, c, 0].
std::int64_t block_start(const ChannelLayout& l, std::int64_t n, std::int64_t c) {
  return (n * l.channels + c) * l.spatial;
}

std::int64_t channel_grain(const ChannelLayout& l) {
  return std::max<std::int64_t>(1, kParallelGrain / std::max<std::int64_t>(l.count(), 1));
}

template <typename T>
void batch_norm_typed(const Tensor& x, const Tensor& weight, const Tensor& bias,
                      const Tensor& running_mean, const Tensor& running_var, bool training,
                      double momentum, double eps, const Tensor& out, const Tensor& save_mean,
                      const Tensor& save_invstd) {
  const ChannelLayout l = channel_layout(x);
  const T* in = static_cast<const T*>(x.raw_data());
  const T* w = data_or_null<T>(weight);
  const T* b = data_or_null<T>(bias);
  T* run_mean = mutable_data_or_null<T>(running_mean);
  T* run_var = mutable_data_or_null<T>(running_var);
  T* y = static_cast<T*>(out.raw_data());
  T* means = static_cast<T*>(save_mean.raw_data());
  T* invstds = static_cast<T*>(save_invstd.raw_data());
  const std::int64_t S = l.spatial;
  parallel_for(0, l.channels, channel_grain(l), [=](std::int64_t begin, std::int64_t end) {
    for (std::int64_t c = begin; c < end; ++c) {
      double mean = 0, invstd = 0;
      if (training) {
        double sum = 0;
        for (std::int64_t n = 0; n < l.batch; ++n) {
          const T* block = in + block_start(l, n, c);
#pragma omp simd reduction(+ : sum)
          for (std::int64_t s = 0; s < S; ++s) sum += static_cast<double>(block[s]);
        }
        mean = sum / static_cast<double>(l.count());
        double squares = 0;
        for (std::int64_t n = 0; n < l.batch; ++n) {
          const T* block = in + block_start(l, n, c);
#pragma omp simd reduction(+ : squares)
          for (std::int64_t s = 0; s < S; ++s) {
            const double centered = static_cast<double>(block[s]) - mean;
            squares += centered * centered;
          }
        }
        invstd = 1 / std::sqrt(squares / static_cast<double>(l.count()) + eps);
        if (run_mean) {
          const double unbiased = squares / static_cast<double>(l.count() - 1);
          run_mean[c] = static_cast<T>((1 - momentum) * run_mean[c] + momentum * mean);
          run_var[c] = static_cast<T>((1 - momentum) * run_var[c] + momentum * unbiased);
        }
      } else {
        mean = run_mean[c];
        invstd = 1 / std::sqrt(static_cast<double>(run_var[c]) + eps);
      }
      means[c] = static_cast<T>(mean);
      invstds[c] = static_cast<T>(invstd);
      // y = x·scale + shift
      const double w_c = w ? w[c] : 1.0;
      const T scale = static_cast<T>(invstd * w_c);
      const T shift = static_cast<T>((b ? b[c] : 0.0) - mean * invstd * w_c);
      for (std::int64_t n = 0; n < l.batch; ++n) {
        const T* block = in + block_start(l, n, c);
        T* out_block = y + block_start(l, n, c);
#pragma omp simd
        for (std::int64_t s = 0; s < S; ++s) out_block[s] = block[s] * scale + shift;
      }
    }
  });
}

// Training (batch statistics, which depend on x), with x̂ = (x - mean)·invstd and M values per
// channel:  grad_x = weight·invstd·(grad_out - Σgrad_out/M - x̂·Σ(grad_out·x̂)/M).
// Evaluation (running statistics, constants): grad_x = weight·invstd·grad_out.
// Both: grad_weight = Σ grad_out·x̂, grad_bias = Σ grad_out.
template <typename T>
void batch_norm_backward_typed(const Tensor& grad_out, const Tensor& x, const Tensor& weight,
                               const Tensor& save_mean, const Tensor& save_invstd, bool training,
                               const Tensor& grad_x, const Tensor& grad_weight,
                               const Tensor& grad_bias) {
  const ChannelLayout l = channel_layout(x);
  const T* dy = static_cast<const T*>(grad_out.raw_data());
  const T* in = static_cast<const T*>(x.raw_data());
  const T* w = data_or_null<T>(weight);
  const T* means = static_cast<const T*>(save_mean.raw_data());
  const T* invstds = static_cast<const T*>(save_invstd.raw_data());
  T* dx = mutable_data_or_null<T>(grad_x);
  T* dw = mutable_data_or_null<T>(grad_weight);
  T* db = mutable_data_or_null<T>(grad_bias);
  const std::int64_t S = l.spatial;
  const bool need_sums = dw || db || (dx && training);
  parallel_for(0, l.channels, channel_grain(l), [=](std::int64_t begin, std::int64_t end) {
    for (std::int64_t c = begin; c < end; ++c) {
      const double mean = means[c], invstd = invstds[c];
      double sum_dy = 0, sum_dy_centered = 0;
      for (std::int64_t n = 0; need_sums && n < l.batch; ++n) {
        const T* block = in + block_start(l, n, c);
        const T* g = dy + block_start(l, n, c);
#pragma omp simd reduction(+ : sum_dy, sum_dy_centered)
        for (std::int64_t s = 0; s < S; ++s) {
          sum_dy += static_cast<double>(g[s]);
          sum_dy_centered += static_cast<double>(g[s]) * (static_cast<double>(block[s]) - mean);
        }
      }
      if (dw) dw[c] = static_cast<T>(sum_dy_centered * invstd);
      if (db) db[c] = static_cast<T>(sum_dy);
      if (!dx) continue;
      const double w_c = w ? w[c] : 1.0;
      // grad_x = grad_out·a + x·k + offset
      const T a = static_cast<T>(w_c * invstd);
      T k = 0, offset = 0;
      if (training) {
        const double inv_count = 1.0 / static_cast<double>(l.count());
        const double kd = -w_c * invstd * invstd * invstd * sum_dy_centered * inv_count;
        k = static_cast<T>(kd);
        offset = static_cast<T>(-w_c * invstd * sum_dy * inv_count - mean * kd);
      }
      for (std::int64_t n = 0; n < l.batch; ++n) {
        const std::int64_t at = block_start(l, n, c);
        const T* block = in + at;
        const T* g = dy + at;
        T* out_block = dx + at;
#pragma omp simd
        for (std::int64_t s = 0; s < S; ++s) out_block[s] = g[s] * a + block[s] * k + offset;
      }
    }
  });
}

}  // namespace

void CpuBackend::layer_norm(const Tensor& x, const Tensor& weight, const Tensor& bias, double eps,
                            const Tensor& out, const Tensor& mean, const Tensor& rstd) {
  visit_floating(x.dtype(), "layer_norm", [&](auto zero) {
    layer_norm_typed<decltype(zero)>(x, weight, bias, eps, out, mean, rstd);
  });
}

void CpuBackend::layer_norm_backward(const Tensor& grad_out, const Tensor& x, const Tensor& mean,
                                     const Tensor& rstd, const Tensor& weight, const Tensor& grad_x,
                                     const Tensor& grad_weight, const Tensor& grad_bias) {
  visit_floating(x.dtype(), "layer_norm_backward", [&](auto zero) {
    layer_norm_backward_typed<decltype(zero)>(grad_out, x, mean, rstd, weight, grad_x, grad_weight,
                                              grad_bias);
  });
}

void CpuBackend::batch_norm(const Tensor& x, const Tensor& weight, const Tensor& bias,
                            const Tensor& running_mean, const Tensor& running_var, bool training,
                            double momentum, double eps, const Tensor& out, const Tensor& save_mean,
                            const Tensor& save_invstd) {
  visit_floating(x.dtype(), "batch_norm", [&](auto zero) {
    batch_norm_typed<decltype(zero)>(x, weight, bias, running_mean, running_var, training, momentum,
                                     eps, out, save_mean, save_invstd);
  });
}

void CpuBackend::batch_norm_backward(const Tensor& grad_out, const Tensor& x, const Tensor& weight,
                                     const Tensor& save_mean, const Tensor& save_invstd,
                                     bool training, const Tensor& grad_x, const Tensor& grad_weight,
                                     const Tensor& grad_bias) {
  visit_floating(x.dtype(), "batch_norm_backward", [&](auto zero) {
    batch_norm_backward_typed<decltype(zero)>(grad_out, x, weight, save_mean, save_invstd, training,
                                              grad_x, grad_weight, grad_bias);
  });
}

}  // namespace mg::cpu
