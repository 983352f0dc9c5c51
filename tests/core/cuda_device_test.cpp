#include "autograd/elementwise.h"
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

// Pinned memory is page-locked by the CUDA driver, so it needs a GPU; an ordinary tensor is never
// pinned, nor are the results of ops on a pinned one.
TEST(CudaDevice, PinnedMemoryNeedsAGpu) {
  EXPECT_FALSE(zeros({2}).is_pinned());
  const TensorOptions pinned = TensorOptions(kFloat32).pinned_memory(true);
  EXPECT_TRUE(pinned.pinned_memory());
  EXPECT_MG_ERROR(empty({2}, pinned.device(Device::cuda(0))), "pinned memory is CPU memory",
                  "cuda:0");
  if (!cuda::is_available()) {
    const char* why = cuda::is_built() ? "no GPU is present" : "built without CUDA";
    EXPECT_MG_ERROR(empty({2}, pinned), "pinned memory", why);
    EXPECT_MG_ERROR(pin_memory(zeros({2})), "pinned memory", why);
  } else {
    const Tensor x = full({2, 3}, 1.5, pinned);
    EXPECT_TRUE(x.is_pinned());
    EXPECT_EQ(x.to_vector<float>(), std::vector<float>(6, 1.5f));
    EXPECT_FALSE(x.options().pinned_memory());
  }
}

}  // namespace
}  // namespace mg
