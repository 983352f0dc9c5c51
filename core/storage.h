#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "core/allocator.h"
#include "core/device.h"

namespace mg {

// Owns the bytes of one allocation on one device. Every view of a tensor shares its Storage,
// and with it the version counter that autograd uses to detect in-place edits of saved tensors.
class Storage {
 public:
  Storage(std::size_t nbytes, Device device);
  ~Storage();
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;

  void* data() const { return data_; }
  std::size_t nbytes() const { return nbytes_; }
  Device device() const { return device_; }

  std::uint64_t version() const { return version_.load(std::memory_order_relaxed); }
  void bump_version() { version_.fetch_add(1, std::memory_order_relaxed); }

 private:
  void* data_;
  std::size_t nbytes_;
  Device device_;
  Allocator* allocator_;
  std::atomic<std::uint64_t> version_{0};
};

}  // namespace mg
