#pragma once

#include <cstdint>
#include <string>
#include <vector>

// Reading whole files, for the format readers: one place that turns a missing or unreadable file
// into an mg::Error naming it.
namespace mg::data {

// The bytes of the file at `path`; throws mg::Error naming the path and the reason (missing,
// not a regular file, unreadable).
std::vector<std::uint8_t> read_file_bytes(const std::string& path);

}  // namespace mg::data
