#include <cmath>
#include <numbers>

#include "core/cpu/cpu_backend.h"
#include "core/cpu/parallel.h"

namespace mg::cpu {

namespace {

constexpr double kTwoPi = 2 * std::numbers::pi;

// Uniform on [0, 1) from one word (24 bits for float32) or two words (53 bits for float64).
inline float unit_float(std::uint32_t w) {
  return static_cast<float>(w >> 8) * 0x1.0p-24f;
}
inline double unit_double(std::uint32_t hi, std::uint32_t lo) {
  const std::uint64_t bits = (static_cast<std::uint64_t>(hi) << 32 | lo) >> 11;
  return static_cast<double>(bits) * 0x1.0p-53;
}

// Runs fill(counter_index, words, first, count) for every Philox counter the tensor needs: the
// counter covers elements [first, first + count), `per_counter` per counter.
template <typename F>
void for_each_counter(std::int64_t numel, std::int64_t per_counter, PhiloxState state,
                      const F& fill) {
  const std::int64_t counters = (numel + per_counter - 1) / per_counter;
  parallel_for(0, counters, 4096, [&](std::int64_t begin, std::int64_t end) {
    for (std::int64_t c = begin; c < end; ++c) {
      const auto words = philox4x32(state.offset + static_cast<std::uint64_t>(c), state.seed);
      const std::int64_t first = c * per_counter;
      fill(words, first, std::min(per_counter, numel - first));
    }
  });
}

}  // namespace

void CpuBackend::uniform(const Tensor& out, double low, double high, PhiloxState state) {
  visit_floating(out.dtype(), "uniform", [&](auto zero) {
    using T = decltype(zero);
    T* data = static_cast<T*>(out.raw_data());
    const T lo = static_cast<T>(low), span = static_cast<T>(high - low);
    // Rounding can land exactly on `high`; keep the interval half-open.
    const T top = high > low ? std::nextafter(static_cast<T>(high), lo) : lo;
    auto value = [&](double u) { return std::min<T>(lo + span * static_cast<T>(u), top); };
    if constexpr (std::is_same_v<T, float>) {
      for_each_counter(out.numel(), 4, state,
                       [&](const auto& w, std::int64_t first, std::int64_t n) {
                         for (std::int64_t j = 0; j < n; ++j)
                           data[first + j] = value(unit_float(w[j]));
                       });
    } else {
      for_each_counter(out.numel(), 2, state,
                       [&](const auto& w, std::int64_t first, std::int64_t n) {
                         for (std::int64_t j = 0; j < n; ++j)
                           data[first + j] = value(unit_double(w[2 * j], w[2 * j + 1]));
                       });
    }
  });
}

void CpuBackend::normal(const Tensor& out, double mean, double std, PhiloxState state) {
  // Box-Muller: each pair of uniforms (u1, u2) gives two normals.
  visit_floating(out.dtype(), "normal", [&](auto zero) {
    using T = decltype(zero);
    T* data = static_cast<T*>(out.raw_data());
    auto pair = [&](double u1, double u2, T* first, std::int64_t n) {
      const double radius = std::sqrt(-2 * std::log(1 - u1));  // 1 - u1 is in (0, 1]
      first[0] = static_cast<T>(mean + std * radius * std::cos(kTwoPi * u2));
      if (n > 1) first[1] = static_cast<T>(mean + std * radius * std::sin(kTwoPi * u2));
    };
    if constexpr (std::is_same_v<T, float>) {
      for_each_counter(out.numel(), 4, state,
                       [&](const auto& w, std::int64_t first, std::int64_t n) {
                         pair(unit_float(w[0]), unit_float(w[1]), data + first, n);
                         if (n > 2)
                           pair(unit_float(w[2]), unit_float(w[3]), data + first + 2, n - 2);
                       });
    } else {
      for_each_counter(out.numel(), 2, state,
                       [&](const auto& w, std::int64_t first, std::int64_t n) {
                         pair(unit_double(w[0], w[1]), unit_double(w[2], w[3]), data + first, n);
                       });
    }
  });
}

void CpuBackend::bernoulli(const Tensor& p, const Tensor& out, PhiloxState state) {
  visit_dtype(out.dtype(), [&](auto out_zero) {
    using Out = decltype(out_zero);
    visit_floating(p.dtype(), "bernoulli", [&](auto p_zero) {
      using P = decltype(p_zero);
      Out* data = static_cast<Out*>(out.raw_data());
      const P* prob = static_cast<const P*>(p.raw_data());
      for_each_counter(
          out.numel(), 4, state, [&](const auto& w, std::int64_t first, std::int64_t n) {
            for (std::int64_t j = 0; j < n; ++j) {
              const double u = static_cast<double>(w[j]) * 0x1.0p-32;
              data[first + j] = static_cast<Out>(u < static_cast<double>(prob[first + j]));
            }
          });
    });
  });
}

void CpuBackend::randint(const Tensor& out, std::int64_t low, std::int64_t high,
                         PhiloxState state) {
  // Modulo of a 64-bit draw: the bias is below range / 2^64, far under any test's resolution.
  const auto range = static_cast<std::uint64_t>(high - low);
  visit_dtype(out.dtype(), [&](auto zero) {
    using T = decltype(zero);
    T* data = static_cast<T*>(out.raw_data());
    for_each_counter(out.numel(), 2, state, [&](const auto& w, std::int64_t first, std::int64_t n) {
      for (std::int64_t j = 0; j < n; ++j) {
        const std::uint64_t bits = static_cast<std::uint64_t>(w[2 * j]) << 32 | w[2 * j + 1];
        data[first + j] = static_cast<T>(low + static_cast<std::int64_t>(bits % range));
      }
    });
  });
}

}  // namespace mg::cpu
