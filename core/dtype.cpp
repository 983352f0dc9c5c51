#include "core/dtype.h"

#include <algorithm>

namespace mg {

std::size_t element_size(DType dtype) {
  return visit_dtype(dtype, [](auto zero) { return sizeof(zero); });
}

std::string_view dtype_name(DType dtype) {
  switch (dtype) {
    case kBool:
      return "bool";
    case kUInt8:
      return "uint8";
    case kInt64:
      return "int64";
    case kFloat32:
      return "float32";
    case kFloat64:
      return "float64";
  }
  return "unknown";
}

DType promote_types(DType a, DType b) {
  return static_cast<DType>(std::max(static_cast<int>(a), static_cast<int>(b)));
}

std::ostream& operator<<(std::ostream& out, DType dtype) {
  return out << dtype_name(dtype);
}

}  // namespace mg
