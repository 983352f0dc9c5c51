#include <algorithm>
#include <cmath>

#include "core/cpu/cpu_backend.h"
#include "core/cpu/fast_exp.h"
#include "core/cpu/parallel.h"

namespace mg::cpu {

namespace {

// Rows whose elements are contiguous (softmax over the last dim) are handled one at a time by
// these functions of plain pointers, each loop over the row vectorised.
template <typename T>
T row_max(const T* x, std::int64_t n) {
  T max = -std::numeric_limits<T>::infinity();
#pragma omp simd reduction(max : max)
  for (std::int64_t i = 0; i < n; ++i) max = x[i] > max ? x[i] : max;
  return max;
}

template <typename T>
void softmax_row(const T* x, T* y, std::int64_t n) {
  const T max = row_max(x, n);
  T sum = 0;
#pragma omp simd reduction(+ : sum)
  for (std::int64_t i = 0; i < n; ++i) {
    y[i] = fast_exp(x[i] - max);
    sum += y[i];
  }
  const T scale = T(1) / sum;
#pragma omp simd
  for (std::int64_t i = 0; i < n; ++i) y[i] *= scale;
}

// Never stores the exponentials. Computes (x - max) - log(sum) rather than
// x - (max + log(sum)), which would round away the result's digits when the logits are large.
template <typename T>
void log_softmax_row(const T* x, T* y, std::int64_t n) {
  const T max = row_max(x, n);
  T sum = 0;
#pragma omp simd reduction(+ : sum)
  for (std::int64_t i = 0; i < n; ++i) sum += fast_exp(x[i] - max);
  const T log_sum = std::log(sum);
#pragma omp simd
  for (std::int64_t i = 0; i < n; ++i) y[i] = (x[i] - max) - log_sum;
}

// softmax:      grad_x = y · (grad_y - Σ grad_y·y)
template <typename T>
void softmax_backward_row(const T* gy, const T* y, T* gx, std::int64_t n) {
  T sum = 0;
#pragma omp simd reduction(+ : sum)
  for (std::int64_t i = 0; i < n; ++i) sum += gy[i] * y[i];
#pragma omp simd
  for (std::int64_t i = 0; i < n; ++i) gx[i] = y[i] * (gy[i] - sum);
}

// log-softmax:  grad_x = grad_y - exp(y) · Σ grad_y
template <typename T>
void log_softmax_backward_row(const T* gy, const T* y, T* gx, std::int64_t n) {
  T sum = 0;
#pragma omp simd reduction(+ : sum)
  for (std::int64_t i = 0; i < n; ++i) sum += gy[i];
#pragma omp simd
  for (std::int64_t i = 0; i < n; ++i) gx[i] = gy[i] - fast_exp(y[i]) * sum;
}

// Calls row(r) for every row of n elements, rows split between threads.
template <typename F>
void for_each_row(std::int64_t rows, std::int64_t n, const F& row) {
  parallel_for(0, rows, std::max<std::int64_t>(1, kParallelGrain / std::max<std::int64_t>(n, 1)),
               [&](std::int64_t begin, std::int64_t end) {
                 for (std::int64_t r = begin; r < end; ++r) row(r);
               });
}

// Rows strided by `inner`: a block of up to kBlock neighbouring rows is processed together, so
// that every loop runs over contiguous memory along `inner`.
constexpr std::int64_t kBlock = 256;

// Calls f(outer index, first inner index, block width) for every block, in parallel.
template <typename F>
void for_each_block(const DimLayout& l, const F& f) {
  const std::int64_t blocks_per_outer = (l.inner + kBlock - 1) / kBlock;
  const std::int64_t work_per_block = std::min(l.inner, kBlock) * l.dim;
  parallel_for(
      0, l.outer * blocks_per_outer,
      std::max<std::int64_t>(1, kParallelGrain / std::max<std::int64_t>(work_per_block, 1)),
      [=](std::int64_t begin, std::int64_t end) {
        for (std::int64_t b = begin; b < end; ++b) {
          const std::int64_t o = b / blocks_per_outer;
          const std::int64_t first = (b % blocks_per_outer) * kBlock;
          f(o, first, std::min(kBlock, l.inner - first));
        }
      });
}

template <typename T>
void softmax_strided(const T* x, T* y, const DimLayout& l, bool log) {
  for_each_block(l, [=](std::int64_t o, std::int64_t first, std::int64_t width) {
    T max[kBlock], sum[kBlock];
    const T* in = x + o * l.dim * l.inner + first;
    T* out = y + o * l.dim * l.inner + first;
    std::fill_n(max, width, -std::numeric_limits<T>::infinity());
    std::fill_n(sum, width, T(0));
    for (std::int64_t d = 0; d < l.dim; ++d) {
      const T* row = in + d * l.inner;
      for (std::int64_t j = 0; j < width; ++j) max[j] = row[j] > max[j] ? row[j] : max[j];
    }
    for (std::int64_t d = 0; d < l.dim; ++d) {
      const T* row = in + d * l.inner;
      T* out_row = out + d * l.inner;
      for (std::int64_t j = 0; j < width; ++j) {
        const T e = fast_exp(row[j] - max[j]);
        if (!log) out_row[j] = e;
        sum[j] += e;
      }
    }
    if (log) {
      for (std::int64_t j = 0; j < width; ++j) sum[j] = std::log(sum[j]);
    } else {
      for (std::int64_t j = 0; j < width; ++j) sum[j] = T(1) / sum[j];
    }
    for (std::int64_t d = 0; d < l.dim; ++d) {
      const T* row = in + d * l.inner;
      T* out_row = out + d * l.inner;
      if (log) {
        for (std::int64_t j = 0; j < width; ++j) out_row[j] = (row[j] - max[j]) - sum[j];
      } else {
        for (std::int64_t j = 0; j < width; ++j) out_row[j] *= sum[j];
      }
    }
  });
}

// The strided forms of the same formulas.
template <typename T>
void softmax_backward_strided(const T* gy, const T* y, T* gx, const DimLayout& l, bool log) {
  for_each_block(l, [=](std::int64_t o, std::int64_t first, std::int64_t width) {
    T sum[kBlock];
    const std::int64_t base = o * l.dim * l.inner + first;
    std::fill_n(sum, width, T(0));
    for (std::int64_t d = 0; d < l.dim; ++d) {
      const T* g = gy + base + d * l.inner;
      const T* out = y + base + d * l.inner;
      if (log) {
        for (std::int64_t j = 0; j < width; ++j) sum[j] += g[j];
      } else {
        for (std::int64_t j = 0; j < width; ++j) sum[j] += g[j] * out[j];
      }
    }
    for (std::int64_t d = 0; d < l.dim; ++d) {
      const T* g = gy + base + d * l.inner;
      const T* out = y + base + d * l.inner;
      T* grad = gx + base + d * l.inner;
      if (log) {
        for (std::int64_t j = 0; j < width; ++j) grad[j] = g[j] - fast_exp(out[j]) * sum[j];
      } else {
        for (std::int64_t j = 0; j < width; ++j) grad[j] = out[j] * (g[j] - sum[j]);
      }
    }
  });
}

}  // namespace

void CpuBackend::softmax(const Tensor& x, std::int64_t dim, bool log, const Tensor& out) {
  const DimLayout l = dim_layout(x, dim);
  visit_floating(x.dtype(), "softmax", [&](auto zero) {
    using T = decltype(zero);
    const T* in = static_cast<const T*>(x.raw_data());
    T* result = static_cast<T*>(out.raw_data());
    const std::int64_t n = l.dim;
    if (l.inner == 1 && log) {
      for_each_row(l.outer, n,
                   [=](std::int64_t r) { log_softmax_row(in + r * n, result + r * n, n); });
    } else if (l.inner == 1) {
      for_each_row(l.outer, n, [=](std::int64_t r) { softmax_row(in + r * n, result + r * n, n); });
    } else {
      softmax_strided(in, result, l, log);
    }
  });
}

void CpuBackend::softmax_backward(const Tensor& grad_y, const Tensor& y, std::int64_t dim, bool log,
                                  const Tensor& grad_x) {
  const DimLayout l = dim_layout(y, dim);
  visit_floating(y.dtype(), "softmax_backward", [&](auto zero) {
    using T = decltype(zero);
    const T* g = static_cast<const T*>(grad_y.raw_data());
    const T* out = static_cast<const T*>(y.raw_data());
    T* result = static_cast<T*>(grad_x.raw_data());
    const std::int64_t n = l.dim;
    if (l.inner == 1 && log) {
      for_each_row(l.outer, n, [=](std::int64_t r) {
        log_softmax_backward_row(g + r * n, out + r * n, result + r * n, n);
      });
    } else if (l.inner == 1) {
      for_each_row(l.outer, n, [=](std::int64_t r) {
        softmax_backward_row(g + r * n, out + r * n, result + r * n, n);
      });
    } else {
      softmax_backward_strided(g, out, result, l, log);
    }
  });
}

}  // namespace mg::cpu
