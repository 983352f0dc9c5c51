#pragma once

#include <cstdint>
#include <span>
#include <string>

// Checks that run before stb_image 2.27 (Debian's libstb-dev) sees a file (datasets/image.h): they
// reject what stb_image would mishandle, each found by the corrupt-input tests or by fuzzing under
// AddressSanitizer, UndefinedBehaviorSanitizer and ThreadSanitizer, and they turn truncated files
// into clear errors. Each throws mg::Error starting with `source_name`.
//
// Not guarded (found by fuzzing 6 million mutated JPEGs under ASan + UBSan): when a corrupt scan's
// entropy-coded data ends before its last block, stb_image keeps decoding on zero bits, its bit
// count goes negative, and stbi__grow_buffer_unsafe shifts a zero by 32 or more bits (UBSan:
// "shift exponent 36 is too large for 32-bit type"). The shifted value is zero, memory accesses
// stay in bounds (ASan found nothing), and the image decodes to garbage without an error. Only
// decoding the entropy-coded data here could tell such a scan in advance; stb_image 2.28 fixes it
// (it returns zeros once the data runs out). The tests' corrupt inputs do not reach it.
namespace mg::data {

// JPEG (starting with the SOI marker 0xFFD8). stb_image builds a Huffman table from a DHT segment
// without checking that its 16 code counts add up to at most 256, and then writes past its
// 257-entry arrays. This walk finds every DHT segment stb_image could read and rejects such
// tables (and tables of class > 1 or id > 3, or longer than their segment), and requires the
// end-of-image marker and every segment's length to fit the file.
//
// The walk follows stb_image's reading closely enough that it sees every segment stb_image would
// process: segments with a length field are skipped by that length (stb_image consumes exactly
// that or fails), bytes between segments are skipped up to the next 0xFF, 0xFF fill bytes before a
// marker are allowed, and after a start-of-scan segment the entropy-coded data runs to the next
// marker that is not a stuffed 0xFF00 or a restart marker RST0..RST7. It ends at the first
// end-of-image marker; trailing data is ignored, as stb_image does.
void check_jpeg_segments(std::span<const std::uint8_t> bytes, const std::string& source_name);

// PNG (starting with its 8-byte signature). stb_image reads chunks one after another until IEND,
// consuming exactly each chunk's length. Rejected here:
// - an unknown critical chunk (type starting with an upper-case letter other than IHDR, PLTE,
//   IDAT, IEND and Apple's CgBI): stb_image writes its name into a static buffer, a data race
//   when threads decode at once;
// - a chunk longer than the bytes left, or no IEND chunk (truncation): past the end stb_image
//   reads zeros, which make a chunk of type 0, an unknown critical chunk;
// - an empty first IDAT chunk: stb_image passes a null pointer to memcpy for it.
void check_png_chunks(std::span<const std::uint8_t> bytes, const std::string& source_name);

// GIF: it must end with the trailer byte 0x3B. stb_image returns the part of a truncated first
// frame it could decode; a missing trailer is the sign of a truncated file.
void check_gif_trailer(std::span<const std::uint8_t> bytes, const std::string& source_name);

// BMP of `width` × `height` pixels (from stbi_info, which has checked the header fields read here
// exist): its pixel rows must fit the file. stb_image decodes missing bytes as zeros.
void check_bmp_size(std::span<const std::uint8_t> bytes, std::int64_t width, std::int64_t height,
                    const std::string& source_name);

}  // namespace mg::data
