#include <cmath>
#include <map>
#include <mutex>
#include <vector>

#include "core/cpu/cpu_backend.h"
#include "core/cpu/parallel.h"

namespace mg::cpu {

namespace {

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
// x[n, c, 0:S]. Per-channel sums accumulate in double, as PyTorch's CPU kernels do: a channel
// can hold millions of values. With S = 1 ([N, C] input) a channel is a strided column, so
// the loops then run along rows, over a range of channels at once.
struct ChannelLayout {
  std::int64_t batch, channels, spatial;
  std::int64_t count() const { return batch * spatial; }
};

ChannelLayout channel_layout(const Tensor& x) {
  std::int64_t spatial = 1;
  for (std::int64_t d = 2; d < x.dim(); ++d) spatial *= x.size(d);
  return {x.size(0), x.size(1), spatial};
}

// Runs f(first, last) over ranges of channels in parallel.
template <typename F>
void for_channel_ranges(const ChannelLayout& l, const F& f) {
  parallel_for(0, l.channels,
               std::max<std::int64_t>(1, kParallelGrain / std::max<std::int64_t>(l.count(), 1)), f);
}

// Σ over each channel of term(x, g, center[c]) (term: a captureless function of doubles).
template <typename T, typename Term>
std::vector<double> per_channel_sum(const T* x, const T* g, const std::vector<double>& center,
                                    const ChannelLayout& l, Term term) {
  const std::int64_t C = l.channels, S = l.spatial;
  std::vector<double> sums(static_cast<std::size_t>(C), 0.0);
  double* out = sums.data();
  const double* mu = center.data();
  for_channel_ranges(l, [&](std::int64_t first, std::int64_t last) {
    for (std::int64_t n = 0; n < l.batch; ++n) {
      if (S == 1) {
        const T* x_row = x + n * C;
        const T* g_row = g + n * C;
#pragma omp simd
        for (std::int64_t c = first; c < last; ++c) {
          out[c] += term(static_cast<double>(x_row[c]), static_cast<double>(g_row[c]), mu[c]);
        }
        continue;
      }
      for (std::int64_t c = first; c < last; ++c) {
        const T* x_block = x + (n * C + c) * S;
        const T* g_block = g + (n * C + c) * S;
        const double mu_c = mu[c];
        double sum = 0;
#pragma omp simd reduction(+ : sum)
        for (std::int64_t s = 0; s < S; ++s) {
          sum += term(static_cast<double>(x_block[s]), static_cast<double>(g_block[s]), mu_c);
        }
        out[c] += sum;
      }
    }
  });
  return sums;
}

// Per-channel coefficients of out = a·scale + (b - center)·k + offset; b may be absent.
template <typename T>
struct ChannelAffine {
  std::vector<T> scale, center, k, offset;
  explicit ChannelAffine(std::size_t channels)
      : scale(channels), center(channels, T(0)), k(channels, T(0)), offset(channels, T(0)) {}
};

// Applies `f` to every block of S values: out = a·scale[c] + (b - center[c])·k[c] + offset[c]
// with c the block's channel; b may be null.
template <typename T>
void apply_per_channel(const T* a, const T* b, const ChannelLayout& l, const ChannelAffine<T>& f,
                       T* out) {
  const std::int64_t C = l.channels, S = l.spatial;
  parallel_for(
      0, l.batch * C, std::max<std::int64_t>(1, kParallelGrain / std::max<std::int64_t>(S, 1)),
      [&](std::int64_t begin, std::int64_t end) {
        for (std::int64_t block = begin; block < end; ++block) {
          const auto c = static_cast<std::size_t>(block % C);
          const T* a_block = a + block * S;
          T* out_block = out + block * S;
          const T scale = f.scale[c], center = f.center[c], k = f.k[c], offset = f.offset[c];
          if (b) {
            const T* b_block = b + block * S;
#pragma omp simd
            for (std::int64_t s = 0; s < S; ++s) {
              out_block[s] = a_block[s] * scale + (b_block[s] - center) * k + offset;
            }
          } else {
#pragma omp simd
            for (std::int64_t s = 0; s < S; ++s) out_block[s] = a_block[s] * scale + offset;
          }
        }
      });
}

// The same for S = 1, row by row.
template <typename T>
void apply_per_column(const T* a, const T* b, const ChannelLayout& l, const ChannelAffine<T>& f,
                      T* out) {
  const std::int64_t C = l.channels;
  const T* scale = f.scale.data();
  const T* center = f.center.data();
  const T* k = f.k.data();
  const T* offset = f.offset.data();
  parallel_for(0, l.batch, std::max<std::int64_t>(1, kParallelGrain / std::max<std::int64_t>(C, 1)),
               [&](std::int64_t begin, std::int64_t end) {
                 for (std::int64_t n = begin; n < end; ++n) {
                   const T* a_row = a + n * C;
                   T* out_row = out + n * C;
                   if (b) {
                     const T* b_row = b + n * C;
#pragma omp simd
                     for (std::int64_t c = 0; c < C; ++c) {
                       out_row[c] = a_row[c] * scale[c] + (b_row[c] - center[c]) * k[c] + offset[c];
                     }
                   } else {
#pragma omp simd
                     for (std::int64_t c = 0; c < C; ++c) {
                       out_row[c] = a_row[c] * scale[c] + offset[c];
                     }
                   }
                 }
               });
}

template <typename T>
void apply(const T* a, const T* b, const ChannelLayout& l, const ChannelAffine<T>& f, T* out) {
  if (l.spatial == 1) {
    apply_per_column(a, b, l, f, out);
  } else {
    apply_per_channel(a, b, l, f, out);
  }
}

// Statistics per channel, then y = x·scale + shift with scale = invstd·w and
// shift = b - mean·invstd·w (PyTorch's CPU formulation).
template <typename T>
void batch_norm_typed(const Tensor& x, const Tensor& weight, const Tensor& bias,
                      const Tensor& running_mean, const Tensor& running_var, bool training,
                      double momentum, double eps, const Tensor& out, const Tensor& save_mean,
                      const Tensor& save_invstd) {
  const ChannelLayout l = channel_layout(x);
  const auto C = static_cast<std::size_t>(l.channels);
  const T* in = static_cast<const T*>(x.raw_data());
  const T* w = data_or_null<T>(weight);
  const T* b = data_or_null<T>(bias);
  T* run_mean = mutable_data_or_null<T>(running_mean);
  T* run_var = mutable_data_or_null<T>(running_var);
  T* means = static_cast<T*>(save_mean.raw_data());
  T* invstds = static_cast<T*>(save_invstd.raw_data());
  std::vector<double> mean(C, 0.0), var(C);
  if (training) {
    const auto count = static_cast<double>(l.count());
    mean = per_channel_sum(in, in, mean, l, [](double v, double, double) { return v; });
    for (double& m : mean) m /= count;
    // The squared deviations from the mean, a second pass: no cancellation.
    const std::vector<double> squares = per_channel_sum(
        in, in, mean, l, [](double v, double, double mu) { return (v - mu) * (v - mu); });
    for (std::size_t c = 0; c < C; ++c) {
      var[c] = squares[c] / count;
      if (!run_mean) continue;
      run_mean[c] = static_cast<T>((1 - momentum) * run_mean[c] + momentum * mean[c]);
      run_var[c] =
          static_cast<T>((1 - momentum) * run_var[c] + momentum * squares[c] / (count - 1));
    }
  } else {
    for (std::size_t c = 0; c < C; ++c) {
      mean[c] = run_mean[c];
      var[c] = run_var[c];
    }
  }
  ChannelAffine<T> f(C);
  for (std::size_t c = 0; c < C; ++c) {
    const double invstd = 1 / std::sqrt(var[c] + eps);
    const double w_c = w ? w[c] : 1.0;
    means[c] = static_cast<T>(mean[c]);
    invstds[c] = static_cast<T>(invstd);
    f.scale[c] = static_cast<T>(invstd * w_c);
    f.offset[c] = static_cast<T>((b ? b[c] : 0.0) - mean[c] * invstd * w_c);
  }
  apply<T>(in, nullptr, l, f, static_cast<T*>(out.raw_data()));
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
  const auto C = static_cast<std::size_t>(l.channels);
  const T* dy = static_cast<const T*>(grad_out.raw_data());
  const T* in = static_cast<const T*>(x.raw_data());
  const T* w = data_or_null<T>(weight);
  const T* means = static_cast<const T*>(save_mean.raw_data());
  const T* invstds = static_cast<const T*>(save_invstd.raw_data());
  T* dw = mutable_data_or_null<T>(grad_weight);
  T* db = mutable_data_or_null<T>(grad_bias);
  const std::vector<double> mean(means, means + C);
  std::vector<double> sum_dy(C, 0.0), sum_dy_centered(C, 0.0);
  if (dw || db || (grad_x.defined() && training)) {
    sum_dy = per_channel_sum(in, dy, mean, l, [](double, double g, double) { return g; });
    sum_dy_centered = per_channel_sum(in, dy, mean, l,
                                      [](double v, double g, double mu) { return g * (v - mu); });
  }
  const double inv_count = 1.0 / static_cast<double>(l.count());
  // grad_x = grad_out·scale + (x - mean)·k + offset
  ChannelAffine<T> f(C);
  for (std::size_t c = 0; c < C; ++c) {
    const double invstd = invstds[c], w_c = w ? w[c] : 1.0;
    if (dw) dw[c] = static_cast<T>(sum_dy_centered[c] * invstd);
    if (db) db[c] = static_cast<T>(sum_dy[c]);
    f.scale[c] = static_cast<T>(w_c * invstd);
    if (!training) continue;
    f.center[c] = means[c];
    f.k[c] = static_cast<T>(-w_c * invstd * invstd * invstd * sum_dy_centered[c] * inv_count);
    f.offset[c] = static_cast<T>(-w_c * invstd * sum_dy[c] * inv_count);
  }
  if (grad_x.defined()) {
    apply<T>(dy, training ? in : nullptr, l, f, static_cast<T*>(grad_x.raw_data()));
  }
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
