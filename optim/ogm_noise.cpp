#include "optim/ogm_noise.h"

#include <array>
#include <bit>
#include <cmath>
#include <cstdint>
#include <numbers>

#include "autograd/ops.h"
#include "core/cpu/parallel.h"
#include "core/random.h"

namespace mg::optim {
namespace {

// ln(u) for u in (0, 1): u = m·2^e with m ∈ [√½, √2), ln m = 2·atanh(s), s = (m − 1)/(m + 1),
// |s| ≤ 0.172, the odd series to s^9 (error < 4e-10).
inline float log_unit(float u) {
  const std::uint32_t bits = std::bit_cast<std::uint32_t>(u);
  // Shift the mantissa range so that m lands in [√½, √2): 0x3f3504f3 is √½'s bit pattern.
  const std::uint32_t shifted = bits - 0x3f3504f3u;
  const float e = static_cast<float>(static_cast<std::int32_t>(shifted) >> 23);
  const float m = std::bit_cast<float>((shifted & 0x007fffffu) + 0x3f3504f3u);
  const float s = (m - 1.0f) / (m + 1.0f);
  const float s2 = s * s;
  const float series =
      s * (2.0f + s2 * (2.0f / 3 + s2 * (2.0f / 5 + s2 * (2.0f / 7 + s2 * (2.0f / 9)))));
  return e * std::numbers::ln2_v<float> + series;
}

// sin and cos of h ∈ [−π/2, π/2]: Taylor to h^11 and h^12 (errors < 6e-8 and 7e-9).
inline float sin_half(float h) {
  const float h2 = h * h;
  return h * (1 + h2 * (-1.0f / 6 +
                        h2 * (1.0f / 120 + h2 * (-1.0f / 5040 +
                                                 h2 * (1.0f / 362880 + h2 * (-1.0f / 39916800))))));
}
inline float cos_half(float h) {
  const float h2 = h * h;
  return 1 + h2 * (-0.5f +
                   h2 * (1.0f / 24 + h2 * (-1.0f / 720 +
                                           h2 * (1.0f / 40320 + h2 * (-1.0f / 3628800 +
                                                                      h2 * (1.0f / 479001600))))));
}

constexpr std::int64_t kCountersPerBlock = 256;

// Counters [begin, end) of the stream, elements [4·begin, min(4·end, n)).
template <typename T>
void fill_block(const T* grad, T* out, std::int64_t n, std::int64_t begin, std::int64_t end,
                T coefficient, T sigma, PhiloxState state) {
  std::array<std::uint32_t, 4 * kCountersPerBlock> words;
  std::array<float, 4 * kCountersPerBlock> normal;
  for (std::int64_t block = begin; block < end; block += kCountersPerBlock) {
    const std::int64_t counters = std::min(kCountersPerBlock, end - block);
    for (std::int64_t c = 0; c < counters; ++c) {
      const auto w = philox4x32(state.offset + static_cast<std::uint64_t>(block + c), state.seed);
      for (int j = 0; j < 4; ++j) words[4 * c + j] = w[j];
    }
    // Box-Muller per pair (words 2p, 2p + 1): radius from u1 ∈ [2^-25, 1), angle φ = 2π·t with t
    // uniform on [−½, ½), through the half angle h = φ/2 ∈ [−π/2, π/2).
    for (std::int64_t p = 0; p < 2 * counters; ++p) {
      const float u1 = (static_cast<float>(words[2 * p] >> 8) + 0.5f) * 0x1.0p-24f;
      const float t = static_cast<float>(words[2 * p + 1] >> 8) * 0x1.0p-24f - 0.5f;
      const float radius = std::sqrt(-2.0f * log_unit(u1));
      const float h = std::numbers::pi_v<float> * t;
      const float s = sin_half(h), c = cos_half(h);
      normal[2 * p] = radius * (c * c - s * s);
      normal[2 * p + 1] = radius * (2 * s * c);
    }
    const std::int64_t first = 4 * block;
    const std::int64_t count = std::min(4 * counters, n - first);
    for (std::int64_t i = 0; i < count; ++i)
      out[first + i] = coefficient * grad[first + i] + sigma * static_cast<T>(normal[i]);
  }
}

}  // namespace

Tensor scaled_plus_noise(const Tensor& grad, double coefficient, double sigma,
                         Generator& generator) {
  const bool fused = grad.device().is_cpu() && grad.is_contiguous() &&
                     (grad.dtype() == kFloat32 || grad.dtype() == kFloat64);
  if (!fused) {
    Tensor noise = zeros_like(grad);
    normal_(noise, 0, sigma, &generator);
    return add(mul(grad, coefficient), noise);
  }
  const std::int64_t n = grad.numel();
  const std::int64_t counters = (n + 3) / 4;
  const PhiloxState state = generator.reserve(static_cast<std::uint64_t>(counters));
  Tensor out = empty(grad.shape(), grad.options());
  auto run = [&](auto zero) {
    using T = decltype(zero);
    const T* g = grad.data_ptr<T>();
    T* o = out.data_ptr<T>();
    cpu::parallel_for(0, counters, 4096, [&](std::int64_t begin, std::int64_t end) {
      fill_block(g, o, n, begin, end, static_cast<T>(coefficient), static_cast<T>(sigma), state);
    });
  };
  if (grad.dtype() == kFloat32)
    run(float{});
  else
    run(double{});
  return out;
}

}  // namespace mg::optim
