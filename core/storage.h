#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "core/allocator.h"
#include "core/device.h"

namespace mg {

// Owns the bytes of one allocation on one device. Every view of a tensor shares its Storage,
// and with it the version counter that autograd uses to detect in-place edits of saved tensors.
// Pinned storage is page-locked CPU memory from the CUDA backend's host allocator (it needs a
// GPU). A copy from it to a GPU needs no staging and does not wait for the upload, like torch's
// non_blocking=True: write into a pinned tensor again only after cuda::synchronize().
class Storage {
 public:
  Storage(std::size_t nbytes, Device device, bool pinned = false);
  ~Storage();
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;

  void* data() const { return data_; }
  std::size_t nbytes() const { return nbytes_; }
  Device device() const { return device_; }
  bool pinned() const { return pinned_; }

  std::uint64_t version() const { return version_.load(std::memory_order_relaxed); }
  void bump_version() { version_.fetch_add(1, std::memory_order_relaxed); }

  // Counts the in-place ops on this storage that joined the autograd graph. A tensor created
  // before the last one carries a history that no longer describes the memory it views.
  std::uint64_t graph_version() const { return graph_version_.load(std::memory_order_relaxed); }
  std::uint64_t bump_graph_version() {
    return graph_version_.fetch_add(1, std::memory_order_relaxed) + 1;
  }

 private:
  void* data_;
  std::size_t nbytes_;
  Device device_;
  bool pinned_;
  Allocator* allocator_;
  std::atomic<std::uint64_t> version_{0};
  std::atomic<std::uint64_t> graph_version_{0};
};

}  // namespace mg
