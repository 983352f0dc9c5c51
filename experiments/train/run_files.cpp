#include "experiments/train/run_files.h"

#include <algorithm>
#include <cstdio>

#include "datasets/file_bytes.h"

namespace mg::train {
namespace {

// Columns on a terminal: one per code point ("±" is two bytes).
std::size_t display_width(const std::string& text) {
  return static_cast<std::size_t>(
      std::count_if(text.begin(), text.end(), [](char c) { return (c & 0xC0) != 0x80; }));
}

}  // namespace

Json read_json_file(const std::string& path) {
  const std::vector<std::uint8_t> bytes = data::read_file_bytes(path);
  return Json::parse(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()),
                     path);
}

std::vector<Json> read_json_lines(const std::string& path) {
  const std::vector<std::uint8_t> bytes = data::read_file_bytes(path);
  std::vector<Json> lines;
  for (std::string_view line : data::text_lines(bytes))
    if (!line.empty()) lines.push_back(Json::parse(line, path));
  return lines;
}

void write_text_file(const std::string& path, const std::string& text) {
  data::write_file_bytes(path, {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()});
}

std::string fixed(double value, int digits) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.*f", digits, value);
  return buffer;
}

std::string table_text(const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::size_t> widths;
  for (const auto& row : rows) {
    widths.resize(std::max(widths.size(), row.size()), 0);
    for (std::size_t c = 0; c < row.size(); ++c)
      widths[c] = std::max(widths[c], display_width(row[c]));
  }
  std::string text;
  for (const auto& row : rows) {
    std::string line;
    for (std::size_t c = 0; c < row.size(); ++c) {
      const std::string pad(widths[c] - display_width(row[c]), ' ');
      line += c == 0 ? row[c] + pad : "  " + pad + row[c];
    }
    text += line + "\n";
  }
  return text;
}

std::string table_markdown(const std::vector<std::vector<std::string>>& rows) {
  std::string text;
  for (std::size_t r = 0; r < rows.size(); ++r) {
    std::string line = "|";
    for (const std::string& cell : rows[r]) line += " " + cell + " |";
    text += line + "\n";
    if (r == 0) {
      std::string rule = "|---|";
      for (std::size_t c = 1; c < rows[r].size(); ++c) rule += "---:|";
      text += rule + "\n";
    }
  }
  return text;
}

}  // namespace mg::train
