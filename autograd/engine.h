#pragma once

#include <vector>

#include "core/tensor.h"

namespace mg::autograd {

// Computes the gradients of `roots` with respect to every leaf that requires them and adds them
// to the leaves' grad(). `grad_roots` gives dL/d(root) for each root; it may be omitted (or hold
// undefined tensors) for one-element roots, which then get 1. The graph is freed afterwards
// unless `retain_graph`.
void backward(const std::vector<Tensor>& roots, const std::vector<Tensor>& grad_roots = {},
              bool retain_graph = false);

}  // namespace mg::autograd

namespace mg {

// loss.backward() in PyTorch: backward({root}, {grad}, retain_graph).
void backward(const Tensor& root, const Tensor& grad = {}, bool retain_graph = false);

}  // namespace mg
