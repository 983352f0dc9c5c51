#include <cmath>
#include <cstring>
#include <limits>
#include <numbers>

#include "core/cpu/cpu_backend.h"
#include "core/cpu/fast_erf.h"
#include "core/cpu/fast_exp.h"
#include "core/cpu/loops.h"

namespace mg::cpu {

Backend& backend() {
  static CpuBackend cpu;
  return cpu;
}

void CpuBackend::copy(const Tensor& src, const Tensor& out) {
  if (out.numel() == 0) return;
  if (src.dtype() == out.dtype() && src.is_contiguous() && out.is_contiguous() &&
      src.shape() == out.shape()) {
    std::memcpy(out.raw_data(), src.raw_data(),
                static_cast<std::size_t>(out.numel()) * element_size(out.dtype()));
    return;
  }
  visit_dtype(out.dtype(), [&](auto out_zero) {
    using Out = decltype(out_zero);
    visit_dtype(src.dtype(), [&](auto in_zero) {
      using In = decltype(in_zero);
      map1<Out, In>(src, out, [](In v) { return static_cast<Out>(v); });
    });
  });
}

void CpuBackend::fill(const Tensor& out, double value) {
  visit_dtype(out.dtype(), [&](auto zero) {
    using T = decltype(zero);
    const T v = static_cast<T>(value);
    StridedLoop<1> loop({&out});
    loop.run([&](char* const* p, std::int64_t n, const std::int64_t* s) {
      if (s[0] == sizeof(T)) {
        T* o = reinterpret_cast<T*>(p[0]);
        for (std::int64_t i = 0; i < n; ++i) o[i] = v;
      } else {
        for (std::int64_t i = 0; i < n; ++i) *reinterpret_cast<T*>(p[0] + i * s[0]) = v;
      }
    });
  });
}

namespace {

// float32 takes the vectorisable erf and exp; float64 keeps the library's, which gradcheck
// needs.
template <typename T>
T erf_of(T x) {
  if constexpr (std::is_same_v<T, float>) return fast_erf(x);
  return std::erf(x);
}
template <typename T>
T exp_of(T x) {
  if constexpr (std::is_same_v<T, float>) return fast_exp(x);
  return std::exp(x);
}

template <typename T>
T gelu_erf(T x) {
  return T(0.5) * x * (T(1) + erf_of(x * T(std::numbers::sqrt2 / 2)));
}

template <typename T>
T gelu_erf_derivative(T x) {
  const T cdf = T(0.5) * (T(1) + erf_of(x * T(std::numbers::sqrt2 / 2)));
  const T pdf = exp_of(T(-0.5) * x * x) * T(std::numbers::inv_sqrtpi / std::numbers::sqrt2);
  return cdf + x * pdf;
}

// gelu's tanh approximation: 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))).
template <typename T>
constexpr T kGeluScale = T(std::numbers::sqrt2* std::numbers::inv_sqrtpi);
template <typename T>
constexpr T kGeluCubic = T(0.044715);

template <typename T>
T gelu_tanh(T x) {
  const T inner = kGeluScale<T> * (x + kGeluCubic<T> * x * x * x);
  return T(0.5) * x * (T(1) + std::tanh(inner));
}

template <typename T>
T gelu_tanh_derivative(T x) {
  const T inner = kGeluScale<T> * (x + kGeluCubic<T> * x * x * x);
  const T t = std::tanh(inner);
  const T d_inner = kGeluScale<T> * (T(1) + T(3) * kGeluCubic<T> * x * x);
  return T(0.5) * (T(1) + t) + T(0.5) * x * (T(1) - t * t) * d_inner;
}

template <typename T>
void unary_floating(UnaryOp op, const Tensor& x, const Tensor& out) {
  switch (op) {
    case UnaryOp::Exp:
      return map1<T, T>(x, out, [](T v) { return std::exp(v); });
    case UnaryOp::Log:
      return map1<T, T>(x, out, [](T v) { return std::log(v); });
    case UnaryOp::Log1p:
      return map1<T, T>(x, out, [](T v) { return std::log1p(v); });
    case UnaryOp::Sqrt:
      return map1<T, T>(x, out, [](T v) { return std::sqrt(v); });
    case UnaryOp::Rsqrt:
      return map1<T, T>(x, out, [](T v) { return T(1) / std::sqrt(v); });
    case UnaryOp::Sigmoid:
      return map1<T, T>(x, out, [](T v) { return T(1) / (T(1) + std::exp(-v)); });
    case UnaryOp::Tanh:
      return map1<T, T>(x, out, [](T v) { return std::tanh(v); });
    case UnaryOp::GeluErf:
      return map1<T, T>(x, out, gelu_erf<T>);
    case UnaryOp::GeluTanh:
      return map1<T, T>(x, out, gelu_tanh<T>);
    default:
      break;
  }
}

template <typename T>
void unary_numeric(UnaryOp op, const Tensor& x, const Tensor& out) {
  switch (op) {
    case UnaryOp::Neg:
      return map1<T, T>(x, out, [](T v) { return static_cast<T>(-v); });
    case UnaryOp::Abs:
      return map1<T, T>(x, out, [](T v) { return static_cast<T>(v < T(0) ? -v : v); });
    case UnaryOp::Sign:
      return map1<T, T>(x, out, [](T v) { return static_cast<T>((T(0) < v) - (v < T(0))); });
    // NaN stays NaN, as in PyTorch: the comparison is false for it.
    case UnaryOp::Relu:
      return map1<T, T>(x, out, [](T v) { return v < T(0) ? T(0) : v; });
    default:
      break;
  }
  if constexpr (std::is_floating_point_v<T>) unary_floating<T>(op, x, out);
}

// NaN in either operand gives NaN, as in PyTorch (a + b is NaN then).
template <typename T>
T maximum(T a, T b) {
  if constexpr (std::is_floating_point_v<T>) {
    if (std::isnan(a) || std::isnan(b)) return a + b;
  }
  return a < b ? b : a;
}

template <typename T>
T minimum(T a, T b) {
  if constexpr (std::is_floating_point_v<T>) {
    if (std::isnan(a) || std::isnan(b)) return a + b;
  }
  return b < a ? b : a;
}

// Integers: exponentiation by squaring in unsigned arithmetic (wrapping like PyTorch's, with no
// signed overflow). A negative exponent gives 1/base truncated: ±1 for base ±1, else 0.
template <typename T>
T power(T base, T exponent) {
  if constexpr (std::is_floating_point_v<T>) {
    return std::pow(base, exponent);
  } else {
    if (exponent < 0) {
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
void binary_arithmetic(BinaryOp op, const Tensor& a, const Tensor& b, double alpha,
                       const Tensor& out) {
  const T scale = static_cast<T>(alpha);
  switch (op) {
    case BinaryOp::Add:
      if (alpha == 1) return map2<T, T>(a, b, out, [](T x, T y) { return static_cast<T>(x + y); });
      return map2<T, T>(a, b, out, [scale](T x, T y) { return static_cast<T>(x + scale * y); });
    case BinaryOp::Sub:
      if (alpha == 1) return map2<T, T>(a, b, out, [](T x, T y) { return static_cast<T>(x - y); });
      return map2<T, T>(a, b, out, [scale](T x, T y) { return static_cast<T>(x - scale * y); });
    case BinaryOp::Mul:
      return map2<T, T>(a, b, out, [](T x, T y) { return static_cast<T>(x * y); });
    case BinaryOp::Div:
      return map2<T, T>(a, b, out, [](T x, T y) { return static_cast<T>(x / y); });
    case BinaryOp::Pow:
      return map2<T, T>(a, b, out, power<T>);
    case BinaryOp::Maximum:
      return map2<T, T>(a, b, out, maximum<T>);
    case BinaryOp::Minimum:
      return map2<T, T>(a, b, out, minimum<T>);
    case BinaryOp::ReluBackward:
      return map2<T, T>(a, b, out, [](T g, T y) { return y <= T(0) ? T(0) : g; });
    case BinaryOp::GeluErfBackward:
      if constexpr (std::is_floating_point_v<T>)
        return map2<T, T>(a, b, out, [](T g, T x) { return g * gelu_erf_derivative(x); });
      break;
    case BinaryOp::GeluTanhBackward:
      if constexpr (std::is_floating_point_v<T>)
        return map2<T, T>(a, b, out, [](T g, T x) { return g * gelu_tanh_derivative(x); });
      break;
    default:
      break;
  }
}

template <typename T>
void binary_compare(BinaryOp op, const Tensor& a, const Tensor& b, const Tensor& out) {
  switch (op) {
    case BinaryOp::Eq:
      return map2<bool, T>(a, b, out, [](T x, T y) { return x == y; });
    case BinaryOp::Ne:
      return map2<bool, T>(a, b, out, [](T x, T y) { return x != y; });
    case BinaryOp::Lt:
      return map2<bool, T>(a, b, out, [](T x, T y) { return x < y; });
    case BinaryOp::Le:
      return map2<bool, T>(a, b, out, [](T x, T y) { return x <= y; });
    case BinaryOp::Gt:
      return map2<bool, T>(a, b, out, [](T x, T y) { return x > y; });
    case BinaryOp::Ge:
      return map2<bool, T>(a, b, out, [](T x, T y) { return x >= y; });
    case BinaryOp::LogicalAnd:
      return map2<bool, T>(a, b, out, [](T x, T y) { return x && y; });
    case BinaryOp::LogicalOr:
      return map2<bool, T>(a, b, out, [](T x, T y) { return x || y; });
    default:
      break;
  }
}

}  // namespace

void CpuBackend::unary(UnaryOp op, const Tensor& x, const Tensor& out) {
  if (op == UnaryOp::LogicalNot) {
    return map1<bool, bool>(x, out, [](bool v) { return !v; });
  }
  visit_dtype(x.dtype(), [&](auto zero) {
    using T = decltype(zero);
    if constexpr (!std::is_same_v<T, bool>) unary_numeric<T>(op, x, out);
  });
}

void CpuBackend::binary(BinaryOp op, const Tensor& a, const Tensor& b, double alpha,
                        const Tensor& out) {
  visit_dtype(a.dtype(), [&](auto zero) {
    using T = decltype(zero);
    if (out.dtype() == kBool) return binary_compare<T>(op, a, b, out);
    if constexpr (!std::is_same_v<T, bool>) binary_arithmetic<T>(op, a, b, alpha, out);
  });
}

void CpuBackend::where(const Tensor& cond, const Tensor& a, const Tensor& b, const Tensor& out) {
  visit_dtype(out.dtype(), [&](auto zero) {
    using T = decltype(zero);
    StridedLoop<4> loop({&out, &cond, &a, &b});
    loop.run([&](char* const* p, std::int64_t n, const std::int64_t* s) {
      for (std::int64_t i = 0; i < n; ++i) {
        const bool c = *reinterpret_cast<const bool*>(p[1] + i * s[1]);
        *reinterpret_cast<T*>(p[0] + i * s[0]) =
            *reinterpret_cast<const T*>(p[c ? 2 : 3] + i * s[c ? 2 : 3]);
      }
    });
  });
}

void CpuBackend::clamp(const Tensor& x, double low, double high, const Tensor& out) {
  visit_dtype(x.dtype(), [&](auto zero) {
    using T = decltype(zero);
    if constexpr (std::is_floating_point_v<T>) {
      const T lo = static_cast<T>(low), hi = static_cast<T>(high);
      // min(max(v, low), high), as PyTorch: high wins when low > high; NaN stays NaN.
      map1<T, T>(x, out, [lo, hi](T v) {
        const T raised = v < lo ? lo : v;
        return raised > hi ? hi : raised;
      });
    } else if constexpr (!std::is_same_v<T, bool>) {
      // Integer bounds: the integers inside [low, high], saturated to T's range.
      auto bound = [](double b) {
        if (b <= static_cast<double>(std::numeric_limits<T>::lowest())) {
          return std::numeric_limits<T>::lowest();
        }
        if (b >= static_cast<double>(std::numeric_limits<T>::max())) {
          return std::numeric_limits<T>::max();
        }
        return static_cast<T>(b);
      };
      const T lo = bound(std::ceil(low)), hi = bound(std::floor(high));
      map1<T, T>(x, out, [lo, hi](T v) {
        const T raised = v < lo ? lo : v;
        return raised > hi ? hi : raised;
      });
    }
  });
}

}  // namespace mg::cpu
