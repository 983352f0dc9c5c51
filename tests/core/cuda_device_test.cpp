#include "core/cuda/cuda_runtime.h"
#include "test_util.h"

namespace mg {
namespace {

// Whatever this machine has, asking for a CUDA tensor gives an error that says why it cannot
// have one: not built with CUDA, no GPU present, or (with a GPU) no such device.
TEST(CudaDevice, UnavailableDeviceErrorsSayWhy) {
  if (!cuda::is_built()) {
    EXPECT_EQ(cuda::device_count(), 0);
    EXPECT_MG_ERROR(zeros({2}, Device::cuda(0)), "cuda:0", "built without CUDA");
  } else if (cuda::device_count() == 0) {
    EXPECT_MG_ERROR(zeros({2}, Device::cuda(0)), "cuda:0", "no GPU is present");
  } else {
    EXPECT_MG_ERROR(zeros({2}, Device::cuda(cuda::device_count())), "CUDA device(s) present");
  }
}

}  // namespace
}  // namespace mg
