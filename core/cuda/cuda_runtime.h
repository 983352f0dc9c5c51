#pragma once

// The boundary between maskgrad and the CUDA runtime. Two implementations exist: the .cu files of
// this folder (built with CUDA) and no_cuda.cpp (built without). Only .cu files (here and in
// optim/cuda) include CUDA headers. Names follow torch.cuda.

#include <cstdint>
#include <string>

namespace mg {
class Allocator;
class Backend;
}  // namespace mg

namespace mg::cuda {

// True when this build contains the CUDA backend.
bool is_built();
// Number of usable GPUs: 0 when built without CUDA or when none is present.
int device_count();
// True when at least one GPU can run maskgrad's kernels.
inline bool is_available() {
  return device_count() > 0;
}
// "NVIDIA H100 80GB HBM3"; throws mg::Error when unavailable.
std::string device_name(int index = 0);

// The allocator and the kernels of GPU `index`; throw mg::Error when unavailable.
Allocator& allocator(int index);
Backend& backend();
// Page-locked host memory (torch's pinned memory), cached; throws mg::Error without a GPU.
Allocator& pinned_host_allocator();

// Waits until all work maskgrad queued on GPU `index` has finished.
void synchronize(int index = 0);

// Device memory of GPU `index` as the caching allocator sees it: bytes held by tensors now and at
// most since the last reset, and bytes obtained from cudaMalloc (held by tensors or cached).
struct DeviceMemoryStats {
  std::int64_t allocated_bytes = 0;
  std::int64_t peak_allocated_bytes = 0;
  std::int64_t reserved_bytes = 0;
};
DeviceMemoryStats memory_stats(int index = 0);
void reset_peak_memory_stats(int index = 0);
// Returns every cached block that no tensor holds to the driver.
void empty_cache();

// A marker in GPU `device`'s stream (torch.cuda.Event, with timing): record() places it after the
// work queued so far; synchronize() waits for that work; elapsed_time(end) is the GPU time in ms
// from this event to `end`, both recorded and finished. Built without CUDA, or without a GPU,
// constructing one throws mg::Error.
class Event {
 public:
  explicit Event(int device = 0);
  ~Event();
  Event(const Event&) = delete;
  Event& operator=(const Event&) = delete;

  void record();
  void synchronize() const;
  // True once the work before the recorded marker has finished (or nothing was recorded).
  bool query() const;
  double elapsed_time(const Event& end) const;

 private:
  void* event_ = nullptr;  // cudaEvent_t, kept opaque so this header needs no CUDA headers
  int device_ = 0;
  bool recorded_ = false;
};

// TF32 tensor cores for float32 matmul and convolution: faster, with a 10-bit mantissa in the
// products. Off by default, so CUDA results match the CPU's to float32 precision.
void set_allow_tf32(bool allow);
bool allow_tf32();

}  // namespace mg::cuda
