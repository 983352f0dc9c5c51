#include "datasets/numpy_dtype.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <type_traits>

#include "core/error.h"
#include "core/float16.h"

namespace mg::data {
namespace {

// Element i of the payload as the unsigned integer of its bytes, in the machine's order.
template <typename Bits>
Bits element_bits(const std::uint8_t* data, std::int64_t i, bool big_endian) {
  std::uint8_t raw[sizeof(Bits)];
  std::memcpy(raw, data + i * sizeof(Bits), sizeof(Bits));
  if (big_endian != (std::endian::native == std::endian::big))
    std::reverse(raw, raw + sizeof(Bits));
  return std::bit_cast<Bits>(raw);
}

template <typename Stored, typename Loaded>
void decode(const std::uint8_t* data, const NumpyElementType& type, const Tensor& out) {
  using Bits = std::conditional_t<
      sizeof(Stored) == 1, std::uint8_t,
      std::conditional_t<sizeof(Stored) == 2, std::uint16_t,
                         std::conditional_t<sizeof(Stored) == 4, std::uint32_t, std::uint64_t>>>;
  auto* values = out.data_ptr<Loaded>();
  for (std::int64_t i = 0; i < out.numel(); ++i) {
    const Bits bits = element_bits<Bits>(data, i, type.big_endian);
    if constexpr (std::is_same_v<Stored, std::uint16_t> && std::is_same_v<Loaded, float>) {
      values[i] = half_to_float(bits);  // f2
    } else {
      values[i] = static_cast<Loaded>(std::bit_cast<Stored>(bits));
    }
  }
}

}  // namespace

DType NumpyElementType::loaded_dtype() const {
  switch (kind) {
    case 'f':
      return itemsize == 8 ? kFloat64 : kFloat32;
    case 'u':
      return kUInt8;
    case 'b':
      return kBool;
    default:
      return kInt64;
  }
}

NumpyElementType parse_numpy_descr(std::string_view descr, const std::string& context,
                                   std::string_view format) {
  const auto unsupported = [&](const std::string& why) {
    return Error(str(context, ": unsupported ", format, " dtype '", descr, "': ", why,
                     " (supported: f2 f4 f8 u1 b1 i1 i2 i4 i8, byte order '<', '|' or '>')"));
  };
  if (descr.size() != 3) throw unsupported("not a simple numeric dtype");
  const char order = descr[0], kind = descr[1], size = descr[2];
  if (order == '=') throw unsupported("native byte order depends on the writing machine");
  if (order != '<' && order != '>' && order != '|') throw unsupported("unknown byte order");
  static constexpr std::string_view kKnown[] = {"f2", "f4", "f8", "u1", "b1",
                                                "i1", "i2", "i4", "i8"};
  if (std::find(std::begin(kKnown), std::end(kKnown), descr.substr(1)) == std::end(kKnown)) {
    throw unsupported("unknown type code");
  }
  return {kind, static_cast<std::size_t>(size - '0'), order == '>'};
}

std::optional<std::uint64_t> numpy_payload_size(const Shape& shape, std::size_t itemsize) {
  // Empty arrays still need the product of their other dimensions to fit: numpy's strides
  // multiply them.
  std::int64_t nonzero_product = 1;
  bool empty_array = false;
  for (std::int64_t dim : shape) {
    if (dim == 0) {
      empty_array = true;
    } else if (__builtin_mul_overflow(nonzero_product, dim, &nonzero_product)) {
      return std::nullopt;
    }
  }
  if (empty_array) return 0;
  std::uint64_t bytes = 0;
  if (__builtin_mul_overflow(static_cast<std::uint64_t>(nonzero_product), itemsize, &bytes)) {
    return std::nullopt;
  }
  return bytes;
}

void decode_numpy_elements(const std::uint8_t* data, const NumpyElementType& type,
                           const Tensor& out, const std::string& context, std::string_view format) {
  switch (type.kind) {
    case 'f':
      if (type.itemsize == 2) return decode<std::uint16_t, float>(data, type, out);
      if (type.itemsize == 4) return decode<float, float>(data, type, out);
      return decode<double, double>(data, type, out);
    case 'u':
      if (out.numel() > 0) std::memcpy(out.raw_data(), data, out.numel());
      return;
    case 'b': {
      const auto* bad = std::find_if(data, data + out.numel(), [](auto b) { return b > 1; });
      MG_CHECK(bad == data + out.numel(), context, ": ", format, " bool element ", bad - data,
               " is ", int(*bad), ", not 0 or 1");
      if (out.numel() > 0) std::memcpy(out.raw_data(), data, out.numel());
      return;
    }
    default:
      if (type.itemsize == 1) return decode<std::int8_t, std::int64_t>(data, type, out);
      if (type.itemsize == 2) return decode<std::int16_t, std::int64_t>(data, type, out);
      if (type.itemsize == 4) return decode<std::int32_t, std::int64_t>(data, type, out);
      return decode<std::int64_t, std::int64_t>(data, type, out);
  }
}

}  // namespace mg::data
