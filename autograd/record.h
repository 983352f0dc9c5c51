#pragma once

#include <vector>

#include "autograd/node.h"
#include "autograd/saved_tensor.h"
#include "core/tensor.h"

// How a differentiable op joins the graph. Each op in autograd/ computes its result with the raw
// (mg::native) op, then calls record() with the inputs and a backward rule written with
// differentiable ops. Nothing is recorded when grad mode is off or no input requires gradients.
namespace mg::autograd {

// What a backward rule returns (one gradient per input) and what it is told (which inputs want
// one). The op files bring this whole namespace in with `using namespace autograd;`.
using Grads = std::vector<Tensor>;
using Needs = std::vector<bool>;

// True when recording `inputs` would build a graph.
bool needs_graph(const std::vector<Tensor>& inputs);

// Makes `out` the output of a new node named `name` whose inputs are `inputs`.
Tensor record(const char* name, Tensor out, const std::vector<Tensor>& inputs, BackwardFn backward);

// For an in-place op that has just changed `self`: the new node takes the gradient of `self`,
// passes grads[0] on to what `self` was before and the other gradients to `others`.
void record_in_place(const char* name, const Tensor& self, const std::vector<Tensor>& others,
                     BackwardFn backward);

// Throws unless an in-place op named `name` may modify `self`: a leaf that requires gradients,
// or a view of a tensor in the graph, cannot be modified in place while grad mode is on.
void check_in_place(const char* name, const Tensor& self, const std::vector<Tensor>& others);

// Sums `grad` over the dims that broadcasting added or expanded, so it gets `shape`.
Tensor sum_to(const Tensor& grad, const Shape& shape);

}  // namespace mg::autograd
