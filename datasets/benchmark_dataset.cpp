#include "datasets/benchmark_dataset.h"

#include <filesystem>
#include <system_error>

#include "core/error.h"

namespace mg::data {

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
  return get_for_epoch(index, epoch());
}

Sample BenchmarkDataset::get_for_epoch(std::int64_t index, std::int64_t epoch) const {
  check_index(index);
  Generator generator(sample_seed(seed_, epoch, index));
  return load(index, generator);
}

std::string BenchmarkDataset::source(std::int64_t index) const {
  check_index(index);
  return sources_[static_cast<std::size_t>(index)];
}

std::int64_t BenchmarkDataset::label(std::int64_t index) const {
  check_index(index);
  return labels_[static_cast<std::size_t>(index)];
}

void BenchmarkDataset::check_index(std::int64_t index) const {
  MG_CHECK(index >= 0 && index < size(), "dataset: index ", index, " out of range for ", size(),
           " samples");
}

}  // namespace mg::data
