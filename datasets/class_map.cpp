#include "datasets/class_map.h"

#include <string_view>
#include <utility>

#include "core/error.h"
#include "datasets/file_bytes.h"

namespace mg::data {

ClassMap::ClassMap(std::vector<std::string> names) {
  for (std::string& name : names) {
    MG_CHECK(!find(name), "ClassMap: class '", name, "' appears twice");
    add(name);
  }
}

std::optional<std::int64_t> ClassMap::find(const std::string& name) const {
  const auto it = index_.find(name);
  if (it == index_.end()) return std::nullopt;
  return it->second;
}

std::int64_t ClassMap::add(const std::string& name) {
  const auto [it, inserted] = index_.emplace(name, size());
  if (inserted) names_.push_back(name);
  return it->second;
}

ClassMap read_class_list(const std::string& path) {
  const std::vector<std::uint8_t> bytes = read_file_bytes(path);
  ClassMap classes;
  std::int64_t line_number = 0;
  for (std::string_view line : text_lines(bytes)) {
    ++line_number;
    const std::size_t start = line.find_first_not_of(" \t\r");
    if (start == std::string_view::npos) continue;
    line.remove_prefix(start);
    const std::string name(line.substr(0, line.find_first_of(" \t\r,")));
    MG_CHECK(!classes.find(name), path, ":", line_number, ": class '", name,
             "' is listed a second time");
    classes.add(name);
  }
  MG_CHECK(classes.size() > 0, path, ": no classes in the class-list file");
  return classes;
}

}  // namespace mg::data
