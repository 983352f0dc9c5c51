#include "core/cpu/cpu_backend.h"
namespace mg::cpu {
void CpuBackend::index_select(const Tensor&, std::int64_t, const Tensor&, const Tensor&) {
  throw Error("index_select: pending");
}
void CpuBackend::index_add(const Tensor&, std::int64_t, const Tensor&, const Tensor&) {
  throw Error("pending");
}
void CpuBackend::gather(const Tensor&, std::int64_t, const Tensor&, const Tensor&) {
  throw Error("pending");
}
void CpuBackend::scatter_add(const Tensor&, std::int64_t, const Tensor&, const Tensor&) {
  throw Error("pending");
}
}  // namespace mg::cpu
