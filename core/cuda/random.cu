// Random numbers with the CPU's Philox counter layout (core/cpu/random.cpp): one thread per
// counter, each filling the `per_counter` elements that counter covers with the same transforms,
// so a seed gives the same tensor on both devices (up to the last bit of the transcendental
// functions in normal).

#include <cuda_runtime.h>

#include <cmath>
#include <type_traits>

#include "core/cuda/check.cuh"
#include "core/cuda/context.cuh"
#include "core/cuda/cuda_backend.cuh"
#include "core/cuda/launch.cuh"
#include "core/error.h"

namespace mg::cuda {

namespace {

constexpr double kTwoPi = 6.28318530717958647693;

// Uniform on [0, 1) from one word (24 bits for float32) or two words (53 bits for float64).
__device__ float unit_float(std::uint32_t w) {
  return static_cast<float>(w >> 8) * 0x1.0p-24f;
}
__device__ double unit_double(std::uint32_t hi, std::uint32_t lo) {
  const std::uint64_t bits = (static_cast<std::uint64_t>(hi) << 32 | lo) >> 11;
  return static_cast<double>(bits) * 0x1.0p-53;
}

// Calls fill(words, first, n) for every counter of a tensor of `numel` elements.
template <typename Fill>
__global__ void counters_kernel(std::int64_t numel, std::int64_t per_counter, PhiloxState state,
                                Fill fill) {
  const std::int64_t counters = (numel + per_counter - 1) / per_counter;
  for (std::int64_t c = blockIdx.x * std::int64_t(blockDim.x) + threadIdx.x; c < counters;
       c += std::int64_t(gridDim.x) * blockDim.x) {
    const auto words = philox4x32(state.offset + static_cast<std::uint64_t>(c), state.seed);
    const std::int64_t first = c * per_counter;
    const std::int64_t n = numel - first < per_counter ? numel - first : per_counter;
    fill(words.data(), first, n);
  }
}

template <typename Fill>
void launch_counters(const Tensor& out, std::int64_t per_counter, PhiloxState state, Fill fill,
                     const char* op) {
  const std::int64_t numel = out.numel();
  if (numel == 0) return;
  const std::int64_t counters = (numel + per_counter - 1) / per_counter;
  counters_kernel<<<blocks_for(counters), kThreadsPerBlock, 0, stream(out.device().index)>>>(
      numel, per_counter, state, fill);
  check_launch(op);
}

// lo + span·u, never reaching `top` (the largest value below high); the product and the sum are
// rounded separately, as the CPU's scalar code does.
template <typename T>
__device__ T scaled(T lo, T span, T top, T u) {
  T v;
  if constexpr (std::is_same_v<T, float>) {
    v = __fadd_rn(lo, __fmul_rn(span, u));
  } else {
    v = __dadd_rn(lo, __dmul_rn(span, u));
  }
  return v < top ? v : top;
}

template <typename T>
struct UniformFill {
  T* data;
  T lo, span, top;
  __device__ void operator()(const std::uint32_t* w, std::int64_t first, std::int64_t n) const {
    for (std::int64_t j = 0; j < n; ++j) {
      if constexpr (std::is_same_v<T, float>) {
        data[first + j] = scaled(lo, span, top, unit_float(w[j]));
      } else {
        data[first + j] = scaled(lo, span, top, unit_double(w[2 * j], w[2 * j + 1]));
      }
    }
  }
};

// Box-Muller in double: each pair of uniforms (u1, u2) gives two normals.
template <typename T>
struct NormalFill {
  T* data;
  double mean, std;
  __device__ void pair(double u1, double u2, T* first, std::int64_t n) const {
    const double radius = sqrt(-2 * log(1 - u1));  // 1 - u1 is in (0, 1]
    first[0] = static_cast<T>(mean + std * radius * cos(kTwoPi * u2));
    if (n > 1) first[1] = static_cast<T>(mean + std * radius * sin(kTwoPi * u2));
  }
  __device__ void operator()(const std::uint32_t* w, std::int64_t first, std::int64_t n) const {
    if constexpr (std::is_same_v<T, float>) {
      pair(unit_float(w[0]), unit_float(w[1]), data + first, n);
      if (n > 2) pair(unit_float(w[2]), unit_float(w[3]), data + first + 2, n - 2);
    } else {
      pair(unit_double(w[0], w[1]), unit_double(w[2], w[3]), data + first, n);
    }
  }
};

template <typename Out, typename P>
struct BernoulliFill {
  Out* data;
  const P* prob;
  __device__ void operator()(const std::uint32_t* w, std::int64_t first, std::int64_t n) const {
    for (std::int64_t j = 0; j < n; ++j) {
      const double u = static_cast<double>(w[j]) * 0x1.0p-32;
      data[first + j] = static_cast<Out>(u < static_cast<double>(prob[first + j]));
    }
  }
};

// Modulo of a 64-bit draw, as on the CPU.
template <typename T>
struct RandintFill {
  T* data;
  std::int64_t low;
  std::uint64_t range;
  __device__ void operator()(const std::uint32_t* w, std::int64_t first, std::int64_t n) const {
    for (std::int64_t j = 0; j < n; ++j) {
      const std::uint64_t bits = static_cast<std::uint64_t>(w[2 * j]) << 32 | w[2 * j + 1];
      data[first + j] = static_cast<T>(low + static_cast<std::int64_t>(bits % range));
    }
  }
};

}  // namespace

void CudaBackend::uniform(const Tensor& out, double low, double high, PhiloxState state) {
  DeviceGuard guard(out.device());
  visit_floating(out.dtype(), "uniform", [&](auto zero) {
    using T = decltype(zero);
    const T lo = static_cast<T>(low), span = static_cast<T>(high - low);
    // Rounding can land exactly on `high`; keep the interval half-open (as on the CPU).
    const T top = high > low ? std::nextafter(static_cast<T>(high), lo) : lo;
    launch_counters(out, std::is_same_v<T, float> ? 4 : 2, state,
                    UniformFill<T>{static_cast<T*>(out.raw_data()), lo, span, top}, "uniform");
  });
}

void CudaBackend::normal(const Tensor& out, double mean, double std, PhiloxState state) {
  DeviceGuard guard(out.device());
  visit_floating(out.dtype(), "normal", [&](auto zero) {
    using T = decltype(zero);
    launch_counters(out, std::is_same_v<T, float> ? 4 : 2, state,
                    NormalFill<T>{static_cast<T*>(out.raw_data()), mean, std}, "normal");
  });
}

void CudaBackend::bernoulli(const Tensor& p, const Tensor& out, PhiloxState state) {
  DeviceGuard guard(out.device());
  visit_dtype(out.dtype(), [&](auto out_zero) {
    using Out = decltype(out_zero);
    visit_floating(p.dtype(), "bernoulli", [&](auto p_zero) {
      using P = decltype(p_zero);
      launch_counters(out, 4, state,
                      BernoulliFill<Out, P>{static_cast<Out*>(out.raw_data()),
                                            static_cast<const P*>(p.raw_data())},
                      "bernoulli");
    });
  });
}

void CudaBackend::randint(const Tensor& out, std::int64_t low, std::int64_t high,
                          PhiloxState state) {
  DeviceGuard guard(out.device());
  const auto range = static_cast<std::uint64_t>(high - low);
  visit_dtype(out.dtype(), [&](auto zero) {
    using T = decltype(zero);
    launch_counters(out, 2, state, RandintFill<T>{static_cast<T*>(out.raw_data()), low, range},
                    "randint");
  });
}

}  // namespace mg::cuda
