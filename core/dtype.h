#pragma once

#include <cstddef>
#include <cstdint>
#include <ostream>
#include <string_view>

#include "core/error.h"

namespace mg {

// Element types. Bool and UInt8 are both one byte; Bool holds only 0 and 1.
enum class DType : std::uint8_t { Bool, UInt8, Int64, Float32, Float64 };

inline constexpr DType kBool = DType::Bool;
inline constexpr DType kUInt8 = DType::UInt8;
inline constexpr DType kInt64 = DType::Int64;
inline constexpr DType kFloat32 = DType::Float32;
inline constexpr DType kFloat64 = DType::Float64;

std::size_t element_size(DType dtype);
std::string_view dtype_name(DType dtype);
inline bool is_floating(DType dtype) {
  return dtype == kFloat32 || dtype == kFloat64;
}
// The dtype that two operands of an elementwise op are converted to (PyTorch's ordering:
// bool < uint8 < int64 < float32 < float64).
DType promote_types(DType a, DType b);
std::ostream& operator<<(std::ostream& out, DType dtype);

template <typename T>
constexpr DType dtype_of();
template <>
constexpr DType dtype_of<bool>() {
  return kBool;
}
template <>
constexpr DType dtype_of<std::uint8_t>() {
  return kUInt8;
}
template <>
constexpr DType dtype_of<std::int64_t>() {
  return kInt64;
}
template <>
constexpr DType dtype_of<float>() {
  return kFloat32;
}
template <>
constexpr DType dtype_of<double>() {
  return kFloat64;
}

// Calls f(T{}) with T the C++ type of `dtype`; the kernels use this to instantiate once per type.
template <typename F>
decltype(auto) visit_dtype(DType dtype, F&& f) {
  switch (dtype) {
    case kBool:
      return f(bool{});
    case kUInt8:
      return f(std::uint8_t{});
    case kInt64:
      return f(std::int64_t{});
    case kFloat32:
      return f(float{});
    case kFloat64:
      return f(double{});
  }
  throw Error("unknown dtype");
}

// As visit_dtype, for ops defined on floating-point tensors only; `op` names the caller.
template <typename F>
decltype(auto) visit_floating(DType dtype, std::string_view op, F&& f) {
  switch (dtype) {
    case kFloat32:
      return f(float{});
    case kFloat64:
      return f(double{});
    default:
      throw Error(str(op, ": expected a floating-point tensor, got ", dtype_name(dtype)));
  }
}

// As visit_dtype, for arithmetic on numbers (everything but bool).
template <typename F>
decltype(auto) visit_numeric(DType dtype, std::string_view op, F&& f) {
  switch (dtype) {
    case kUInt8:
      return f(std::uint8_t{});
    case kInt64:
      return f(std::int64_t{});
    case kFloat32:
      return f(float{});
    case kFloat64:
      return f(double{});
    default:
      throw Error(str(op, ": expected a numeric tensor, got ", dtype_name(dtype)));
  }
}

}  // namespace mg
