#include "datasets/benchmark_dataset.h"

#include "core/error.h"

namespace mg::data {

std::uint64_t sample_seed(std::uint64_t seed, std::int64_t epoch, std::int64_t index) {
  const auto join = [](const std::array<std::uint32_t, 4>& words) {
    return static_cast<std::uint64_t>(words[0]) | static_cast<std::uint64_t>(words[1]) << 32;
  };
  const std::uint64_t epoch_key = join(philox4x32(static_cast<std::uint64_t>(epoch), seed));
  return join(philox4x32(static_cast<std::uint64_t>(index), epoch_key));
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
