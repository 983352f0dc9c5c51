#pragma once

#include <cstdint>
#include <span>
#include <string>
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

}  // namespace mg::data
