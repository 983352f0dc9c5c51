#pragma once

#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/tensor.h"

// The safetensors file format (huggingface): an 8-byte little-endian header length N, N bytes of
// JSON {name: {"dtype": "F32", "shape": [...], "data_offsets": [begin, end]}, ...,
// "__metadata__": {str: str}}, then the raw little-endian row-major data, offsets relative to
// the start of the data section.
//
// dtypes: F32, F64, I64, U8 and BOOL map to float32, float64, int64, uint8 and bool both ways.
// Loading also accepts F16 and BF16 (converted exactly to float32) and I8, I16, I32, U16, U32
// (converted to int64). Reading is as strict as the Rust reference implementation: the tensors
// must tile the data section exactly (no overlaps, gaps or trailing bytes). It also rejects BOOL
// bytes other than 0 and 1, which maskgrad's bool tensors cannot hold.
namespace mg {

struct SafetensorsFile {
  // In file order (by data offset), whatever order the header lists them in.
  std::vector<std::pair<std::string, Tensor>> tensors;
  // The "__metadata__" entry.
  std::map<std::string, std::string> metadata;

  // nullptr when absent.
  const Tensor* find(const std::string& name) const;
};

// Writes `tensors` (any device, any strides; names unique) in the given order. The file appears
// whole or not at all: it is written to `path` + ".tmp-<pid>", flushed and renamed over `path`.
// Throws mg::Error naming the path (and the OS error) on failure, leaving no temporary file.
void save_safetensors(const std::string& path,
                      const std::vector<std::pair<std::string, Tensor>>& tensors,
                      const std::map<std::string, std::string>& metadata = {});

// Reads a whole file into CPU tensors; errors name the path and, where one is at fault, the
// tensor.
SafetensorsFile load_safetensors(const std::string& path);

// The same for the bytes of a file already in memory; `source_name` starts error messages.
SafetensorsFile parse_safetensors(std::string_view bytes, const std::string& source_name);

}  // namespace mg
