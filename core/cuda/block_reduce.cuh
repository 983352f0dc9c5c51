#pragma once

// Block-wide sums for per-channel reductions (batch norm's statistics, convolution's bias
// gradient). Sums are kept in double, as the CPU backend does, so float32 statistics do not
// drift with the number of elements.

#include "core/cuda/launch.cuh"

namespace mg::cuda {

// The sum of `value` over the threads of a block of kThreadsPerBlock threads (a power of two);
// every thread gets it. All threads of the block must call it.
__device__ inline double block_sum(double value) {
  __shared__ double partial[kThreadsPerBlock];
  partial[threadIdx.x] = value;
  __syncthreads();
  for (int width = kThreadsPerBlock / 2; width > 0; width /= 2) {
    if (threadIdx.x < width) partial[threadIdx.x] += partial[threadIdx.x + width];
    __syncthreads();
  }
  const double total = partial[0];
  __syncthreads();  // the next call may overwrite `partial`
  return total;
}

// [N, C, S] seen per channel: channel c holds the N·S elements (n·C + c)·S + s.
struct ChannelLayout {
  std::int64_t batch, channels, spatial;

  __host__ __device__ std::int64_t count() const { return batch * spatial; }
  // Offset of the j-th element (j < count()) of channel c.
  __device__ std::int64_t offset(std::int64_t c, std::int64_t j) const {
    return (j / spatial * channels + c) * spatial + j % spatial;
  }
};

// x [N, C, *spatial] seen per channel.
inline ChannelLayout channel_layout(const Tensor& x) {
  std::int64_t spatial = 1;
  for (std::int64_t d = 2; d < x.dim(); ++d) spatial *= x.size(d);
  return {x.size(0), x.size(1), spatial};
}

}  // namespace mg::cuda
