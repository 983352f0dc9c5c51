#pragma once

#include <cstdint>

#include "core/dtype.h"
#include "core/shape.h"
#include "layers/mask_units.h"

// The fused per-parameter update loops of the optimizers: one pass over a parameter applies
// the mask, the weight decay, the moments and the update. Raw contiguous pointers of the
// parameter's dtype (float32 or float64); the CPU versions run OpenMP-parallel over elements.
// A device backend adds its own kernels behind the same arguments.
namespace mg::optim {

// Where element i's unit is: ((i / stride) % period) / block. Every MaskUnits kind has this
// form, so the loops walk runs of `stride` elements that share one factor.
struct UnitLayout {
  std::int64_t stride = 1;
  std::int64_t period = 1;
  std::int64_t block = 1;
  bool element = true;  // one unit per element: the factor index is the element index
};
UnitLayout unit_layout(const nn::MaskUnits& units, const Shape& shape);

struct MaskArgs {
  const void* factors = nullptr;  // per unit, the parameter's dtype; nullptr: no mask
  UnitLayout layout;
  bool strict = false;  // factor 0: the unit is left alone (value and state)
};

struct SgdArgs {
  std::int64_t numel = 0;
  void* param = nullptr;
  const void* grad = nullptr;
  void* momentum_buffer = nullptr;  // nullptr when momentum == 0
  bool first_step = false;          // the buffer is new: it becomes a copy of the update
  double lr = 0, momentum = 0, dampening = 0, weight_decay = 0;
  bool nesterov = false;
};

struct AdamArgs {
  std::int64_t numel = 0;
  void* param = nullptr;
  const void* grad = nullptr;
  void* exp_avg = nullptr;
  void* exp_avg_sq = nullptr;
  void* max_exp_avg_sq = nullptr;  // nullptr without amsgrad
  double lr = 0, beta1 = 0, beta2 = 0, eps = 0, weight_decay = 0;
  bool decoupled = false;                    // AdamW: p ← p·(1 − lr·wd) before the moments
  std::int64_t step = 0;                     // the step count after this step
  const std::int64_t* unit_steps = nullptr;  // per-unit counts (after this step) instead
};

void sgd_update_cpu(DType dtype, const SgdArgs& args, const MaskArgs& mask);
void adam_update_cpu(DType dtype, const AdamArgs& args, const MaskArgs& mask);

// The same updates with the same arithmetic on GPU `device` (optim/cuda/update_kernels.cu),
// queued on its stream; every pointer is memory of that GPU, unit_steps included. Per-unit
// step counts take their bias corrections from the GPU's pow, which may differ from the CPU's
// in the last bit of a double. Built without CUDA, they throw mg::Error.
void sgd_update_cuda(int device, DType dtype, const SgdArgs& args, const MaskArgs& mask);
void adam_update_cuda(int device, DType dtype, const AdamArgs& args, const MaskArgs& mask);
// Adam's per-unit step counts on GPU `device`: steps[u] += 1 for every unit whose factor (of
// `dtype`) is not 0, or for every unit unless `strict`.
void count_unit_steps_cuda(int device, DType dtype, std::int64_t* steps, const void* factors,
                           std::int64_t count, bool strict);

}  // namespace mg::optim
