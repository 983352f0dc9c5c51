// The fused optimizer updates on a GPU: one thread per element, the arithmetic of
// optim/update_kernels.cpp operation for operation. Built with -fmad=false (as the CPU file with
// -ffp-contract=off) and IEEE division and square root, so every product rounds on its own: the
// GPU then computes what the CPU computes, and a factor-1 mask equals no mask bit for bit.

#include <cmath>
#include <cstdint>

#include "core/cuda/check.cuh"
#include "core/cuda/context.cuh"
#include "core/cuda/launch.cuh"
#include "core/cuda/row_reduce.cuh"
#include "core/dtype.h"
#include "optim/update_kernels.h"

namespace mg::optim {

namespace {

using cuda::blocks_for;
using cuda::kThreadsPerBlock;

// Element i's unit as in for_each_run of the CPU version; -1 without a mask.
__device__ std::int64_t unit_of(std::int64_t i, bool masked, const UnitLayout& l) {
  if (!masked) return -1;
  if (l.element) return i;
  return ((i / l.stride) % l.period) / l.block;
}

template <typename T>
__global__ void sgd_kernel(SgdArgs a, T* p, const T* g, T* buf, const T* factors, UnitLayout l,
                           bool strict) {
  const T lr = static_cast<T>(a.lr), momentum = static_cast<T>(a.momentum);
  const T damp = static_cast<T>(1 - a.dampening), wd = static_cast<T>(a.weight_decay);
  const bool decay = a.weight_decay != 0, first = a.first_step, nesterov = a.nesterov;
  for (std::int64_t i = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x;
       i < a.numel; i += static_cast<std::int64_t>(blockDim.x) * gridDim.x) {
    const std::int64_t unit = unit_of(i, factors != nullptr, l);
    const T factor = unit < 0 ? T(1) : factors[unit];
    // A new buffer still needs values for the units a strict mask skips: zero.
    if (unit >= 0 && strict && factor == T(0)) {
      if (buf && first) buf[i] = T(0);
      continue;
    }
    T d = unit < 0 ? g[i] : g[i] * factor;
    if (decay) d = d + wd * p[i];
    if (buf) {
      buf[i] = first ? d : buf[i] * momentum + damp * d;
      d = nesterov ? d + momentum * buf[i] : buf[i];
    }
    p[i] = p[i] + -lr * d;
  }
}

template <typename T>
struct Correction {
  T neg_step_size, bc2_sqrt;
};

// PyTorch computes the bias corrections in double from the step count; host and device
// versions of the same formula.
template <typename T>
__host__ __device__ Correction<T> correction(double lr, double beta1, double beta2,
                                             std::int64_t step) {
  const double bc1 = 1 - ::pow(beta1, static_cast<double>(step));
  const double bc2 = 1 - ::pow(beta2, static_cast<double>(step));
  return Correction<T>{static_cast<T>(-(lr / bc1)), static_cast<T>(::sqrt(bc2))};
}

template <typename T>
__global__ void adam_kernel(AdamArgs a, T* p, const T* g, T* m, T* v, T* vmax, const T* factors,
                            UnitLayout l, bool strict, Correction<T> shared) {
  const T beta1 = static_cast<T>(a.beta1), beta2 = static_cast<T>(a.beta2);
  const T one_minus_beta1 = static_cast<T>(1 - a.beta1),
          one_minus_beta2 = static_cast<T>(1 - a.beta2);
  const T eps = static_cast<T>(a.eps), wd = static_cast<T>(a.weight_decay);
  const T shrink = static_cast<T>(1 - a.lr * a.weight_decay);
  const bool decoupled = a.decoupled, l2 = !a.decoupled && a.weight_decay != 0;
  for (std::int64_t i = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x;
       i < a.numel; i += static_cast<std::int64_t>(blockDim.x) * gridDim.x) {
    const std::int64_t unit = unit_of(i, factors != nullptr, l);
    const T factor = unit < 0 ? T(1) : factors[unit];
    if (unit >= 0 && strict && factor == T(0)) continue;
    const Correction<T> c = a.unit_steps && unit >= 0
                                ? correction<T>(a.lr, a.beta1, a.beta2, a.unit_steps[unit])
                                : shared;
    T grad = unit < 0 ? g[i] : g[i] * factor;
    if (decoupled) p[i] = p[i] * shrink;
    if (l2) grad = grad + wd * p[i];
    m[i] = m[i] * beta1 + one_minus_beta1 * grad;
    v[i] = v[i] * beta2 + one_minus_beta2 * (grad * grad);
    T second = v[i];
    if (vmax) {
      vmax[i] = vmax[i] < v[i] ? v[i] : vmax[i];  // std::max(vmax[i], v[i])
      second = vmax[i];
    }
    const T denom = cuda::device_sqrt(second) / c.bc2_sqrt + eps;
    p[i] = p[i] + c.neg_step_size * (m[i] / denom);
  }
}

template <typename T>
__global__ void count_unit_steps_kernel(std::int64_t* steps, const T* factors, std::int64_t count,
                                        bool strict) {
  for (std::int64_t u = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x; u < count;
       u += static_cast<std::int64_t>(blockDim.x) * gridDim.x) {
    if (!strict || factors[u] != T(0)) ++steps[u];
  }
}

}  // namespace

void sgd_update_cuda(int device, DType dtype, const SgdArgs& args, const MaskArgs& mask) {
  if (args.numel == 0) return;
  cuda::DeviceGuard guard(device);
  visit_floating(dtype, "SGD", [&](auto zero) {
    using T = decltype(zero);
    sgd_kernel<T><<<blocks_for(args.numel), kThreadsPerBlock, 0, cuda::stream(device)>>>(
        args, static_cast<T*>(args.param), static_cast<const T*>(args.grad),
        static_cast<T*>(args.momentum_buffer), static_cast<const T*>(mask.factors), mask.layout,
        mask.strict);
  });
  cuda::check_launch("SGD");
}

void adam_update_cuda(int device, DType dtype, const AdamArgs& args, const MaskArgs& mask) {
  if (args.numel == 0) return;
  cuda::DeviceGuard guard(device);
  visit_floating(dtype, "Adam", [&](auto zero) {
    using T = decltype(zero);
    adam_kernel<T><<<blocks_for(args.numel), kThreadsPerBlock, 0, cuda::stream(device)>>>(
        args, static_cast<T*>(args.param), static_cast<const T*>(args.grad),
        static_cast<T*>(args.exp_avg), static_cast<T*>(args.exp_avg_sq),
        static_cast<T*>(args.max_exp_avg_sq), static_cast<const T*>(mask.factors), mask.layout,
        mask.strict, correction<T>(args.lr, args.beta1, args.beta2, args.step));
  });
  cuda::check_launch("Adam");
}

void count_unit_steps_cuda(int device, DType dtype, std::int64_t* steps, const void* factors,
                           std::int64_t count, bool strict) {
  if (count == 0) return;
  cuda::DeviceGuard guard(device);
  visit_floating(dtype, "Adam", [&](auto zero) {
    using T = decltype(zero);
    count_unit_steps_kernel<T><<<blocks_for(count), kThreadsPerBlock, 0, cuda::stream(device)>>>(
        steps, static_cast<const T*>(factors), count, strict);
  });
  cuda::check_launch("Adam");
}

}  // namespace mg::optim
