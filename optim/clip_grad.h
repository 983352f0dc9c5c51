#pragma once

#include <limits>
#include <vector>

#include "core/tensor.h"
#include "layers/module.h"

// Gradient clipping with torch.nn.utils semantics. Parameters without a gradient are skipped;
// the gradients are changed in place.
namespace mg::optim {

constexpr double kInfNorm = std::numeric_limits<double>::infinity();

// Scales every gradient by min(1, max_norm / (total_norm + 1e-6)), where total_norm is the
// norm_type-norm of all gradients together (the norm of the per-gradient norms; kInfNorm gives
// the largest |g|), and returns total_norm as a 0-d tensor in the gradients' dtype (a float32 0
// when no parameter has a gradient). Gradients on other devices have their norms moved to the
// first gradient's device, as in PyTorch. With error_if_nonfinite a NaN or infinite total norm is
// an mg::Error and nothing is scaled; without it the gradients become NaN, as in PyTorch.
// Deviation: max_norm must be >= 0 and norm_type >= 0 or kInfNorm (PyTorch accepts negative
// ones).
Tensor clip_grad_norm_(const std::vector<Tensor>& parameters, double max_norm,
                       double norm_type = 2.0, bool error_if_nonfinite = false);
Tensor clip_grad_norm_(const std::vector<nn::NamedParameter>& parameters, double max_norm,
                       double norm_type = 2.0, bool error_if_nonfinite = false);

// Clamps every gradient entry to [-clip_value, clip_value]. Deviation: clip_value must be >= 0.
void clip_grad_value_(const std::vector<Tensor>& parameters, double clip_value);
void clip_grad_value_(const std::vector<nn::NamedParameter>& parameters, double clip_value);

}  // namespace mg::optim
