#include "core/device.h"

#include "core/cuda/cuda_runtime.h"
#include "core/error.h"

namespace mg {

Device Device::parse(const std::string& text) {
  if (text == "cpu") return cpu();
  if (text == "cuda") return cuda(0);
  if (text.rfind("cuda:", 0) == 0) {
    const std::string index = text.substr(5);
    const bool digits =
        !index.empty() && index.find_first_not_of("0123456789") == std::string::npos;
    if (digits && index.size() < 4) return cuda(std::stoi(index));
  }
  throw Error(str("unknown device '", text, "': expected cpu, cuda or cuda:N"));
}

std::ostream& operator<<(std::ostream& out, Device device) {
  if (device.is_cpu()) return out << "cpu";
  return out << "cuda:" << device.index;
}

void check_device_available(Device device) {
  if (device.is_cpu()) return;
  MG_CHECK(cuda::is_built(), "device ", device,
           ": maskgrad was built without CUDA (configure with -DMG_CUDA=ON on a machine with the "
           "CUDA toolkit, cuBLAS and cuDNN)");
  const int count = cuda::device_count();
  MG_CHECK(count > 0, "device ", device, ": maskgrad was built with CUDA but no GPU is present");
  MG_CHECK(device.index >= 0 && device.index < count, "device ", device, ": only ", count,
           " CUDA device(s) present");
}

}  // namespace mg
