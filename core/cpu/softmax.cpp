#include "core/cpu/cpu_backend.h"
namespace mg::cpu {
void CpuBackend::softmax(const Tensor&, std::int64_t, bool, const Tensor&) {
  throw Error("pending");
}
void CpuBackend::softmax_backward(const Tensor&, const Tensor&, std::int64_t, bool, const Tensor&) {
  throw Error("pending");
}
}  // namespace mg::cpu
