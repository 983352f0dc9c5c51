#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

// Reading the integers and four-character codes of binary file formats (RIFF, PNG, .npy,
// pickle) from bytes the caller has bounds-checked.
namespace mg::data {

// The unsigned integer stored least significant byte first in at[0 .. size), size <= 8.
inline std::uint64_t load_le(const std::uint8_t* at, std::size_t size) {
  std::uint64_t value = 0;
  for (std::size_t i = size; i-- > 0;) value = value << 8 | at[i];
  return value;
}

// The 32-bit unsigned integer stored most significant byte first at at[0 .. 4).
inline std::uint32_t load_be32(const std::uint8_t* at) {
  return std::uint32_t(at[0]) << 24 | std::uint32_t(at[1]) << 16 | std::uint32_t(at[2]) << 8 |
         at[3];
}

// Whether at[0 .. 4) spells `code` (a RIFF chunk id, a PNG chunk type).
inline bool is_fourcc(const std::uint8_t* at, std::string_view code) {
  return std::memcmp(at, code.data(), 4) == 0;
}

// at[0 .. 4) quoted for a message, non-printable bytes as '?'.
inline std::string quoted_fourcc(const std::uint8_t* at) {
  std::string code = "'";
  for (int i = 0; i < 4; ++i) code += at[i] >= 0x20 && at[i] < 0x7f ? char(at[i]) : '?';
  return code + "'";
}

}  // namespace mg::data
