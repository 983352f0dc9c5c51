#pragma once

#include <functional>
#include <memory>
#include <vector>

#include "core/tensor.h"

namespace mg {

namespace autograd {
class Node;
}

// A gradient hook: gets the gradient flowing into a tensor and returns a replacement, or an
// undefined tensor to keep it.
using GradHook = std::function<Tensor(const Tensor&)>;
// Shared between a tensor and the node that produced it, so hooks run even when the tensor's
// last handle is gone before backward (as in PyTorch).
using GradHooks = std::vector<GradHook>;

// The autograd state a tensor carries. The graph itself (nodes, engine, rules) lives in
// autograd/; core only stores the pointers so that a Tensor can answer grad() and requires_grad().
struct AutogradMeta {
  bool requires_grad = false;  // a leaf the user asked gradients for
  bool retains_grad = false;   // a non-leaf whose gradient is kept in `grad` (retain_grad())
  Tensor grad;
  std::shared_ptr<autograd::Node> grad_fn;         // the node that produced it; null for leaves
  std::weak_ptr<autograd::Node> grad_accumulator;  // leaves: the node that accumulates `grad`
  std::shared_ptr<GradHooks> hooks;                // created on first use
};

}  // namespace mg
