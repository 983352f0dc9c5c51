#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <vector>

namespace mg::cpu {

// Scratch memory that kernels reuse from call to call (im2col buffers, per-thread partial
// sums). It only grows, and it comes from maskgrad's CPU allocator, so cpu_memory_stats()
// counts it and repeated calls of one shape allocate nothing.
class Workspace {
 public:
  Workspace() = default;
  ~Workspace();
  Workspace(const Workspace&) = delete;
  Workspace& operator=(const Workspace&) = delete;

  // At least `nbytes` of 64-byte aligned memory with undefined contents. A call that needs
  // more than before frees the old block, invalidating what it returned.
  void* get(std::size_t nbytes);

 private:
  void* data_ = nullptr;
  std::size_t nbytes_ = 0;
};

// The calling thread's workspaces: kernels called from several threads at once do not share.
// Slot 0 is for scratch buffers; a kernel that keeps a buffer while it calls another kernel
// (which takes slot 0) keeps it in slot 1.
Workspace& thread_workspace(int slot = 0);

// Typed buffers carved out of the calling thread's workspace: the `shared` ones, then a set of
// `per_thread` ones for each of `threads` threads. Each buffer starts on a cache line.
template <typename T>
class ScratchBuffers {
 public:
  ScratchBuffers(std::initializer_list<std::int64_t> shared,
                 std::initializer_list<std::int64_t> per_thread, int threads, int slot = 0) {
    std::int64_t total = 0;
    for (std::int64_t size : shared) {
      shared_.push_back(total);
      total += round_up(size);
    }
    for (std::int64_t size : per_thread) {
      local_.push_back(total + per_thread_);
      per_thread_ += round_up(size);
    }
    total += per_thread_ * threads;
    base_ =
        static_cast<T*>(thread_workspace(slot).get(static_cast<std::size_t>(total) * sizeof(T)));
  }
  T* shared(std::size_t buffer) const { return base_ + shared_[buffer]; }
  T* local(int thread, std::size_t buffer) const {
    return base_ + local_[buffer] + thread * per_thread_;
  }

 private:
  static std::int64_t round_up(std::int64_t size) {
    constexpr std::int64_t line = 64 / sizeof(T);
    return (size + line - 1) / line * line;
  }
  std::vector<std::int64_t> shared_, local_;
  std::int64_t per_thread_ = 0;
  T* base_ = nullptr;
};

}  // namespace mg::cpu
