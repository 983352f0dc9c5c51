#include "datasets/jpeg_check.h"

#include "core/error.h"

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

}  // namespace mg::data
