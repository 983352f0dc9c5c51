#include "core/cuda/conv_algorithms.h"
#include "core/cuda/cuda_runtime.h"
#include "core/error.h"

namespace mg::cuda {

namespace {
[[noreturn]] void not_built(const char* what) {
  throw Error(str(what, ": maskgrad was built without CUDA (configure with -DMG_CUDA=ON on a ",
                  "machine with the CUDA toolkit, cuBLAS and cuDNN)"));
}
}  // namespace

bool is_built() {
  return false;
}
int device_count() {
  return 0;
}
std::string device_name(int) {
  not_built("cuda::device_name");
}
Allocator& allocator(int) {
  not_built("CUDA allocator");
}
Backend& backend() {
  not_built("CUDA backend");
}
Allocator& pinned_host_allocator() {
  not_built("pinned memory");
}
void synchronize(int) {
  not_built("cuda::synchronize");
}
DeviceMemoryStats memory_stats(int) {
  not_built("cuda::memory_stats");
}
void reset_peak_memory_stats(int) {
  not_built("cuda::reset_peak_memory_stats");
}
void empty_cache() {
  not_built("cuda::empty_cache");
}
void set_allow_tf32(bool) {
  not_built("cuda::set_allow_tf32");
}
bool allow_tf32() {
  return false;
}

Event::Event(int) {
  not_built("cuda::Event");
}
Event::~Event() = default;
void Event::record() {
  not_built("cuda::Event::record");
}
void Event::synchronize() const {
  not_built("cuda::Event::synchronize");
}
bool Event::query() const {
  not_built("cuda::Event::query");
}
double Event::elapsed_time(const Event&) const {
  not_built("cuda::Event::elapsed_time");
}
std::size_t cached_conv_algorithms() {
  return 0;
}

}  // namespace mg::cuda
