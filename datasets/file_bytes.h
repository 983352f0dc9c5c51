#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

// Reading and writing whole files, for the format readers and writers: one place that turns a
// missing, unreadable or unwritable file into an mg::Error naming it.
namespace mg::data {

// The bytes of the file at `path`; throws mg::Error naming the path and the reason (missing,
// not a regular file, unreadable).
std::vector<std::uint8_t> read_file_bytes(const std::string& path);

// Writes `bytes` to a temporary file next to `path` and renames it over `path`, so that no reader
// ever sees a half-written file; on failure the temporary file is removed and mg::Error names the
// path and the reason.
void write_file_bytes(const std::string& path, std::span<const std::uint8_t> bytes);

// The lines of a text file's bytes, as views into them: a UTF-8 byte order mark dropped, split at
// '\n' with a '\r' before it removed (LF or CRLF ends); element i is line number i + 1, and a
// final line end adds no empty line.
std::vector<std::string_view> text_lines(std::span<const std::uint8_t> bytes);

}  // namespace mg::data
