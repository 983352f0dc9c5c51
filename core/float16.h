#pragma once

#include <cstdint>

namespace mg {

// An IEEE 754 binary16 value (its bits) as float32: exact, subnormals, infinities and NaN
// included. Readers of half-precision files (safetensors F16, .npy f2) convert with it.
float half_to_float(std::uint16_t half);

}  // namespace mg
