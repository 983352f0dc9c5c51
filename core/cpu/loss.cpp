#include <cstring>

#include "core/cpu/cpu_backend.h"
#include "core/cpu/parallel.h"

namespace mg::cpu {

namespace {

// input [N, C, S], target [N, S]: the loss terms are few (N·S), each reading one input value,
// so a serial loop is faster than starting threads.
template <typename T>
void nll_loss_typed(const Tensor& input, const Tensor& target, const Tensor& weight,
                    Reduction reduction, std::int64_t ignore_index, const Tensor& out,
                    const Tensor& total_weight) {
  const std::int64_t batch = input.size(0), classes = input.size(1), spatial = input.size(2);
  const T* x = static_cast<const T*>(input.raw_data());
  const std::int64_t* t = static_cast<const std::int64_t*>(target.raw_data());
  const T* w = weight.defined() ? static_cast<const T*>(weight.raw_data()) : nullptr;
  T* result = static_cast<T*>(out.raw_data());
  // Sums in double: a mean over a large segmentation map stays exact to float precision.
  double loss_sum = 0, weight_sum = 0;
  for (std::int64_t n = 0; n < batch; ++n) {
    for (std::int64_t s = 0; s < spatial; ++s) {
      const std::int64_t i = n * spatial + s;
      const std::int64_t cls = t[i];
      if (cls == ignore_index) {
        if (reduction == Reduction::None) result[i] = T(0);
        continue;
      }
      const T w_i = w ? w[cls] : T(1);
      const T loss = -w_i * x[(n * classes + cls) * spatial + s];
      if (reduction == Reduction::None) result[i] = loss;
      loss_sum += static_cast<double>(loss);
      weight_sum += static_cast<double>(w_i);
    }
  }
  *static_cast<T*>(total_weight.raw_data()) = static_cast<T>(weight_sum);
  if (reduction == Reduction::Sum) *result = static_cast<T>(loss_sum);
  // All targets ignored gives 0/0 = NaN, as in PyTorch.
  if (reduction == Reduction::Mean) *result = static_cast<T>(loss_sum / weight_sum);
}

template <typename T>
void nll_loss_backward_typed(const Tensor& grad_out, const Tensor& target, const Tensor& weight,
                             Reduction reduction, std::int64_t ignore_index,
                             const Tensor& total_weight, const Tensor& grad_input) {
  const std::int64_t batch = grad_input.size(0), classes = grad_input.size(1),
                     spatial = grad_input.size(2);
  const T* g = static_cast<const T*>(grad_out.raw_data());
  const std::int64_t* t = static_cast<const std::int64_t*>(target.raw_data());
  const T* w = weight.defined() ? static_cast<const T*>(weight.raw_data()) : nullptr;
  T* grad = static_cast<T*>(grad_input.raw_data());
  parallel_for(0, grad_input.numel(), kParallelGrain, [&](std::int64_t begin, std::int64_t end) {
    std::memset(grad + begin, 0, static_cast<std::size_t>(end - begin) * sizeof(T));
  });
  // The gradient every target gets, for the reductions to one value.
  T shared = reduction == Reduction::None ? T(0) : *g;
  if (reduction == Reduction::Mean) shared /= *static_cast<const T*>(total_weight.raw_data());
  for (std::int64_t n = 0; n < batch; ++n) {
    for (std::int64_t s = 0; s < spatial; ++s) {
      const std::int64_t i = n * spatial + s;
      const std::int64_t cls = t[i];
      if (cls == ignore_index) continue;
      const T g_i = reduction == Reduction::None ? g[i] : shared;
      grad[(n * classes + cls) * spatial + s] = -(w ? w[cls] : T(1)) * g_i;
    }
  }
}

}  // namespace

void CpuBackend::nll_loss(const Tensor& input, const Tensor& target, const Tensor& weight,
                          Reduction reduction, std::int64_t ignore_index, const Tensor& out,
                          const Tensor& total_weight) {
  visit_floating(input.dtype(), "nll_loss", [&](auto zero) {
    nll_loss_typed<decltype(zero)>(input, target, weight, reduction, ignore_index, out,
                                   total_weight);
  });
}

void CpuBackend::nll_loss_backward(const Tensor& grad_out, const Tensor& target,
                                   const Tensor& weight, Reduction reduction,
                                   std::int64_t ignore_index, const Tensor& total_weight,
                                   const Tensor& grad_input) {
  visit_floating(grad_input.dtype(), "nll_loss_backward", [&](auto zero) {
    nll_loss_backward_typed<decltype(zero)>(grad_out, target, weight, reduction, ignore_index,
                                            total_weight, grad_input);
  });
}

}  // namespace mg::cpu
