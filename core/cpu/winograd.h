#pragma once

#include "core/cpu/conv_geometry.h"

// Winograd F(2×2, 3×3) convolution (Lavin & Gray, 2016): each 2×2 block of outputs comes from a
// 4×4 input tile with 16 multiplications per channel pair instead of 36, so 3×3 convolutions
// need 2.25× fewer multiply-adds than im2col. The products become 16 GEMMs (one per position
// in the transformed 4×4 tile) over channels, run through BLAS.
namespace mg::cpu {

// 2-D, 3×3 kernel, unit stride and dilation, enough channels per group that the GEMMs (whose
// inner size is the input channels) run near BLAS's peak, and enough tiles of 2×2 outputs (more
// than channels / 16; so never for an empty batch) to pay for transforming the weights.
bool winograd_applies(const ConvGeometry& g);

// out = conv(x, weight) + bias (bias may be null); all contiguous.
template <typename T>
void winograd_conv(const ConvGeometry& g, const T* x, const T* weight, const T* bias, T* out);

// grad_weight of that convolution, written (not accumulated).
template <typename T>
void winograd_conv_grad_weight(const ConvGeometry& g, const T* grad_out, const T* x,
                               T* grad_weight);

}  // namespace mg::cpu
