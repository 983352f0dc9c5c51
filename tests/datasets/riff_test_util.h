#pragma once

#include <cstdint>
#include <string>

// Building RIFF files (WAV, AVI) byte by byte in tests.
namespace mg::data::testing {

// `value` as `size` little-endian bytes.
inline std::string le(std::uint32_t value, int size) {
  std::string out;
  for (int i = 0; i < size; ++i) out += char((value >> (8 * i)) & 0xff);
  return out;
}

// A RIFF chunk: id, little-endian size, body, padded to an even length.
inline std::string chunk(const std::string& id, const std::string& body) {
  return id + le(static_cast<std::uint32_t>(body.size()), 4) + body +
         (body.size() % 2 ? std::string(1, '\0') : "");
}

}  // namespace mg::data::testing
