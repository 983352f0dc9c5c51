#include "core/cpu/cpu_backend.h"
namespace mg::cpu {
void CpuBackend::conv(const Tensor&, const Tensor&, const Tensor&, const ConvParams&,
                      const Tensor&) {
  throw Error("pending");
}
void CpuBackend::conv_backward(const Tensor&, const Tensor&, const Tensor&, const ConvParams&,
                               const Tensor&, const Tensor&, const Tensor&) {
  throw Error("pending");
}
}  // namespace mg::cpu
