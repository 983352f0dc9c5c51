#pragma once

#include <array>
#include <cstdint>
#include <mutex>

#include "core/device.h"

namespace mg {

// Where a random op draws from: Philox4x32-10 with key `seed`, counters starting at `offset`.
// Element i of a random tensor depends only on (seed, offset, i), so results do not depend on
// the number of threads or on the device.
struct PhiloxState {
  std::uint64_t seed = 0;
  std::uint64_t offset = 0;
};

// Philox4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3", SC 2011): four
// 32-bit random words for a 64-bit counter under a 64-bit key.
constexpr std::array<std::uint32_t, 4> philox4x32(std::uint64_t counter, std::uint64_t key) {
  constexpr std::uint32_t kMul0 = 0xD2511F53u, kMul1 = 0xCD9E8D57u;
  constexpr std::uint32_t kWeyl0 = 0x9E3779B9u, kWeyl1 = 0xBB67AE85u;
  std::uint32_t c0 = static_cast<std::uint32_t>(counter),
                c1 = static_cast<std::uint32_t>(counter >> 32);
  std::uint32_t c2 = 0, c3 = 0;
  std::uint32_t k0 = static_cast<std::uint32_t>(key), k1 = static_cast<std::uint32_t>(key >> 32);
  for (int round = 0; round < 10; ++round) {
    const std::uint64_t p0 = static_cast<std::uint64_t>(kMul0) * c0;
    const std::uint64_t p1 = static_cast<std::uint64_t>(kMul1) * c2;
    const std::uint32_t n0 = static_cast<std::uint32_t>(p1 >> 32) ^ c1 ^ k0;
    const std::uint32_t n2 = static_cast<std::uint32_t>(p0 >> 32) ^ c3 ^ k1;
    c1 = static_cast<std::uint32_t>(p1);
    c3 = static_cast<std::uint32_t>(p0);
    c0 = n0;
    c2 = n2;
    k0 += kWeyl0;
    k1 += kWeyl1;
  }
  return {c0, c1, c2, c3};
}

// A seeded stream of Philox counters. Each random op reserves the counters it needs, so two
// runs with the same seed draw the same numbers in the same order.
class Generator {
 public:
  explicit Generator(std::uint64_t seed = 0) : seed_(seed) {}

  void manual_seed(std::uint64_t seed);
  std::uint64_t seed() const;
  // Counters already used: with the seed, the whole state (what checkpoints save).
  std::uint64_t offset() const;
  void set_offset(std::uint64_t offset);
  // Reserves `blocks` consecutive counters and returns where they start.
  PhiloxState reserve(std::uint64_t blocks);

 private:
  mutable std::mutex mutex_;
  std::uint64_t seed_;
  std::uint64_t offset_ = 0;
};

// The generator random ops use when none is passed; one per device.
Generator& default_generator(Device device = Device::cpu());
// Seeds the default generators of every device.
void manual_seed(std::uint64_t seed);

}  // namespace mg
