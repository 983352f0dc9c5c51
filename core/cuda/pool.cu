// Pooling kernels with the CPU backend's semantics (core/cpu/pool.cpp): 2-D pooling is 3-D
// pooling of depth 1, one [*spatial] plane per (sample, channel), one thread per output (forward)
// or per input element (average backward, which gathers from the windows holding it instead of
// scattering with atomics). Max pooling's backward scatters through the indices with atomicAdd.

#include <limits>

#include "core/cuda/check.cuh"
#include "core/cuda/context.cuh"
#include "core/cuda/cuda_backend.cuh"
#include "core/cuda/launch.cuh"

namespace mg::cuda {

namespace {

struct PoolGeometry {
  std::int64_t planes = 0;
  std::int64_t in[3] = {1, 1, 1}, out[3] = {1, 1, 1};
  std::int64_t kernel[3] = {1, 1, 1}, stride[3] = {1, 1, 1}, padding[3] = {0, 0, 0};
  bool count_include_pad = true;

  // x and output are [N, C, *spatial]; params (when given) has one entry per spatial dim.
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
    if (params != nullptr) count_include_pad = params->count_include_pad;
  }
  __host__ __device__ std::int64_t in_plane() const { return in[0] * in[1] * in[2]; }
  __host__ __device__ std::int64_t out_plane() const { return out[0] * out[1] * out[2]; }
};

// The input range [begin, end) one output position covers along one dim, clipped to the input;
// padded_size is the window clipped to the padded input instead (count_include_pad's divisor).
struct Window {
  std::int64_t begin, end, padded_size;
  __device__ bool contains(std::int64_t i) const { return begin <= i && i < end; }
};

__device__ Window pool_window(const PoolGeometry& g, int d, std::int64_t o) {
  const std::int64_t start = o * g.stride[d] - g.padding[d];
  const std::int64_t stop = min(start + g.kernel[d], g.in[d] + g.padding[d]);
  return {max(start, std::int64_t(0)), min(stop, g.in[d]), stop - start};
}

// Adaptive pooling: cell o covers [floor(o·in/out), ceil((o+1)·in/out)).
__device__ Window adaptive_window(const PoolGeometry& g, int d, std::int64_t o) {
  const std::int64_t begin = o * g.in[d] / g.out[d];
  const std::int64_t end = ((o + 1) * g.in[d] + g.out[d] - 1) / g.out[d];
  return {begin, end, end - begin};
}

template <bool kAdaptive>
__device__ Window window(const PoolGeometry& g, int d, std::int64_t o) {
  return kAdaptive ? adaptive_window(g, d, o) : pool_window(g, d, o);
}

// Outputs along dim d whose windows may hold input position i: a superset (the caller tests
// membership), [first, last].
template <bool kAdaptive>
__device__ void candidates(const PoolGeometry& g, int d, std::int64_t i, std::int64_t& first,
                           std::int64_t& last) {
  if (kAdaptive) {
    first = i * g.out[d] / g.in[d] - 1;
    last = ((i + 1) * g.out[d] + g.in[d] - 1) / g.in[d];
  } else {
    const std::int64_t reach = i + g.padding[d] - g.kernel[d];
    first = reach < 0 ? 0 : reach / g.stride[d];
    last = (i + g.padding[d]) / g.stride[d];
  }
  first = max(first, std::int64_t(0));
  last = min(last, g.out[d] - 1);
}

template <bool kAdaptive>
__device__ double divisor(const PoolGeometry& g, const Window& wd, const Window& wh,
                          const Window& ww) {
  if (!kAdaptive && g.count_include_pad) {
    return static_cast<double>(wd.padded_size * wh.padded_size * ww.padded_size);
  }
  return static_cast<double>((wd.end - wd.begin) * (wh.end - wh.begin) * (ww.end - ww.begin));
}

#define MG_GRID_STRIDE_LOOP(i, n)                                                     \
  for (std::int64_t i = blockIdx.x * std::int64_t(blockDim.x) + threadIdx.x; i < (n); \
       i += std::int64_t(gridDim.x) * blockDim.x)

template <typename T>
__global__ void max_pool_kernel(const T* x, PoolGeometry g, T* out, std::int64_t* indices) {
  MG_GRID_STRIDE_LOOP(i, g.planes * g.out_plane()) {
    const std::int64_t plane = i / g.out_plane(), r = i % g.out_plane();
    const Window wd = pool_window(g, 0, r / (g.out[1] * g.out[2]));
    const Window wh = pool_window(g, 1, r / g.out[2] % g.out[1]);
    const Window ww = pool_window(g, 2, r % g.out[2]);
    const T* p = x + plane * g.in_plane();
    // As the CPU: NaN wins (the last one), ties keep the first maximum, and a window of -inf
    // reports its first element.
    T best = -std::numeric_limits<T>::infinity();
    std::int64_t where = (wd.begin * g.in[1] + wh.begin) * g.in[2] + ww.begin;
    for (std::int64_t d = wd.begin; d < wd.end; ++d) {
      for (std::int64_t h = wh.begin; h < wh.end; ++h) {
        const std::int64_t row = (d * g.in[1] + h) * g.in[2];
        for (std::int64_t w = ww.begin; w < ww.end; ++w) {
          const T v = p[row + w];
          if (v > best || v != v) {
            best = v;
            where = row + w;
          }
        }
      }
    }
    out[i] = best;
    indices[i] = where;
  }
}

template <typename T>
__global__ void max_pool_backward_kernel(const T* grad_out, const std::int64_t* indices,
                                         PoolGeometry g, T* grad_x) {
  MG_GRID_STRIDE_LOOP(i, g.planes * g.out_plane()) {
    atomicAdd(grad_x + i / g.out_plane() * g.in_plane() + indices[i], grad_out[i]);
  }
}

template <typename T, bool kAdaptive>
__global__ void average_kernel(const T* x, PoolGeometry g, T* out) {
  MG_GRID_STRIDE_LOOP(i, g.planes * g.out_plane()) {
    const std::int64_t plane = i / g.out_plane(), r = i % g.out_plane();
    const Window wd = window<kAdaptive>(g, 0, r / (g.out[1] * g.out[2]));
    const Window wh = window<kAdaptive>(g, 1, r / g.out[2] % g.out[1]);
    const Window ww = window<kAdaptive>(g, 2, r % g.out[2]);
    const T* p = x + plane * g.in_plane();
    double sum = 0;
    for (std::int64_t d = wd.begin; d < wd.end; ++d) {
      for (std::int64_t h = wh.begin; h < wh.end; ++h) {
        const T* row = p + (d * g.in[1] + h) * g.in[2];
        for (std::int64_t w = ww.begin; w < ww.end; ++w) sum += row[w];
      }
    }
    out[i] = static_cast<T>(sum / divisor<kAdaptive>(g, wd, wh, ww));
  }
}

// The adjoint of average_kernel: each input element sums grad / divisor over the windows that
// hold it.
template <typename T, bool kAdaptive>
__global__ void average_backward_kernel(const T* grad_out, PoolGeometry g, T* grad_x) {
  MG_GRID_STRIDE_LOOP(i, g.planes * g.in_plane()) {
    const std::int64_t plane = i / g.in_plane(), r = i % g.in_plane();
    const std::int64_t id = r / (g.in[1] * g.in[2]), ih = r / g.in[2] % g.in[1], iw = r % g.in[2];
    std::int64_t d0, d1, h0, h1, w0, w1;
    candidates<kAdaptive>(g, 0, id, d0, d1);
    candidates<kAdaptive>(g, 1, ih, h0, h1);
    candidates<kAdaptive>(g, 2, iw, w0, w1);
    const T* grad = grad_out + plane * g.out_plane();
    double sum = 0;
    for (std::int64_t od = d0; od <= d1; ++od) {
      const Window wd = window<kAdaptive>(g, 0, od);
      if (!wd.contains(id)) continue;
      for (std::int64_t oh = h0; oh <= h1; ++oh) {
        const Window wh = window<kAdaptive>(g, 1, oh);
        if (!wh.contains(ih)) continue;
        for (std::int64_t ow = w0; ow <= w1; ++ow) {
          const Window ww = window<kAdaptive>(g, 2, ow);
          if (!ww.contains(iw)) continue;
          const T g_out = grad[(od * g.out[1] + oh) * g.out[2] + ow];
          sum += static_cast<T>(g_out / divisor<kAdaptive>(g, wd, wh, ww));
        }
      }
    }
    grad_x[i] = static_cast<T>(sum);
  }
}

template <typename T>
T* data(const Tensor& t) {
  return static_cast<T*>(t.raw_data());
}

template <bool kAdaptive>
void average(const Tensor& x, const PoolGeometry& g, const Tensor& out, const char* op) {
  const std::int64_t n = g.planes * g.out_plane();
  if (n == 0) return;
  visit_floating(x.dtype(), op, [&](auto zero) {
    using T = decltype(zero);
    average_kernel<T, kAdaptive><<<blocks_for(n), kThreadsPerBlock, 0, stream(x.device().index)>>>(
        data<T>(x), g, data<T>(out));
  });
  check_launch(op);
}

template <bool kAdaptive>
void average_backward(const Tensor& grad_out, const PoolGeometry& g, const Tensor& grad_x,
                      const char* op) {
  const std::int64_t n = g.planes * g.in_plane();
  if (n == 0) return;
  visit_floating(grad_x.dtype(), op, [&](auto zero) {
    using T = decltype(zero);
    average_backward_kernel<T, kAdaptive>
        <<<blocks_for(n), kThreadsPerBlock, 0, stream(grad_x.device().index)>>>(data<T>(grad_out),
                                                                                g, data<T>(grad_x));
  });
  check_launch(op);
}

}  // namespace

void CudaBackend::max_pool(const Tensor& x, const PoolParams& params, const Tensor& out,
                           const Tensor& indices) {
  const char* op = "max_pool";
  DeviceGuard guard(x.device());
  const PoolGeometry g(x, out, &params);
  const std::int64_t n = g.planes * g.out_plane();
  if (n == 0) return;
  visit_floating(x.dtype(), op, [&](auto zero) {
    using T = decltype(zero);
    max_pool_kernel<T><<<blocks_for(n), kThreadsPerBlock, 0, stream(x.device().index)>>>(
        data<T>(x), g, data<T>(out), data<std::int64_t>(indices));
  });
  check_launch(op);
}

void CudaBackend::max_pool_backward(const Tensor& grad_out, const Tensor& indices,
                                    const Tensor& grad_x) {
  const char* op = "max_pool_backward";
  DeviceGuard guard(grad_x.device());
  const PoolGeometry g(grad_x, grad_out);
  if (grad_x.numel() == 0) return;
  const cudaStream_t s = stream(grad_x.device().index);
  MG_CUDA_CHECK(
      cudaMemsetAsync(grad_x.raw_data(), 0, grad_x.numel() * element_size(grad_x.dtype()), s), op);
  const std::int64_t n = g.planes * g.out_plane();
  if (n == 0) return;
  visit_floating(grad_x.dtype(), op, [&](auto zero) {
    using T = decltype(zero);
    max_pool_backward_kernel<T><<<blocks_for(n), kThreadsPerBlock, 0, s>>>(
        data<T>(grad_out), data<std::int64_t>(indices), g, data<T>(grad_x));
  });
  check_launch(op);
}

void CudaBackend::avg_pool(const Tensor& x, const PoolParams& params, const Tensor& out) {
  DeviceGuard guard(x.device());
  average<false>(x, PoolGeometry(x, out, &params), out, "avg_pool");
}

void CudaBackend::avg_pool_backward(const Tensor& grad_out, const PoolParams& params,
                                    const Tensor& grad_x) {
  DeviceGuard guard(grad_x.device());
  average_backward<false>(grad_out, PoolGeometry(grad_x, grad_out, &params), grad_x,
                          "avg_pool_backward");
}

void CudaBackend::adaptive_avg_pool(const Tensor& x, const Tensor& out) {
  DeviceGuard guard(x.device());
  average<true>(x, PoolGeometry(x, out), out, "adaptive_avg_pool");
}

void CudaBackend::adaptive_avg_pool_backward(const Tensor& grad_out, const Tensor& grad_x) {
  DeviceGuard guard(grad_x.device());
  average_backward<true>(grad_out, PoolGeometry(grad_x, grad_out), grad_x,
                         "adaptive_avg_pool_backward");
}

}  // namespace mg::cuda
