#include "datasets/seeds.h"

#include "core/generator.h"

namespace mg::data {

namespace {
std::uint64_t enciphered(std::uint64_t counter, std::uint64_t key) {
  const auto words = philox4x32(counter, key);
  return static_cast<std::uint64_t>(words[0]) | static_cast<std::uint64_t>(words[1]) << 32;
}
}  // namespace

std::uint64_t epoch_seed(std::uint64_t seed, std::int64_t epoch) {
  return enciphered(static_cast<std::uint64_t>(epoch), seed);
}

std::uint64_t sample_seed(std::uint64_t seed, std::int64_t epoch, std::int64_t index) {
  return enciphered(static_cast<std::uint64_t>(index), epoch_seed(seed, epoch));
}

}  // namespace mg::data
