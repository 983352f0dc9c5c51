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
Allocator& allocator(int) {
  not_built("CUDA allocator");
}
Backend& backend() {
  not_built("CUDA backend");
}

}  // namespace mg::cuda
