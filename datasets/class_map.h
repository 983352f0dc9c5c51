#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

// Class names and their label indices 0 .. n-1.
namespace mg::data {

class ClassMap {
 public:
  ClassMap() = default;
  // The classes in this order; throws mg::Error on a repeated name.
  explicit ClassMap(std::vector<std::string> names);

  std::int64_t size() const { return static_cast<std::int64_t>(names_.size()); }
  const std::vector<std::string>& names() const { return names_; }
  std::optional<std::int64_t> find(const std::string& name) const;
  // The index of `name`, adding it as the next class when new (first-appearance order, as the
  // AMSS Kinetics-Sounds loader builds its map).
  std::int64_t add(const std::string& name);

 private:
  std::vector<std::string> names_;
  std::unordered_map<std::string, std::int64_t> index_;
};

// A class-list file: one class per non-empty line, its first token (up to the first space, tab
// or comma) the class name: "NEU", "ANG anger", "playing_drums,12". A UTF-8 byte order mark and
// CRLF are accepted. Throws mg::Error naming the file (and line, for a repeated class).
ClassMap read_class_list(const std::string& path);

}  // namespace mg::data
