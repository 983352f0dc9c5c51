#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "core/tensor.h"

// The numpy .npy format, versions 1, 2 and 3: the magic "\x93NUMPY", a version, a little-endian
// header length (2 bytes in v1, 4 in v2/v3), a Python dict literal
// {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), } padded with spaces and ending in a
// newline, then the raw elements.
//
// dtypes read, and the maskgrad dtype each becomes: see numpy_dtype.h (f2/f4 -> float32,
// f8 -> float64, u1 -> uint8, b1 -> bool, i1..i8 -> int64). Byte order '<' or '|' as numpy writes
// them on every common machine, and '>' (byte-swapped on reading, as numpy itself does); '=' is
// rejected because it depends on the writer's machine.
// C order only: fortran_order True is an error, as are object and structured dtypes.
namespace mg::data {

// Parses a whole .npy file held in memory into a CPU tensor; `source_name` (a path, or
// "<bytes>") starts every error message, followed by what is wrong.
Tensor parse_npy(std::span<const std::uint8_t> bytes, const std::string& source_name);

// read_file_bytes + parse_npy.
Tensor read_npy(const std::string& path);

// The .npy bytes of `tensor` (any device or strides) as numpy >= 1.14 writes them: version 1
// (version 2 when the header does not fit in 65535 bytes), the preamble padded with spaces to a
// multiple of 64 bytes, descr '<f4', '<f8', '|u1', '<i8' or '|b1'.
std::vector<std::uint8_t> npy_bytes(const Tensor& tensor);

// Writes npy_bytes(tensor) to `path`; throws mg::Error naming the path when that fails.
void write_npy(const std::string& path, const Tensor& tensor);

}  // namespace mg::data
