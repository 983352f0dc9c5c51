#include "core/backend.h"

#include "core/cpu/cpu_backend.h"
#include "core/cuda/cuda_runtime.h"

namespace mg {

Backend& backend_for(Device device) {
  if (device.is_cpu()) return cpu::backend();
  check_device_available(device);
  return cuda::backend();
}

}  // namespace mg
