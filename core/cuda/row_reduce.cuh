#pragma once

// Reductions of one row by a warp or by a whole block, for the kernels that give each row of a
// [rows, n] problem to a group of threads (softmax, layer norm, loss sums).

#include <cmath>
#include <cstdint>

#include "core/cuda/launch.cuh"

namespace mg::cuda {

constexpr int kWarpSize = 32;

struct SumOp {
  template <typename T>
  __device__ T operator()(T a, T b) const {
    return a + b;
  }
};

// As the CPU kernels compare: NaN never wins, so a row with a NaN still ends in NaN through
// exp(NaN - max).
struct MaxOp {
  template <typename T>
  __device__ T operator()(T a, T b) const {
    return b > a ? b : a;
  }
};

template <typename T, typename Op>
__device__ T warp_reduce(T value, Op op) {
  for (int offset = kWarpSize / 2; offset > 0; offset /= 2)
    value = op(value, __shfl_xor_sync(0xffffffffu, value, offset));
  return value;
}

// The reduction over the `Threads` threads that share a row, returned to all of them: a warp
// (Threads == 32) reduces with shuffles alone; a block (blockDim.x == Threads, a multiple of 32)
// goes through shared memory, with a barrier before and after so that consecutive calls may
// reuse it. Every thread of the group must call it.
template <int Threads, typename T, typename Op>
__device__ T group_reduce(T value, Op op) {
  value = warp_reduce(value, op);
  if constexpr (Threads == kWarpSize) {
    return value;
  } else {
    static_assert(Threads % kWarpSize == 0 && Threads <= 1024);
    __shared__ double storage[kWarpSize];  // double: room for any T used here
    T* partial = reinterpret_cast<T*>(storage);
    const int lane = threadIdx.x % kWarpSize, warp = threadIdx.x / kWarpSize;
    __syncthreads();
    if (lane == 0) partial[warp] = value;
    __syncthreads();
    T total = partial[0];
    for (int w = 1; w < Threads / kWarpSize; ++w) total = op(total, partial[w]);
    __syncthreads();
    return total;
  }
}

// Device math by overload, so kernels templated on T call the float or double function.
__device__ inline float device_exp(float x) {
  return ::expf(x);
}
__device__ inline double device_exp(double x) {
  return ::exp(x);
}
__device__ inline float device_log(float x) {
  return ::logf(x);
}
__device__ inline double device_log(double x) {
  return ::log(x);
}
__device__ inline float device_sqrt(float x) {
  return ::sqrtf(x);
}
__device__ inline double device_sqrt(double x) {
  return ::sqrt(x);
}

template <typename T>
__device__ T negative_infinity() {
  return -static_cast<T>(INFINITY);
}

// Rows up to this long go to a warp each, longer ones to a block of kThreadsPerBlock.
constexpr std::int64_t kWarpRowLimit = 1024;
constexpr int kRowsPerWarpBlock = kThreadsPerBlock / kWarpSize;

// The group of `Threads` threads that owns a row: its first row, how many rows the grid covers
// per step, and this thread's place in the group.
template <int Threads>
struct RowGroup {
  std::int64_t first, step;
  int lane;
  __device__ RowGroup() {
    constexpr int groups_per_block = kThreadsPerBlock / Threads;
    first = static_cast<std::int64_t>(blockIdx.x) * groups_per_block + threadIdx.x / Threads;
    step = static_cast<std::int64_t>(gridDim.x) * groups_per_block;
    lane = static_cast<int>(threadIdx.x % Threads);
  }
};

// Blocks for `rows` rows at `rows_per_block` a block (grid-stride beyond 65535 blocks).
inline unsigned int row_blocks(std::int64_t rows, std::int64_t rows_per_block) {
  const std::int64_t blocks = (rows + rows_per_block - 1) / rows_per_block;
  return static_cast<unsigned int>(blocks < 1 ? 1 : (blocks > 65535 ? 65535 : blocks));
}

}  // namespace mg::cuda
