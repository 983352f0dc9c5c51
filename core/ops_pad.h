#pragma once

#include <cstdint>
#include <vector>

#include "core/tensor.h"

// Constant padding, torch.nn.functional.pad(x, pads, mode="constant", value). The raw version;
// autograd/ops.h has the differentiable one.
namespace mg::native {

// A copy of x with `value` added around it. `pads` lists (before, after) pairs starting from the
// LAST dim, as in PyTorch: {left, right, top, bottom, ...}; its length is even and at most
// 2·x.dim(). A negative pad crops that side instead. As in PyTorch, a dim may not be cropped by
// more than its size. `value` is converted to x's dtype (truncated for integers).
Tensor pad(const Tensor& x, const std::vector<std::int64_t>& pads, double value = 0);

}  // namespace mg::native
