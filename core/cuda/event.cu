#include <cuda_runtime.h>

#include "core/cuda/check.cuh"
#include "core/cuda/context.cuh"
#include "core/cuda/cuda_runtime.h"
#include "core/error.h"

namespace mg::cuda {

namespace {
cudaEvent_t handle(void* event) {
  return static_cast<cudaEvent_t>(event);
}
}  // namespace

Event::Event(int device) : device_(device) {
  MG_CHECK(device >= 0 && device < device_count(), "cuda::Event: no device cuda:", device, " (",
           device_count(), " present)");
  DeviceGuard guard(device);
  cudaEvent_t event = nullptr;
  MG_CUDA_CHECK(cudaEventCreate(&event), "cuda::Event");
  event_ = event;
}

Event::~Event() {
  if (event_ != nullptr) cudaEventDestroy(handle(event_));  // a destructor must not throw
}

void Event::record() {
  DeviceGuard guard(device_);
  MG_CUDA_CHECK(cudaEventRecord(handle(event_), stream(device_)), "cuda::Event::record");
  recorded_ = true;
}

void Event::synchronize() const {
  if (recorded_) MG_CUDA_CHECK(cudaEventSynchronize(handle(event_)), "cuda::Event::synchronize");
}

bool Event::query() const {
  if (!recorded_) return true;
  const cudaError_t status = cudaEventQuery(handle(event_));
  if (status == cudaErrorNotReady) {
    cudaGetLastError();  // not an error: the work is still running
    return false;
  }
  MG_CUDA_CHECK(status, "cuda::Event::query");
  return true;
}

double Event::elapsed_time(const Event& end) const {
  MG_CHECK(recorded_ && end.recorded_,
           "cuda::Event::elapsed_time: both events must be recorded first");
  MG_CHECK(device_ == end.device_, "cuda::Event::elapsed_time: events on cuda:", device_,
           " and cuda:", end.device_);
  float ms = 0;
  MG_CUDA_CHECK(cudaEventElapsedTime(&ms, handle(event_), handle(end.event_)),
                "cuda::Event::elapsed_time");
  return ms;
}

}  // namespace mg::cuda
