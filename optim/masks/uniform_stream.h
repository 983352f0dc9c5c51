#pragma once

#include <cstdint>

#include "core/error.h"
#include "core/generator.h"

namespace mg::optim::detail {

// `count` uniforms on [0, 1) (53 bits each) from `generator`: the counters are reserved up front
// (two uniforms per Philox counter), so a sample's draws depend only on the seed and on how many
// draws came before it, as for the tensor random ops.
class UniformStream {
 public:
  UniformStream(Generator& generator, std::int64_t count)
      : count_(count), state_(generator.reserve(static_cast<std::uint64_t>((count + 1) / 2))) {}

  double next() {
    MG_CHECK(drawn_ < count_, "UniformStream: drew more than the ", count_, " reserved uniforms");
    if (drawn_ % 2 == 0)
      words_ = philox4x32(state_.offset + static_cast<std::uint64_t>(drawn_ / 2), state_.seed);
    const int first = drawn_ % 2 == 0 ? 0 : 2;
    ++drawn_;
    const std::uint64_t bits =
        (static_cast<std::uint64_t>(words_[first]) << 32 | words_[first + 1]) >> 11;
    return static_cast<double>(bits) * 0x1.0p-53;
  }

 private:
  std::int64_t count_;
  std::int64_t drawn_ = 0;
  PhiloxState state_;
  std::array<std::uint32_t, 4> words_{};
};

}  // namespace mg::optim::detail
