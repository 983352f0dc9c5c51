#pragma once

#include <cstddef>
#include <cstdint>

#include "core/device.h"

namespace mg {

// Hands out raw device memory. CPU memory is 64-byte aligned, so that every tensor's first
// element starts on a cache line and vector loads need no peeling.
class Allocator {
 public:
  virtual ~Allocator() = default;
  virtual void* allocate(std::size_t nbytes) = 0;
  virtual void deallocate(void* ptr, std::size_t nbytes) = 0;
};

inline constexpr std::size_t kCpuAlignment = 64;

Allocator& allocator_for(Device device);

// Bytes of CPU memory currently held by tensors and workspaces, and the most ever held: what
// tests use to show that repeated calls do not grow memory.
struct MemoryStats {
  std::int64_t current_bytes = 0;
  std::int64_t peak_bytes = 0;
};
MemoryStats cpu_memory_stats();

}  // namespace mg
