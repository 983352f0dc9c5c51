#include "datasets/stb_guards.h"

#include <cstring>

#include "core/error.h"
#include "datasets/byte_order.h"

namespace mg::data {
namespace {

constexpr std::uint8_t kDht = 0xC4, kSos = 0xDA, kEoi = 0xD9, kTem = 0x01;

bool is_restart(std::uint8_t marker) {
  return marker >= 0xD0 && marker <= 0xD7;
}

std::string hex_marker(std::uint8_t marker) {
  constexpr char kDigits[] = "0123456789ABCDEF";
  return std::string("0xFF") + kDigits[marker >> 4] + kDigits[marker & 15];
}

// The tables of one DHT segment (its bytes after the length field).
void check_huffman_tables(std::span<const std::uint8_t> tables, std::size_t offset,
                          const std::string& source) {
  std::size_t at = 0;
  while (at < tables.size()) {
    const std::size_t table_at = offset + at;
    MG_CHECK(tables.size() - at >= 17, source, ": corrupt JPEG: Huffman table at byte ", table_at,
             " is cut off by the end of its DHT segment");
    const int table_class = tables[at] >> 4, id = tables[at] & 15;
    MG_CHECK(table_class <= 1 && id <= 3, source, ": corrupt JPEG: Huffman table at byte ",
             table_at, " has class ", table_class, " and id ", id, " (expected 0..1 and 0..3)");
    std::size_t codes = 0;
    for (std::size_t length = 1; length <= 16; ++length) codes += tables[at + length];
    MG_CHECK(codes <= 256, source, ": corrupt JPEG: Huffman table at byte ", table_at, " declares ",
             codes, " codes (at most 256)");
    MG_CHECK(codes <= tables.size() - at - 17, source, ": corrupt JPEG: Huffman table at byte ",
             table_at, " declares ", codes, " codes but its DHT segment holds ",
             tables.size() - at - 17);
    at += 17 + codes;
  }
}

}  // namespace

void check_jpeg_segments(std::span<const std::uint8_t> bytes, const std::string& source_name) {
  const std::string& source = source_name;
  const std::size_t size = bytes.size();
  MG_CHECK(size >= 2 && bytes[0] == 0xFF && bytes[1] == 0xD8, source,
           ": not a JPEG file (no start-of-image marker 0xFFD8)");
  std::size_t at = 2;
  bool in_scan = false;
  while (true) {
    // The next marker: 0xFF, optional 0xFF fill bytes, then the marker byte. Inside
    // entropy-coded data 0xFF00 is a stuffed data byte and RSTn separates restart intervals.
    while (at < size && bytes[at] != 0xFF) ++at;
    while (at < size && bytes[at] == 0xFF) ++at;
    MG_CHECK(at < size, source, ": truncated JPEG: no end-of-image marker in its ", size, " bytes");
    const std::uint8_t marker = bytes[at];
    const std::size_t marker_at = at - 1;
    ++at;
    if (in_scan && (marker == 0x00 || is_restart(marker))) continue;
    if (marker == kEoi) return;
    if (marker == 0x00 || marker == kTem || is_restart(marker)) continue;  // no length field
    MG_CHECK(size - at >= 2, source, ": truncated JPEG: segment ", hex_marker(marker), " at byte ",
             marker_at, " has no length");
    const std::size_t length = std::size_t(bytes[at]) << 8 | bytes[at + 1];
    MG_CHECK(length >= 2, source, ": corrupt JPEG: segment ", hex_marker(marker), " at byte ",
             marker_at, " has length ", length, " (at least 2)");
    MG_CHECK(length <= size - at, source, ": truncated JPEG: segment ", hex_marker(marker),
             " at byte ", marker_at, " has ", length, " bytes, ", size - at, " remain");
    if (marker == kDht) check_huffman_tables(bytes.subspan(at + 2, length - 2), at + 2, source);
    at += length;
    in_scan = marker == kSos;
  }
}

void check_png_chunks(std::span<const std::uint8_t> bytes, const std::string& source_name) {
  const std::string& source = source_name;
  const std::size_t size = bytes.size();
  std::size_t at = 8;  // after the signature
  bool seen_idat = false;
  while (true) {
    MG_CHECK(size - at >= 8, source, ": truncated PNG: no IEND chunk in its ", size, " bytes");
    const std::uint8_t* type = bytes.data() + at + 4;
    const std::size_t length = load_be32(bytes.data() + at);
    if (std::memcmp(type, "IEND", 4) == 0) return;
    MG_CHECK(length <= size - at - 8 && size - at - 8 - length >= 4, source,
             ": truncated PNG: chunk ", quoted_fourcc(type), " at byte ", at, " has ", length,
             " bytes and a CRC, ", size - at - 8, " remain");
    const bool critical = (type[0] & 0x20) == 0;
    MG_CHECK(!critical || std::memcmp(type, "IHDR", 4) == 0 || std::memcmp(type, "PLTE", 4) == 0 ||
                 std::memcmp(type, "IDAT", 4) == 0 || std::memcmp(type, "CgBI", 4) == 0,
             source, ": unsupported PNG: unknown critical chunk ", quoted_fourcc(type), " at byte ",
             at);
    if (std::memcmp(type, "IDAT", 4) == 0) {
      MG_CHECK(seen_idat || length > 0, source,
               ": unsupported PNG: empty first IDAT chunk at byte ", at);
      seen_idat = true;
    }
    at += 12 + length;
  }
}

void check_gif_trailer(std::span<const std::uint8_t> bytes, const std::string& source_name) {
  MG_CHECK(!bytes.empty() && bytes.back() == 0x3B, source_name,
           ": truncated GIF: it does not end with the trailer byte 0x3B");
}

void check_bmp_size(std::span<const std::uint8_t> bytes, std::int64_t width, std::int64_t height,
                    const std::string& source_name) {
  const std::string& source = source_name;
  MG_CHECK(bytes.size() >= 30, source, ": truncated BMP header (", bytes.size(), " bytes)");
  const std::int64_t pixels_at = load_le(bytes.data() + 10, 4);
  const std::uint32_t header_size = load_le(bytes.data() + 14, 4);
  const std::int64_t bits = load_le(bytes.data() + (header_size == 12 ? 24 : 28), 2);
  const std::int64_t row_bytes = (width * bits + 31) / 32 * 4;  // rows pad to 4 bytes
  const std::int64_t needed = pixels_at + row_bytes * height;
  MG_CHECK(needed <= static_cast<std::int64_t>(bytes.size()), source, ": truncated BMP: ", width,
           " x ", height, " pixels of ", bits, " bits from byte ", pixels_at, " need ", needed,
           " bytes, the file has ", bytes.size());
}

}  // namespace mg::data
