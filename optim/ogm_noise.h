#pragma once

#include "core/generator.h"
#include "core/tensor.h"

// OGM-GE's gradient update g ← k·g + ε, ε ~ N(0, σ²) element-wise (optim/ogm.h), as one fused
// pass on the CPU: the noise comes straight from the Philox stream of `generator` (one counter
// per 4 elements, as normal_ reserves for float32) through a float32 Box-Muller whose log, sin
// and cos are short polynomials the compiler vectorises, written into a fresh tensor of g's shape
// and dtype. normal_'s kernel evaluates std::log, std::cos and std::sin in float64 per pair and
// the unfused form needs four more passes (zeros, normal_, mul, add); on the AV classifier this
// was ~29% of an OGM-GE step.
//
// The normals are exact Box-Muller up to float rounding (polynomial errors below 1e-7
// relative), with u1 ∈ [2^-25, 1) so |ε| ≤ 5.9σ (a standard normal exceeds 5.9 with probability
// 4e-9). The stream differs from normal_'s: same seed, other numbers. Float64 gradients get the
// same float32 normals; other devices and non-contiguous gradients take the unfused ops.
namespace mg::optim {

Tensor scaled_plus_noise(const Tensor& grad, double coefficient, double sigma,
                         Generator& generator);

}  // namespace mg::optim
