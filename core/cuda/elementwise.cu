// Elementwise kernels: copy (within a GPU and between the CPU and a GPU), fill, unary, binary,
// where and clamp. Same math as core/cpu/elementwise.cpp, except that float32 GELU uses the
// device's erff/expf where the CPU uses its vectorisable approximations (both within a few ulp).

#include <cuda_runtime.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <mutex>
#include <type_traits>

#include "core/creation.h"
#include "core/cuda/check.cuh"
#include "core/cuda/context.cuh"
#include "core/cuda/cuda_backend.cuh"
#include "core/cuda/launch.cuh"
#include "core/cuda/pinned_allocator.cuh"
#include "core/error.h"

namespace mg::cuda {

namespace {

// ---- launching ------------------------------------------------------------------------------

// out[i] = f(x[i]); the contiguous instantiation indexes directly.
template <bool Contiguous, typename Out, typename In, typename F>
__global__ void map1_kernel(std::int64_t n, Out* out, StridedIndexer out_index, const In* x,
                            StridedIndexer x_index, F f) {
  for (std::int64_t i = blockIdx.x * std::int64_t(blockDim.x) + threadIdx.x; i < n;
       i += std::int64_t(gridDim.x) * blockDim.x) {
    if constexpr (Contiguous) {
      out[i] = f(x[i]);
    } else {
      out[out_index.offset(i)] = f(x[x_index.offset(i)]);
    }
  }
}

template <bool Contiguous, typename Out, typename In, typename F>
__global__ void map2_kernel(std::int64_t n, Out* out, StridedIndexer out_index, const In* a,
                            StridedIndexer a_index, const In* b, StridedIndexer b_index, F f) {
  for (std::int64_t i = blockIdx.x * std::int64_t(blockDim.x) + threadIdx.x; i < n;
       i += std::int64_t(gridDim.x) * blockDim.x) {
    if constexpr (Contiguous) {
      out[i] = f(a[i], b[i]);
    } else {
      out[out_index.offset(i)] = f(a[a_index.offset(i)], b[b_index.offset(i)]);
    }
  }
}

template <typename Out, typename In, typename F>
void map1(const char* op, const Tensor& x, const Tensor& out, F f) {
  const std::int64_t n = out.numel();
  if (n == 0) return;
  const StridedIndexer oi = make_indexer(out, op), xi = make_indexer(x, op);
  auto* o = static_cast<Out*>(out.raw_data());
  const auto* a = static_cast<const In*>(x.raw_data());
  cudaStream_t s = stream(out.device().index);
  if (oi.contiguous && xi.contiguous) {
    map1_kernel<true><<<blocks_for(n), kThreadsPerBlock, 0, s>>>(n, o, oi, a, xi, f);
  } else {
    map1_kernel<false><<<blocks_for(n), kThreadsPerBlock, 0, s>>>(n, o, oi, a, xi, f);
  }
  check_launch(op);
}

template <typename Out, typename In, typename F>
void map2(const char* op, const Tensor& a, const Tensor& b, const Tensor& out, F f) {
  const std::int64_t n = out.numel();
  if (n == 0) return;
  const StridedIndexer oi = make_indexer(out, op), ai = make_indexer(a, op),
                       bi = make_indexer(b, op);
  auto* o = static_cast<Out*>(out.raw_data());
  const auto* pa = static_cast<const In*>(a.raw_data());
  const auto* pb = static_cast<const In*>(b.raw_data());
  cudaStream_t s = stream(out.device().index);
  if (oi.contiguous && ai.contiguous && bi.contiguous) {
    map2_kernel<true><<<blocks_for(n), kThreadsPerBlock, 0, s>>>(n, o, oi, pa, ai, pb, bi, f);
  } else {
    map2_kernel<false><<<blocks_for(n), kThreadsPerBlock, 0, s>>>(n, o, oi, pa, ai, pb, bi, f);
  }
  check_launch(op);
}

// ---- copy -----------------------------------------------------------------------------------

template <typename Out, typename In>
struct Convert {
  __device__ Out operator()(In v) const { return static_cast<Out>(v); }
};

// Same device, any layouts and dtypes.
void copy_on_device(const Tensor& src, const Tensor& out) {
  if (out.numel() == 0) return;
  if (src.dtype() == out.dtype() && src.is_contiguous() && out.is_contiguous()) {
    MG_CUDA_CHECK(cudaMemcpyAsync(out.raw_data(), src.raw_data(),
                                  static_cast<std::size_t>(out.numel()) * element_size(out.dtype()),
                                  cudaMemcpyDeviceToDevice, stream(out.device().index)),
                  "copy");
    return;
  }
  visit_dtype(out.dtype(), [&](auto out_zero) {
    using Out = decltype(out_zero);
    visit_dtype(src.dtype(), [&](auto in_zero) {
      using In = decltype(in_zero);
      map1<Out, In>("copy", src, out, Convert<Out, In>{});
    });
  });
}

// Transfers between pageable host memory and the GPU go through one pinned buffer per device,
// in chunks, so the DMA engine reads and writes page-locked memory and a huge tensor does not
// pin as much host memory as it holds.
constexpr std::size_t kStagingChunk = std::size_t(32) << 20;
constexpr std::size_t kDirectUpload = std::size_t(64) << 10;

class Staging {
 public:
  // Copies nbytes from the host to the device (to_device) or back; returns when done.
  void transfer(int device, void* dst, const void* src, std::size_t nbytes, bool to_device) {
    cudaStream_t s = stream(device);
    if (to_device && nbytes <= kDirectUpload) {
      // The driver stages a small pageable upload itself before returning (the source may then
      // be reused) and usually does not wait for the stream: per-step uploads of masks and
      // labels then do not stall the GPU.
      MG_CUDA_CHECK(cudaMemcpyAsync(dst, src, nbytes, cudaMemcpyHostToDevice, s), "copy to GPU");
      return;
    }
    std::lock_guard lock(mutex_);
    for (std::size_t done = 0; done < nbytes;) {
      const std::size_t chunk = std::min(kStagingChunk, nbytes - done);
      reserve(chunk);
      if (to_device) {
        std::memcpy(buffer_, static_cast<const char*>(src) + done, chunk);
        MG_CUDA_CHECK(cudaMemcpyAsync(static_cast<char*>(dst) + done, buffer_, chunk,
                                      cudaMemcpyHostToDevice, s),
                      "copy to GPU");
        // The next chunk overwrites the buffer, and the caller may overwrite its source.
        MG_CUDA_CHECK(cudaStreamSynchronize(s), "copy to GPU");
      } else {
        MG_CUDA_CHECK(cudaMemcpyAsync(buffer_, static_cast<const char*>(src) + done, chunk,
                                      cudaMemcpyDeviceToHost, s),
                      "copy to CPU");
        MG_CUDA_CHECK(cudaStreamSynchronize(s), "copy to CPU");
        std::memcpy(static_cast<char*>(dst) + done, buffer_, chunk);
      }
      done += chunk;
    }
  }

 private:
  void reserve(std::size_t nbytes) {
    if (nbytes <= capacity_) return;
    if (buffer_ != nullptr) MG_CUDA_CHECK(cudaFreeHost(buffer_), "pinned staging buffer");
    buffer_ = nullptr;
    capacity_ = 0;
    const std::size_t size = std::max(nbytes, std::size_t(1) << 20);
    MG_CUDA_CHECK(cudaMallocHost(&buffer_, size), "pinned staging buffer");
    capacity_ = size;
  }

  std::mutex mutex_;
  char* buffer_ = nullptr;
  std::size_t capacity_ = 0;
};

Staging& staging(int device) {
  static std::mutex mutex;
  static std::vector<Staging*> per_device;  // never freed: see caching_allocator.cu
  std::lock_guard lock(mutex);
  if (per_device.size() <= static_cast<std::size_t>(device)) {
    per_device.resize(static_cast<std::size_t>(device) + 1, nullptr);
  }
  Staging*& slot = per_device[static_cast<std::size_t>(device)];
  if (slot == nullptr) slot = new Staging;
  return *slot;
}

std::size_t nbytes_of(const Tensor& t) {
  return static_cast<std::size_t>(t.numel()) * element_size(t.dtype());
}

// A CPU source is made contiguous in out's dtype on the CPU (cheap there), sent in one transfer,
// and scattered on the GPU when out is strided.
void copy_to_gpu(const Tensor& src, const Tensor& out) {
  Tensor host = src;
  if (!src.is_contiguous() || src.dtype() != out.dtype()) {
    host = empty(out.shape(), TensorOptions(out.dtype()));
    backend_for(Device::cpu()).copy(src, host);
  }
  Tensor target = out.is_contiguous() ? out : empty(out.shape(), out.options());
  const int device = out.device().index;
  if (host.is_pinned()) {
    // The DMA engine reads page-locked memory in place, and the host need not wait: the pinned
    // allocator keeps the block from reuse until the upload has finished.
    MG_CUDA_CHECK(cudaMemcpyAsync(target.raw_data(), host.raw_data(), nbytes_of(out),
                                  cudaMemcpyHostToDevice, stream(device)),
                  "copy to GPU");
    record_pinned_use(host.storage()->data(), device);
  } else {
    staging(device).transfer(device, target.raw_data(), host.raw_data(), nbytes_of(out), true);
  }
  if (!out.is_contiguous()) copy_on_device(target, out);
}

// A GPU source is made contiguous in out's dtype on the GPU, sent in one transfer, and scattered
// on the CPU when out is strided.
void copy_to_cpu(const Tensor& src, const Tensor& out) {
  Tensor device_side = src;
  if (!src.is_contiguous() || src.dtype() != out.dtype()) {
    device_side = empty(src.shape(), src.options().dtype(out.dtype()));
    copy_on_device(src, device_side);
  }
  Tensor target = out.is_contiguous() ? out : empty(out.shape(), out.options());
  const int device = src.device().index;
  if (target.is_pinned()) {
    MG_CUDA_CHECK(cudaMemcpyAsync(target.raw_data(), device_side.raw_data(), nbytes_of(out),
                                  cudaMemcpyDeviceToHost, stream(device)),
                  "copy to CPU");
    MG_CUDA_CHECK(cudaStreamSynchronize(stream(device)), "copy to CPU");
  } else {
    staging(device).transfer(device, target.raw_data(), device_side.raw_data(), nbytes_of(out),
                             false);
  }
  if (!out.is_contiguous()) backend_for(Device::cpu()).copy(target, out);
}

// ---- unary ----------------------------------------------------------------------------------

constexpr double kSqrtHalf = 0.70710678118654752440;    // 1/√2
constexpr double kInvSqrt2Pi = 0.39894228040143267794;  // 1/√(2π)
constexpr double kGeluScale = 0.79788456080286535588;   // √(2/π)
constexpr double kGeluCubic = 0.044715;

template <typename T>
__device__ T gelu_erf(T x) {
  return T(0.5) * x * (T(1) + erf(x * T(kSqrtHalf)));
}

template <typename T>
__device__ T gelu_erf_derivative(T x) {
  const T cdf = T(0.5) * (T(1) + erf(x * T(kSqrtHalf)));
  const T pdf = exp(T(-0.5) * x * x) * T(kInvSqrt2Pi);
  return cdf + x * pdf;
}

template <typename T>
__device__ T gelu_tanh(T x) {
  const T inner = T(kGeluScale) * (x + T(kGeluCubic) * x * x * x);
  return T(0.5) * x * (T(1) + tanh(inner));
}

template <typename T>
__device__ T gelu_tanh_derivative(T x) {
  const T inner = T(kGeluScale) * (x + T(kGeluCubic) * x * x * x);
  const T t = tanh(inner);
  const T d_inner = T(kGeluScale) * (T(1) + T(3) * T(kGeluCubic) * x * x);
  return T(0.5) * (T(1) + t) + T(0.5) * x * (T(1) - t * t) * d_inner;
}

// v < 0, without nvcc's warning about comparing an unsigned value with zero.
template <typename T>
__device__ bool is_negative(T v) {
  if constexpr (std::is_unsigned_v<T>) {
    return false;
  } else {
    return v < T(0);
  }
}

template <typename T, UnaryOp Op>
struct Unary {
  __device__ T operator()(T v) const {
    if constexpr (Op == UnaryOp::Neg) return static_cast<T>(-v);
    if constexpr (Op == UnaryOp::Abs) return static_cast<T>(is_negative(v) ? -v : v);
    if constexpr (Op == UnaryOp::Sign) return static_cast<T>((T(0) < v) - is_negative(v));
    if constexpr (Op == UnaryOp::Relu) return is_negative(v) ? T(0) : v;  // NaN stays NaN
    if constexpr (Op == UnaryOp::Exp) return exp(v);
    if constexpr (Op == UnaryOp::Log) return log(v);
    if constexpr (Op == UnaryOp::Log1p) return log1p(v);
    if constexpr (Op == UnaryOp::Sqrt) return sqrt(v);
    if constexpr (Op == UnaryOp::Rsqrt) return T(1) / sqrt(v);
    if constexpr (Op == UnaryOp::Sigmoid) return T(1) / (T(1) + exp(-v));
    if constexpr (Op == UnaryOp::Tanh) return tanh(v);
    if constexpr (Op == UnaryOp::GeluErf) return gelu_erf(v);
    if constexpr (Op == UnaryOp::GeluTanh) return gelu_tanh(v);
    return v;
  }
};

struct LogicalNot {
  __device__ bool operator()(bool v) const { return !v; }
};

template <typename T, UnaryOp Op>
void run_unary(const Tensor& x, const Tensor& out) {
  map1<T, T>("unary", x, out, Unary<T, Op>{});
}

template <typename T>
void unary_typed(UnaryOp op, const Tensor& x, const Tensor& out) {
  switch (op) {
    case UnaryOp::Neg:
      return run_unary<T, UnaryOp::Neg>(x, out);
    case UnaryOp::Abs:
      return run_unary<T, UnaryOp::Abs>(x, out);
    case UnaryOp::Sign:
      return run_unary<T, UnaryOp::Sign>(x, out);
    case UnaryOp::Relu:
      return run_unary<T, UnaryOp::Relu>(x, out);
    default:
      break;
  }
  if constexpr (std::is_floating_point_v<T>) {
    switch (op) {
      case UnaryOp::Exp:
        return run_unary<T, UnaryOp::Exp>(x, out);
      case UnaryOp::Log:
        return run_unary<T, UnaryOp::Log>(x, out);
      case UnaryOp::Log1p:
        return run_unary<T, UnaryOp::Log1p>(x, out);
      case UnaryOp::Sqrt:
        return run_unary<T, UnaryOp::Sqrt>(x, out);
      case UnaryOp::Rsqrt:
        return run_unary<T, UnaryOp::Rsqrt>(x, out);
      case UnaryOp::Sigmoid:
        return run_unary<T, UnaryOp::Sigmoid>(x, out);
      case UnaryOp::Tanh:
        return run_unary<T, UnaryOp::Tanh>(x, out);
      case UnaryOp::GeluErf:
        return run_unary<T, UnaryOp::GeluErf>(x, out);
      case UnaryOp::GeluTanh:
        return run_unary<T, UnaryOp::GeluTanh>(x, out);
      default:
        break;
    }
  }
  throw Error(
      str("unary: op ", static_cast<int>(op), " is not defined for ", describe(x), " on CUDA"));
}

// ---- binary ---------------------------------------------------------------------------------

// Integers: exponentiation by squaring in unsigned arithmetic, as on the CPU.
template <typename T>
__device__ T power(T base, T exponent) {
  if constexpr (std::is_floating_point_v<T>) {
    return pow(base, exponent);
  } else {
    if (is_negative(exponent)) {
      if (base == 1) return T(1);
      if constexpr (std::is_signed_v<T>) {
        if (base == -1) return (exponent & 1) ? T(-1) : T(1);
      }
      return T(0);
    }
    using U = std::make_unsigned_t<T>;
    U result = 1, factor = static_cast<U>(base);
    for (auto e = static_cast<U>(exponent); e != 0; e >>= 1) {
      if (e & 1) result = static_cast<U>(result * factor);
      factor = static_cast<U>(factor * factor);
    }
    return static_cast<T>(result);
  }
}

template <typename T>
__device__ bool is_nan(T v) {
  if constexpr (std::is_floating_point_v<T>) return isnan(v);
  return false;
}

template <typename T, BinaryOp Op>
struct Arithmetic {
  T scale;  // alpha of Add and Sub
  __device__ T operator()(T x, T y) const {
    if constexpr (Op == BinaryOp::Add) return static_cast<T>(x + scale * y);
    if constexpr (Op == BinaryOp::Sub) return static_cast<T>(x - scale * y);
    if constexpr (Op == BinaryOp::Mul) return static_cast<T>(x * y);
    if constexpr (Op == BinaryOp::Div) return static_cast<T>(x / y);
    if constexpr (Op == BinaryOp::Pow) return power<T>(x, y);
    // NaN in either operand gives NaN, as on the CPU.
    if constexpr (Op == BinaryOp::Maximum) {
      if (is_nan(x) || is_nan(y)) return static_cast<T>(x + y);
      return x < y ? y : x;
    }
    if constexpr (Op == BinaryOp::Minimum) {
      if (is_nan(x) || is_nan(y)) return static_cast<T>(x + y);
      return y < x ? y : x;
    }
    if constexpr (Op == BinaryOp::ReluBackward) return y <= T(0) ? T(0) : x;
    if constexpr (std::is_floating_point_v<T>) {
      if constexpr (Op == BinaryOp::GeluErfBackward) return x * gelu_erf_derivative(y);
      if constexpr (Op == BinaryOp::GeluTanhBackward) return x * gelu_tanh_derivative(y);
    }
    return x;
  }
};

// Add and Sub with alpha 1 skip the multiplication, as on the CPU (it matters for integers
// only through overflow, never for floats, but keeps the two backends alike).
template <typename T, BinaryOp Op>
struct PlainArithmetic {
  __device__ T operator()(T x, T y) const {
    if constexpr (Op == BinaryOp::Add) return static_cast<T>(x + y);
    return static_cast<T>(x - y);
  }
};

template <typename T, BinaryOp Op>
struct Compare {
  __device__ bool operator()(T x, T y) const {
    if constexpr (Op == BinaryOp::Eq) return x == y;
    if constexpr (Op == BinaryOp::Ne) return x != y;
    if constexpr (Op == BinaryOp::Lt) return x < y;
    if constexpr (Op == BinaryOp::Le) return x <= y;
    if constexpr (Op == BinaryOp::Gt) return x > y;
    if constexpr (Op == BinaryOp::Ge) return x >= y;
    if constexpr (Op == BinaryOp::LogicalAnd) return x && y;
    if constexpr (Op == BinaryOp::LogicalOr) return x || y;
    return false;
  }
};

template <typename T, BinaryOp Op>
void run_arithmetic(const Tensor& a, const Tensor& b, double alpha, const Tensor& out) {
  if constexpr (Op == BinaryOp::Add || Op == BinaryOp::Sub) {
    if (alpha == 1) return map2<T, T>("binary", a, b, out, PlainArithmetic<T, Op>{});
  }
  map2<T, T>("binary", a, b, out, Arithmetic<T, Op>{static_cast<T>(alpha)});
}

template <typename T, BinaryOp Op>
void run_compare(const Tensor& a, const Tensor& b, const Tensor& out) {
  map2<bool, T>("binary", a, b, out, Compare<T, Op>{});
}

template <typename T>
void binary_typed(BinaryOp op, const Tensor& a, const Tensor& b, double alpha, const Tensor& out) {
  if (out.dtype() == kBool) {
    switch (op) {
      case BinaryOp::Eq:
        return run_compare<T, BinaryOp::Eq>(a, b, out);
      case BinaryOp::Ne:
        return run_compare<T, BinaryOp::Ne>(a, b, out);
      case BinaryOp::Lt:
        return run_compare<T, BinaryOp::Lt>(a, b, out);
      case BinaryOp::Le:
        return run_compare<T, BinaryOp::Le>(a, b, out);
      case BinaryOp::Gt:
        return run_compare<T, BinaryOp::Gt>(a, b, out);
      case BinaryOp::Ge:
        return run_compare<T, BinaryOp::Ge>(a, b, out);
      case BinaryOp::LogicalAnd:
        return run_compare<T, BinaryOp::LogicalAnd>(a, b, out);
      case BinaryOp::LogicalOr:
        return run_compare<T, BinaryOp::LogicalOr>(a, b, out);
      default:
        break;
    }
  } else if constexpr (!std::is_same_v<T, bool>) {
    switch (op) {
      case BinaryOp::Add:
        return run_arithmetic<T, BinaryOp::Add>(a, b, alpha, out);
      case BinaryOp::Sub:
        return run_arithmetic<T, BinaryOp::Sub>(a, b, alpha, out);
      case BinaryOp::Mul:
        return run_arithmetic<T, BinaryOp::Mul>(a, b, alpha, out);
      case BinaryOp::Div:
        return run_arithmetic<T, BinaryOp::Div>(a, b, alpha, out);
      case BinaryOp::Pow:
        return run_arithmetic<T, BinaryOp::Pow>(a, b, alpha, out);
      case BinaryOp::Maximum:
        return run_arithmetic<T, BinaryOp::Maximum>(a, b, alpha, out);
      case BinaryOp::Minimum:
        return run_arithmetic<T, BinaryOp::Minimum>(a, b, alpha, out);
      case BinaryOp::ReluBackward:
        return run_arithmetic<T, BinaryOp::ReluBackward>(a, b, alpha, out);
      case BinaryOp::GeluErfBackward:
        if constexpr (std::is_floating_point_v<T>) {
          return run_arithmetic<T, BinaryOp::GeluErfBackward>(a, b, alpha, out);
        }
        break;
      case BinaryOp::GeluTanhBackward:
        if constexpr (std::is_floating_point_v<T>) {
          return run_arithmetic<T, BinaryOp::GeluTanhBackward>(a, b, alpha, out);
        }
        break;
      default:
        break;
    }
  }
  throw Error(str("binary: op ", static_cast<int>(op), " is not defined for ", describe(a),
                  " giving ", describe(out), " on CUDA"));
}

// ---- fill, where, clamp ---------------------------------------------------------------------

template <typename T>
__global__ void fill_kernel(std::int64_t n, T* out, StridedIndexer out_index, T value) {
  for (std::int64_t i = blockIdx.x * std::int64_t(blockDim.x) + threadIdx.x; i < n;
       i += std::int64_t(gridDim.x) * blockDim.x) {
    out[out_index.offset(i)] = value;
  }
}

template <typename T>
__global__ void where_kernel(std::int64_t n, T* out, StridedIndexer out_index, const bool* cond,
                             StridedIndexer cond_index, const T* a, StridedIndexer a_index,
                             const T* b, StridedIndexer b_index) {
  for (std::int64_t i = blockIdx.x * std::int64_t(blockDim.x) + threadIdx.x; i < n;
       i += std::int64_t(gridDim.x) * blockDim.x) {
    out[out_index.offset(i)] =
        cond[cond_index.offset(i)] ? a[a_index.offset(i)] : b[b_index.offset(i)];
  }
}

// min(max(v, low), high), as PyTorch: high wins when low > high; NaN stays NaN.
template <typename T>
struct Clamp {
  T low, high;
  __device__ T operator()(T v) const {
    const T raised = v < low ? low : v;
    return raised > high ? high : raised;
  }
};

// Integer bounds: the integers inside [low, high], saturated to T's range (as on the CPU).
template <typename T>
T integer_bound(double b) {
  if (b <= static_cast<double>(std::numeric_limits<T>::lowest())) {
    return std::numeric_limits<T>::lowest();
  }
  if (b >= static_cast<double>(std::numeric_limits<T>::max())) {
    return std::numeric_limits<T>::max();
  }
  return static_cast<T>(b);
}

}  // namespace

void CudaBackend::copy(const Tensor& src, const Tensor& out) {
  if (out.numel() == 0) return;
  if (src.device().is_cpu() && out.device().is_cpu()) {
    return backend_for(Device::cpu()).copy(src, out);
  }
  if (src.device().is_cpu()) {
    DeviceGuard guard(out.device());
    return copy_to_gpu(src, out);
  }
  if (out.device().is_cpu()) {
    DeviceGuard guard(src.device());
    return copy_to_cpu(src, out);
  }
  MG_CHECK(src.device() == out.device(), "copy: cannot copy between GPUs, from ", describe(src),
           " to ", describe(out), "; go through the CPU");
  DeviceGuard guard(out.device());
  copy_on_device(src, out);
}

void CudaBackend::fill(const Tensor& out, double value) {
  const std::int64_t n = out.numel();
  if (n == 0) return;
  DeviceGuard guard(out.device());
  const StridedIndexer oi = make_indexer(out, "fill");
  visit_dtype(out.dtype(), [&](auto zero) {
    using T = decltype(zero);
    fill_kernel<<<blocks_for(n), kThreadsPerBlock, 0, stream(out.device().index)>>>(
        n, static_cast<T*>(out.raw_data()), oi, static_cast<T>(value));
  });
  check_launch("fill");
}

void CudaBackend::unary(UnaryOp op, const Tensor& x, const Tensor& out) {
  DeviceGuard guard(out.device());
  if (op == UnaryOp::LogicalNot) return map1<bool, bool>("unary", x, out, LogicalNot{});
  visit_dtype(x.dtype(), [&](auto zero) {
    using T = decltype(zero);
    if constexpr (std::is_same_v<T, bool>) {
      throw Error(
          str("unary: op ", static_cast<int>(op), " is not defined for ", describe(x), " on CUDA"));
    } else {
      unary_typed<T>(op, x, out);
    }
  });
}

void CudaBackend::binary(BinaryOp op, const Tensor& a, const Tensor& b, double alpha,
                         const Tensor& out) {
  DeviceGuard guard(out.device());
  visit_dtype(a.dtype(), [&](auto zero) { binary_typed<decltype(zero)>(op, a, b, alpha, out); });
}

void CudaBackend::where(const Tensor& cond, const Tensor& a, const Tensor& b, const Tensor& out) {
  const std::int64_t n = out.numel();
  if (n == 0) return;
  DeviceGuard guard(out.device());
  const StridedIndexer oi = make_indexer(out, "where"), ci = make_indexer(cond, "where"),
                       ai = make_indexer(a, "where"), bi = make_indexer(b, "where");
  visit_dtype(out.dtype(), [&](auto zero) {
    using T = decltype(zero);
    where_kernel<<<blocks_for(n), kThreadsPerBlock, 0, stream(out.device().index)>>>(
        n, static_cast<T*>(out.raw_data()), oi, static_cast<const bool*>(cond.raw_data()), ci,
        static_cast<const T*>(a.raw_data()), ai, static_cast<const T*>(b.raw_data()), bi);
  });
  check_launch("where");
}

void CudaBackend::clamp(const Tensor& x, double low, double high, const Tensor& out) {
  DeviceGuard guard(out.device());
  visit_numeric(x.dtype(), "clamp", [&](auto zero) {
    using T = decltype(zero);
    if constexpr (std::is_floating_point_v<T>) {
      map1<T, T>("clamp", x, out, Clamp<T>{static_cast<T>(low), static_cast<T>(high)});
    } else {
      map1<T, T>("clamp", x, out,
                 Clamp<T>{integer_bound<T>(std::ceil(low)), integer_bound<T>(std::floor(high))});
    }
  });
}

}  // namespace mg::cuda
