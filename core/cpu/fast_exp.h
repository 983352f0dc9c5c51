#pragma once

#include <array>
#include <bit>
#include <cstdint>
#include <limits>
#include <utility>

namespace mg::cpu {

// exp(x) written so that the compiler can vectorise loops that call it: std::exp is an opaque
// library call that keeps every softmax loop scalar. Range reduction x = n·ln2 + r with
// |r| <= ln2/2 (ln2 split in a high part exact in n·ln2_hi and a low correction), a Taylor
// polynomial for e^r (degree 7 for float, 12 for double: measured within 1 and 3 ulp of the
// exact value), and 2^n assembled in the exponent bits. The rounding to n uses the
// 1.5·2^(mantissa bits) trick, so no float-to-int conversion is needed. Results below the
// smallest normal number are flushed to 0 (also for -inf), and inputs whose 2^n would overflow
// give +inf (so do the last 0.35 below the true overflow threshold, a range softmax never
// reaches: it exponentiates x - max(x) <= 0 and log-probabilities). NaN propagates.
template <typename T>
struct ExpConstants;

template <>
struct ExpConstants<float> {
  using Bits = std::uint32_t;
  static constexpr int kMantissaBits = 23;
  static constexpr Bits kBias = 127;
  static constexpr float kLowest = -87.33654f;  // log of the smallest normal float
  static constexpr float kHighest = 88.37f;     // just below (127 + 1/2)·ln 2, so n <= 127
  static constexpr float kLn2Hi = 0.693359375f;
  static constexpr float kLn2Lo = -2.12194440e-4f;
  static constexpr int kDegree = 7;
};

template <>
struct ExpConstants<double> {
  using Bits = std::uint64_t;
  static constexpr int kMantissaBits = 52;
  static constexpr Bits kBias = 1023;
  static constexpr double kLowest = -708.3964185322641;
  static constexpr double kHighest = 709.43;  // just below (1023 + 1/2)·ln 2
  static constexpr double kLn2Hi = 6.93147180369123816490e-01;
  static constexpr double kLn2Lo = 1.90821492927058770002e-10;
  static constexpr int kDegree = 12;
};

// Taylor coefficients 1/k!, k = 0 .. degree.
template <typename T, int Degree>
constexpr std::array<T, Degree + 1> exp_taylor() {
  std::array<T, Degree + 1> c{};
  c[0] = 1;
  for (int k = 1; k <= Degree; ++k) c[k] = c[k - 1] / T(k);
  return c;
}

// c[0] + r·(c[1] + r·(... + r·c[n])), unrolled at compile time so the caller's loop vectorises.
template <typename T, std::size_t N, std::size_t... K>
inline T horner(T r, const std::array<T, N>& c, std::index_sequence<K...>) {
  T p = c[N - 1];
  ((p = p * r + c[N - 2 - K]), ...);
  return p;
}

template <typename T>
inline T fast_exp(T x) {
  using C = ExpConstants<T>;
  using Bits = typename C::Bits;
  constexpr T kLog2e = T(1.4426950408889634074);
  constexpr T kRoundShift = T(Bits(3) << (C::kMantissaBits - 1));  // 1.5·2^mantissa_bits
  const T clamped = x < C::kLowest ? C::kLowest : (x > C::kHighest ? C::kHighest : x);
  // After adding the shift, the low mantissa bits of `shifted` hold n = round(x·log2 e).
  const T shifted = clamped * kLog2e + kRoundShift;
  const T n = shifted - kRoundShift;
  const T r = (clamped - n * C::kLn2Hi) - n * C::kLn2Lo;
  const T p = horner(r, exp_taylor<T, C::kDegree>(), std::make_index_sequence<C::kDegree>());
  // (shift bits + n + bias) << mantissa: the shift's own bits overflow out of the word.
  const T scale = std::bit_cast<T>((std::bit_cast<Bits>(shifted) + C::kBias) << C::kMantissaBits);
  const T result = x > C::kHighest ? std::numeric_limits<T>::infinity() : p * scale;
  return x < C::kLowest ? T(0) : result;
}

}  // namespace mg::cpu
