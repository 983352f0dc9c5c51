#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/tensor.h"

// The numpy element types that the .npy reader (npy.h) and the pickled-array reader (pickle.h)
// understand, and the maskgrad dtype each becomes (maskgrad has no float16, int16 or int32):
//   f2 -> float32 (exact), f4 -> float32, f8 -> float64,
//   u1 -> uint8, b1 -> bool (bytes other than 0 and 1 are rejected),
//   i1, i2, i4, i8 -> int64.
// A dtype string ("descr") is a byte order, '<', '|' or '>' (byte-swapped on reading, as numpy
// does), followed by the type code: "<f4", "|u1", ">i2".
namespace mg::data {

struct NumpyElementType {
  char kind;             // 'f', 'i', 'u' or 'b'
  std::size_t itemsize;  // bytes per element in the file
  bool big_endian;

  DType loaded_dtype() const;
};

// Parses `descr`, or throws mg::Error
// "<context>: unsupported <format> dtype '<descr>': why (supported: ...)". `context` is the file
// name (and, if the caller knows it, where in the file); `format` is "npy", "pickled numpy", ...
// '=' (native order) is rejected: what it means depends on the machine that wrote the file.
NumpyElementType parse_numpy_descr(std::string_view descr, const std::string& context,
                                   std::string_view format);

// The payload size in bytes of an array of `shape`, prod(shape) * itemsize, or nullopt when the
// product of the nonzero dimensions (numpy's strides) overflows int64 or the size overflows
// uint64.
std::optional<std::uint64_t> numpy_payload_size(const Shape& shape, std::size_t itemsize);

// Decodes `out.numel()` elements of `type`, C order, from `data` into `out`, a new contiguous CPU
// tensor of type.loaded_dtype(). A bool byte other than 0 or 1 throws
// "<context>: <format> bool element <i> is <byte>, not 0 or 1".
void decode_numpy_elements(const std::uint8_t* data, const NumpyElementType& type,
                           const Tensor& out, const std::string& context, std::string_view format);

}  // namespace mg::data
