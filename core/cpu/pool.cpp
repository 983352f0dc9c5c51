#include "core/cpu/cpu_backend.h"
namespace mg::cpu {
void CpuBackend::max_pool(const Tensor&, const PoolParams&, const Tensor&, const Tensor&) {
  throw Error("pending");
}
void CpuBackend::max_pool_backward(const Tensor&, const Tensor&, const Tensor&) {
  throw Error("pending");
}
void CpuBackend::avg_pool(const Tensor&, const PoolParams&, const Tensor&) {
  throw Error("pending");
}
void CpuBackend::avg_pool_backward(const Tensor&, const PoolParams&, const Tensor&) {
  throw Error("pending");
}
void CpuBackend::adaptive_avg_pool(const Tensor&, const Tensor&) {
  throw Error("pending");
}
void CpuBackend::adaptive_avg_pool_backward(const Tensor&, const Tensor&) {
  throw Error("pending");
}
}  // namespace mg::cpu
