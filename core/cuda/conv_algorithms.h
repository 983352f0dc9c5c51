#pragma once

// What the CUDA convolution remembers between calls, for tests (no CUDA headers).

#include <cstddef>

namespace mg::cuda {

// Number of cuDNN algorithm choices cached so far, one per (direction, dtype, TF32 setting,
// device, shapes, stride, padding, dilation, groups); 0 without CUDA.
std::size_t cached_conv_algorithms();

}  // namespace mg::cuda
