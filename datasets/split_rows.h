#pragma once

#include <charconv>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "datasets/benchmark_dataset.h"

// How the split-file readers of the benchmark loaders treat a malformed line: an mg::Error
// "<file>:<line>: what", or, with skip_bad, the line left out and noted.
namespace mg::data {

class BadLines {
 public:
  // `dropped` may be null when skip_bad is false.
  BadLines(bool skip_bad, std::vector<DroppedSample>* dropped)
      : skip_bad_(skip_bad), dropped_(dropped) {
    MG_CHECK(!skip_bad || dropped != nullptr, "BadLines: skip_bad needs a list to note lines in");
  }
  // Throws "<where>: <what>", or notes the line when skipping.
  void report(const std::string& where, const std::string& what) const {
    if (!skip_bad_) throw Error(where + ": " + what);
    dropped_->push_back({where, what});
  }
  void report(const std::string& path, std::int64_t line, const std::string& what) const {
    report(str(path, ":", line), what);
  }

 private:
  bool skip_bad_;
  std::vector<DroppedSample>* dropped_;
};

// A whole field that is a decimal integer (optional '-'), or nothing.
inline std::optional<std::int64_t> parse_integer(std::string_view text) {
  std::int64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

}  // namespace mg::data
