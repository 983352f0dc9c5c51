// Pinned (page-locked) host memory, cached like torch's CachingHostAllocator.
//
// The DMA engine reads page-locked memory directly, so an upload from a pinned tensor needs no
// staging copy and the host need not wait for it (elementwise.cu). cudaHostAlloc is slow (it maps
// and locks pages, milliseconds for a batch), so freed blocks are kept and reused. A tensor may
// die while an upload from it is still queued: each block remembers the devices whose streams read
// it (record_pinned_use), and freeing it records an event on each of those streams; the block is
// handed out again only once its events have completed.
//
// Sizes are rounded up to a power of two (at least 4 KiB): a DataLoader allocates the same batch
// sizes every step, and power-of-two classes make them reuse each other's blocks.

#include <cuda_runtime.h>

#include <bit>
#include <cstdint>
#include <map>
#include <mutex>
#include <set>
#include <vector>

#include "core/allocator.h"
#include "core/cuda/check.cuh"
#include "core/cuda/context.cuh"
#include "core/cuda/cuda_runtime.h"
#include "core/cuda/pinned_allocator.cuh"
#include "core/error.h"

namespace mg::cuda {

namespace {

constexpr std::size_t kMinBlock = std::size_t(4) << 10;

struct Block {
  std::size_t size = 0;
  bool in_use = false;
  std::set<int> read_by;             // devices whose streams were given uploads from it
  std::vector<cudaEvent_t> pending;  // recorded when freed, after those uploads
};

class PinnedCache final : public Allocator {
 public:
  void* allocate(std::size_t nbytes) override {
    if (nbytes == 0) return nullptr;
    MG_CHECK(nbytes <= (SIZE_MAX >> 1), "pinned memory: cannot allocate ", nbytes, " bytes");
    const std::size_t size = std::max(kMinBlock, std::bit_ceil(nbytes));
    std::lock_guard lock(mutex_);
    for (auto& [ptr, block] : blocks_) {
      if (!block.in_use && block.size == size && uploads_finished(block)) {
        block.in_use = true;
        return ptr;
      }
    }
    void* ptr = nullptr;
    MG_CUDA_CHECK(cudaHostAlloc(&ptr, size, cudaHostAllocDefault), "pinned memory");
    blocks_[ptr] = Block{size, true, {}, {}};
    return ptr;
  }

  // Runs in Storage's destructor, so it must not throw: when the uploads cannot be marked (a
  // CUDA error, or the runtime already shut down at exit), the block stays in use, never to be
  // handed out again.
  void deallocate(void* ptr, std::size_t) noexcept override {
    if (ptr == nullptr) return;
    std::lock_guard lock(mutex_);
    const auto found = blocks_.find(ptr);
    if (found == blocks_.end()) return;
    Block& block = found->second;
    try {
      for (const int device : block.read_by) {
        DeviceGuard guard(device);
        cudaEvent_t event = nullptr;
        MG_CUDA_CHECK(cudaEventCreateWithFlags(&event, cudaEventDisableTiming), "pinned memory");
        block.pending.push_back(event);
        MG_CUDA_CHECK(cudaEventRecord(event, stream(device)), "pinned memory");
      }
    } catch (...) {
      return;
    }
    block.read_by.clear();
    block.in_use = false;
  }

  void record_use(const void* host, int device) {
    std::lock_guard lock(mutex_);
    auto it = blocks_.upper_bound(const_cast<void*>(host));
    MG_CHECK(it != blocks_.begin(), "record_pinned_use: not pinned memory");
    --it;
    MG_CHECK(static_cast<const char*>(host) < static_cast<char*>(it->first) + it->second.size,
             "record_pinned_use: not pinned memory");
    it->second.read_by.insert(device);
  }

 private:
  // True once every upload queued from the block before it was freed has finished; forgets
  // the finished events.
  static bool uploads_finished(Block& block) {
    while (!block.pending.empty()) {
      const cudaError_t status = cudaEventQuery(block.pending.back());
      if (status == cudaErrorNotReady) return false;
      MG_CUDA_CHECK(status, "pinned memory");
      MG_CUDA_CHECK(cudaEventDestroy(block.pending.back()), "pinned memory");
      block.pending.pop_back();
    }
    return true;
  }

  std::mutex mutex_;
  std::map<void*, Block> blocks_;  // ordered, so record_use finds the block holding an address
};

// Never destroyed: tensors freed during static destruction still return their blocks here.
PinnedCache& cache() {
  static PinnedCache* instance = new PinnedCache;
  return *instance;
}

}  // namespace

Allocator& pinned_host_allocator() {
  MG_CHECK(device_count() > 0, "pinned memory: maskgrad was built with CUDA but no GPU is present");
  return cache();
}

void record_pinned_use(const void* host, int device) {
  cache().record_use(host, device);
}

}  // namespace mg::cuda
