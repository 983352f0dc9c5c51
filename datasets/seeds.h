#pragma once

#include <cstdint>

// Seeds of the random streams the data pipeline derives from one user seed: each is the pair or
// triple enciphered with Philox, so that neighbouring epochs and samples get unrelated streams.
namespace mg::data {

// The seed of epoch `epoch`'s stream: the DataLoader's shuffled order.
std::uint64_t epoch_seed(std::uint64_t seed, std::int64_t epoch);

// The Generator seed of sample `index` in epoch `epoch`: a loader's random crops and flips.
std::uint64_t sample_seed(std::uint64_t seed, std::int64_t epoch, std::int64_t index);

}  // namespace mg::data
