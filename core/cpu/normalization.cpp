#include "core/cpu/cpu_backend.h"
namespace mg::cpu {
void CpuBackend::layer_norm(const Tensor&, const Tensor&, const Tensor&, double, const Tensor&,
                            const Tensor&, const Tensor&) {
  throw Error("pending");
}
void CpuBackend::layer_norm_backward(const Tensor&, const Tensor&, const Tensor&, const Tensor&,
                                     const Tensor&, const Tensor&, const Tensor&, const Tensor&) {
  throw Error("pending");
}
void CpuBackend::batch_norm(const Tensor&, const Tensor&, const Tensor&, const Tensor&,
                            const Tensor&, bool, double, double, const Tensor&, const Tensor&,
                            const Tensor&) {
  throw Error("pending");
}
void CpuBackend::batch_norm_backward(const Tensor&, const Tensor&, const Tensor&, const Tensor&,
                                     const Tensor&, bool, const Tensor&, const Tensor&,
                                     const Tensor&) {
  throw Error("pending");
}
}  // namespace mg::cpu
