#pragma once

// Launch geometry and strided addressing for elementwise-style kernels.

#include <cstdint>

#include "core/backend.h"
#include "core/tensor.h"

namespace mg::cuda {

constexpr int kThreadsPerBlock = 256;

// Blocks for a grid-stride loop over n items: enough to fill the GPU, few enough that each
// thread does several items when n is large.
inline unsigned int blocks_for(std::int64_t n) {
  const std::int64_t blocks = (n + kThreadsPerBlock - 1) / kThreadsPerBlock;
  return static_cast<unsigned int>(blocks < 1 ? 1 : (blocks > 65535 ? 65535 : blocks));
}

// Tensors of more dims than this are rejected by the CUDA kernels with an error.
constexpr int kMaxDims = 10;

// Maps the row-major linear index of an element to its offset (in elements) in a strided
// tensor; a contiguous tensor skips the divisions.
struct StridedIndexer {
  int ndim = 0;
  bool contiguous = true;
  std::int64_t sizes[kMaxDims] = {};
  std::int64_t strides[kMaxDims] = {};

  __host__ __device__ std::int64_t offset(std::int64_t linear) const {
    if (contiguous) return linear;
    std::int64_t result = 0;
    for (int d = ndim - 1; d >= 0; --d) {
      result += (linear % sizes[d]) * strides[d];
      linear /= sizes[d];
    }
    return result;
  }
};

// `t`'s indexer; throws mg::Error naming `op` when t has more than kMaxDims dims.
StridedIndexer make_indexer(const Tensor& t, const char* op);

}  // namespace mg::cuda
