// The caching allocator: device memory comes from cudaMalloc once and is then recycled.
//
// Freed blocks are kept in a per-device free list ordered by size and handed to the next request
// they fit (best fit, at most twice the rounded request so that a small tensor does not pin a
// huge block). maskgrad queues all work of a device on one stream (context.cuh), so a block
// freed by the host while kernels that use it are still queued can be given to the next
// allocation at once: whatever that allocation's kernels do is queued behind them.
//
// Sizes are rounded up to 512 bytes up to 1 MiB and to 2 MiB above, so the sizes of a training
// step repeat exactly and their blocks are reused. Blocks are never split or merged. When
// cudaMalloc fails, the cache is returned to the driver and the call retried once.
// Stats follow torch.cuda: "allocated" counts the rounded sizes of blocks held by tensors,
// "reserved" every byte obtained from cudaMalloc.

#include <cuda_runtime.h>

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "core/cuda/caching_allocator.cuh"
#include "core/cuda/check.cuh"
#include "core/cuda/context.cuh"
#include "core/cuda/cuda_runtime.h"
#include "core/error.h"

namespace mg::cuda {

namespace {

constexpr std::size_t kSmallGranularity = 512;
constexpr std::size_t kSmallLimit = std::size_t(1) << 20;
constexpr std::size_t kLargeGranularity = std::size_t(2) << 20;

std::size_t round_size(std::size_t nbytes) {
  const std::size_t granularity = nbytes <= kSmallLimit ? kSmallGranularity : kLargeGranularity;
  return (nbytes + granularity - 1) / granularity * granularity;
}

class DeviceCache final : public Allocator {
 public:
  explicit DeviceCache(int device) : device_(device) {}

  void* allocate(std::size_t nbytes) override {
    if (nbytes == 0) return nullptr;
    MG_CHECK(nbytes <= SIZE_MAX - kLargeGranularity, "cuda:", device_, ": cannot allocate ", nbytes,
             " bytes");
    const std::size_t size = round_size(nbytes);
    std::lock_guard lock(mutex_);
    void* ptr = take_cached(size);
    if (ptr == nullptr) ptr = fresh(nbytes, size);
    active_.emplace(ptr, size);
    allocated_ += static_cast<std::int64_t>(size);
    if (allocated_ > peak_) peak_ = allocated_;
    return ptr;
  }

  void deallocate(void* ptr, std::size_t) override {
    if (ptr == nullptr) return;
    std::lock_guard lock(mutex_);
    const auto it = active_.find(ptr);
    if (it == active_.end()) return;  // not ours; nothing sensible to do in a destructor path
    free_.emplace(it->second, ptr);
    allocated_ -= static_cast<std::int64_t>(it->second);
    active_.erase(it);
  }

  DeviceMemoryStats stats() {
    std::lock_guard lock(mutex_);
    return {allocated_, peak_, reserved_};
  }

  void reset_peak() {
    std::lock_guard lock(mutex_);
    peak_ = allocated_;
  }

  void release_cached() {
    std::lock_guard lock(mutex_);
    release_locked();
  }

 private:
  // The smallest cached block of at least `size` bytes and at most twice that, or null.
  void* take_cached(std::size_t size) {
    const auto it = free_.lower_bound(size);
    if (it == free_.end() || it->first > 2 * size) return nullptr;
    void* ptr = it->second;
    free_.erase(it);
    return ptr;
  }

  void* fresh(std::size_t nbytes, std::size_t size) {
    DeviceGuard guard(device_);
    void* ptr = nullptr;
    if (cudaMalloc(&ptr, size) != cudaSuccess) {
      cudaGetLastError();  // an allocation failure is not sticky; clear it before retrying
      release_locked();
      if (cudaMalloc(&ptr, size) != cudaSuccess) {
        cudaGetLastError();
        throw Error(str("cuda:", device_, ": out of memory allocating ", nbytes, " bytes (",
                        allocated_, " bytes allocated by tensors, ", reserved_,
                        " bytes reserved by maskgrad's allocator)"));
      }
    }
    reserved_ += static_cast<std::int64_t>(size);
    return ptr;
  }

  // cudaFree of a block that queued kernels may still use is safe (it waits for the device),
  // but synchronising first makes that explicit and reports errors of earlier work here.
  void release_locked() {
    if (free_.empty()) return;
    DeviceGuard guard(device_);
    MG_CUDA_CHECK(cudaStreamSynchronize(stream(device_)), "CUDA allocator");
    for (const auto& [size, ptr] : free_) {
      MG_CUDA_CHECK(cudaFree(ptr), "CUDA allocator");
      reserved_ -= static_cast<std::int64_t>(size);
    }
    free_.clear();
  }

  const int device_;
  std::mutex mutex_;
  std::multimap<std::size_t, void*> free_;         // cached blocks by size
  std::unordered_map<void*, std::size_t> active_;  // blocks held by tensors → size
  std::int64_t allocated_ = 0, peak_ = 0, reserved_ = 0;
};

// One cache per device, created on first use and never destroyed: tensors in static storage may
// be freed after the CUDA runtime has shut down.
DeviceCache& cache(int index) {
  static std::mutex mutex;
  static std::vector<DeviceCache*> caches;
  std::lock_guard lock(mutex);
  const int count = device_count();
  MG_CHECK(index >= 0 && index < count, "cuda:", index, ": no such device (", count, " present)");
  if (caches.empty()) caches.resize(static_cast<std::size_t>(count), nullptr);
  DeviceCache*& slot = caches[static_cast<std::size_t>(index)];
  if (slot == nullptr) slot = new DeviceCache(index);
  return *slot;
}

}  // namespace

Allocator& caching_allocator(int index) {
  return cache(index);
}

DeviceMemoryStats memory_stats(int index) {
  return cache(index).stats();
}

void reset_peak_memory_stats(int index) {
  cache(index).reset_peak();
}

void empty_cache() {
  for (int index = 0; index < device_count(); ++index) cache(index).release_cached();
}

}  // namespace mg::cuda
