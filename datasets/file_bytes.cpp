#include "datasets/file_bytes.h"

#include <unistd.h>

#include <atomic>
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

void write_file_bytes(const std::string& path, std::span<const std::uint8_t> bytes) {
  // Unique among the processes and threads that may write the same target at once.
  static std::atomic<std::uint64_t> counter{0};
  const std::string temporary =
      path + ".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(counter++);
  std::error_code ignored;
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    MG_CHECK(out.good(), path, ": cannot create ", temporary, " (", std::strerror(errno), ")");
    out.write(reinterpret_cast<const char*>(bytes.data()),
              static_cast<std::streamsize>(bytes.size()));
    out.close();
    if (!out.good()) {
      const std::string reason = std::strerror(errno);
      std::filesystem::remove(temporary, ignored);
      throw Error(
          str(path, ": writing ", bytes.size(), " bytes to ", temporary, " failed (", reason, ")"));
    }
  }
  std::error_code error;
  std::filesystem::rename(temporary, path, error);
  if (error) {
    std::filesystem::remove(temporary, ignored);
    throw Error(str(path, ": cannot rename ", temporary, " to it (", error.message(), ")"));
  }
}

std::vector<std::string_view> text_lines(std::span<const std::uint8_t> bytes) {
  std::string_view text(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);
  std::vector<std::string_view> lines;
  while (!text.empty()) {
    const std::size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
    if (line.ends_with('\r')) line.remove_suffix(1);
    lines.push_back(line);
  }
  return lines;
}

}  // namespace mg::data
