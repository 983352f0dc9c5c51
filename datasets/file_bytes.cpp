#include "datasets/file_bytes.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "core/error.h"

namespace mg::data {

std::vector<std::uint8_t> read_file_bytes(const std::string& path) {
  std::error_code error;
  const auto status = std::filesystem::status(path, error);
  MG_CHECK(std::filesystem::exists(status), path, ": no such file");
  MG_CHECK(std::filesystem::is_regular_file(status), path, ": not a regular file");
  std::ifstream in(path, std::ios::binary);
  MG_CHECK(in.good(), path, ": cannot open (", std::strerror(errno), ")");
  in.seekg(0, std::ios::end);
  const std::streamoff size = in.tellg();
  MG_CHECK(size >= 0, path, ": cannot read its size");
  in.seekg(0, std::ios::beg);
  std::vector<std::uint8_t> bytes(static_cast<std::size_t>(size));
  if (size > 0) in.read(reinterpret_cast<char*>(bytes.data()), size);
  MG_CHECK(in.good() || (size == 0 && !in.bad()), path, ": read failed after ", in.gcount(), " of ",
           size, " bytes");
  return bytes;
}

}  // namespace mg::data
