#pragma once

#include <cstdint>
#include <span>
#include <string>

// A walk over a JPEG file's marker segments, run before stb_image sees the file (datasets/image.h).
//
// Why: stb_image 2.27 (Debian's libstb-dev) builds a Huffman table from a DHT segment without
// checking that its 16 code counts add up to at most 256, and then writes past its 257-entry
// arrays (found by the corrupt-input tests under UBSan). The walk finds every DHT segment
// stb_image could read and rejects such tables, and it turns truncated files into a clear error.
//
// The walk follows stb_image's reading closely enough that it sees every segment stb_image would
// process: segments with a length field are skipped by that length, bytes between segments are
// skipped up to the next 0xFF (stb_image tolerates that before the frame header), 0xFF fill
// bytes before a marker are allowed, and after a start-of-scan segment the entropy-coded data runs
// to the next marker that is not a stuffed 0xFF00 or a restart marker RST0..RST7. It ends at the
// first end-of-image marker; what follows (trailing data) is ignored, as stb_image does.
namespace mg::data {

// Throws mg::Error, starting with `source_name`, when `bytes` (a JPEG, starting with the SOI
// marker 0xFFD8) has no end-of-image marker, a segment longer than the bytes left, or a DHT
// segment whose tables are malformed (class > 1, id > 3, more than 256 codes, or more bytes than
// the segment holds).
void check_jpeg_segments(std::span<const std::uint8_t> bytes, const std::string& source_name);

}  // namespace mg::data
