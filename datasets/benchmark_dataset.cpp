#include "datasets/benchmark_dataset.h"

#include <filesystem>
#include <system_error>

#include "core/error.h"

namespace mg::data {

std::uint64_t sample_seed(std::uint64_t seed, std::int64_t epoch, std::int64_t index) {
  const auto join = [](const std::array<std::uint32_t, 4>& words) {
    return static_cast<std::uint64_t>(words[0]) | static_cast<std::uint64_t>(words[1]) << 32;
  };
  const std::uint64_t epoch_key = join(philox4x32(static_cast<std::uint64_t>(epoch), seed));
  return join(philox4x32(static_cast<std::uint64_t>(index), epoch_key));
}

std::string path_under(const std::string& root, const std::string& relative) {
  if (relative.starts_with('/') || root.empty()) return relative;
  return root.ends_with('/') ? root + relative : root + "/" + relative;
}

std::string split_file(const std::string& dataset, const std::string& root,
                       const std::string& split,
                       const std::map<std::string, std::string>& split_files,
                       const std::map<std::string, std::string>& defaults) {
  const std::map<std::string, std::string>& files = split_files.empty() ? defaults : split_files;
  const auto it = files.find(split);
  if (it != files.end()) return path_under(root, it->second);
  std::string known;
  for (const auto& [name, file] : files) known += (known.empty() ? "" : ", ") + name;
  throw Error(str(dataset, ": no split named '", split, "' (known: ", known, ")"));
}

bool file_present(const std::string& path, const std::string& where, MissingFilePolicy policy,
                  std::vector<DroppedSample>& dropped) {
  std::error_code error;
  if (std::filesystem::exists(path, error)) return true;
  MG_CHECK(policy != MissingFilePolicy::Error, path, ": missing (needed by ", where, ")");
  if (policy == MissingFilePolicy::Skip)
    dropped.push_back({path, "missing (needed by " + where + ")"});
  return false;
}

Sample BenchmarkDataset::get(std::int64_t index) const {
  MG_CHECK(index >= 0 && index < size(), "dataset: index ", index, " out of range for ", size(),
           " samples");
  Generator generator(sample_seed(seed_, epoch(), index));
  return load(index, generator);
}

std::string BenchmarkDataset::source(std::int64_t index) const {
  MG_CHECK(index >= 0 && index < size(), "dataset: index ", index, " out of range for ", size(),
           " samples");
  return sources_[static_cast<std::size_t>(index)];
}

}  // namespace mg::data
