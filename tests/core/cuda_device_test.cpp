#include "core/cuda/cuda_runtime.h"
#include "test_util.h"

namespace mg {
namespace {

// Without a usable GPU, asking for a CUDA tensor gives an error that says why: not built with
// CUDA, or no GPU present. With one, only a device index beyond the GPUs present is an error.
TEST(CudaDevice, CreatesTensorsOrSaysWhyNot) {
  if (!cuda::is_built()) {
    EXPECT_EQ(cuda::device_count(), 0);
    EXPECT_MG_ERROR(zeros({2}, Device::cuda(0)), "cuda:0", "built without CUDA");
  } else if (cuda::device_count() == 0) {
    EXPECT_MG_ERROR(zeros({2}, Device::cuda(0)), "cuda:0", "no GPU is present");
  } else {
    EXPECT_EQ(zeros({2}, Device::cuda(0)).device(), Device::cuda(0));
    EXPECT_MG_ERROR(zeros({2}, Device::cuda(cuda::device_count())), "CUDA device(s) present");
  }
}

}  // namespace
}  // namespace mg
