#include "core/error.h"
#include "optim/update_kernels.h"

namespace mg::optim {

namespace {
[[noreturn]] void not_built(const char* what) {
  throw Error(str(what, ": maskgrad was built without CUDA (configure with -DMG_CUDA=ON on a ",
                  "machine with the CUDA toolkit, cuBLAS and cuDNN)"));
}
}  // namespace

void sgd_update_cuda(int, DType, const SgdArgs&, const MaskArgs&) {
  not_built("SGD on CUDA");
}
void adam_update_cuda(int, DType, const AdamArgs&, const MaskArgs&) {
  not_built("Adam on CUDA");
}
void count_unit_steps_cuda(int, DType, std::int64_t*, const void*, std::int64_t, bool) {
  not_built("Adam on CUDA");
}

}  // namespace mg::optim
