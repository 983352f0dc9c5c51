#include "datasets/nvgesture.h"

#include <string_view>

#include "core/error.h"
#include "datasets/file_bytes.h"

namespace mg::data {
namespace {

std::vector<std::string_view> split_on(std::string_view text, char separator) {
  std::vector<std::string_view> parts;
  while (true) {
    const std::size_t end = text.find(separator);
    parts.push_back(text.substr(0, end));
    if (end == std::string_view::npos) return parts;
    text.remove_prefix(end + 1);
  }
}

std::string under_root(const std::string& root, std::string_view folder) {
  if (folder.starts_with('/')) return std::string(folder);
  if (folder.starts_with("./")) folder.remove_prefix(2);
  return root + "/" + std::string(folder);
}

}  // namespace

std::vector<NvGestureRow> read_nvgesture_list(const std::string& path, const std::string& root,
                                              std::int64_t num_classes, const BadLines& bad) {
  const std::vector<std::uint8_t> bytes = read_file_bytes(path);
  const std::string_view text(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  std::vector<NvGestureRow> out;
  const std::vector<std::string_view> lines = split_on(text, '\n');
  for (std::size_t l = 0; l < lines.size(); ++l) {
    std::string_view line = lines[l];
    if (line.ends_with('\r')) line.remove_suffix(1);
    if (line.find_first_not_of(' ') == std::string_view::npos) continue;
    const auto line_number = static_cast<std::int64_t>(l + 1);
    NvGestureRow row;
    row.line_index = line_number - 1;
    row.where = str(path, ":", line_number);
    bool has_label = false;
    std::string problem;
    for (const std::string_view token : split_on(line, ' ')) {
      if (token.empty()) continue;
      const std::vector<std::string_view> parts = split_on(token, ':');
      const std::string_view key = parts[0];
      if (key == "path" && parts.size() == 2 && !parts[1].empty()) {
        row.folder = under_root(root, parts[1]);
      } else if (key == "label" && parts.size() == 2) {
        const std::optional<std::int64_t> label = parse_integer(parts[1]);
        if (!label || *label < 1 || *label > num_classes) {
          problem = str("label '", parts[1], "' is not in 1..", num_classes);
        } else {
          row.label = *label - 1;
          has_label = true;
        }
      } else if (key == "color" || key == "depth" || key == "duo_left") {
        const auto start = parts.size() == 4 ? parse_integer(parts[2]) : std::nullopt;
        const auto end = parts.size() == 4 ? parse_integer(parts[3]) : std::nullopt;
        if (!start || !end || parts[1].empty() || *start < 0 || *end <= *start) {
          problem = str("bad sensor token '", token, "' (expected <sensor>:<stem>:<start>:<end>)");
        } else {
          row.sensors[std::string(key)] = {std::string(parts[1]), *start, *end};
        }
      }
    }
    if (problem.empty() && (row.folder.empty() || !has_label || !row.sensors.contains("color") ||
                            !row.sensors.contains("depth"))) {
      problem = "expected path:, color:, depth: and label: tokens";
    }
    if (!problem.empty()) {
      bad.report(row.where, problem);
      continue;
    }
    out.push_back(std::move(row));
  }
  return out;
}

}  // namespace mg::data
