#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "core/autograd_meta.h"
#include "core/tensor.h"

namespace mg::autograd {

class Node;

// Where the gradient for one input of a node goes: the node that produced that input (or the
// accumulator of a leaf); null when the input needs no gradient.
struct Edge {
  std::shared_ptr<Node> node;
};

// What the engine checks each returned gradient against.
struct InputInfo {
  Shape shape;
  DType dtype;
  Device device;
};

// One recorded op in the graph. Every node has exactly one output (ops with several results
// record one node per result), which keeps the engine and the rules simple.
class Node {
 public:
  Node(const char* name, std::vector<Edge> next_edges, std::vector<InputInfo> inputs);
  virtual ~Node();
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  const char* name() const { return name_; }
  const std::vector<Edge>& next_edges() const { return next_edges_; }
  const std::vector<InputInfo>& inputs() const { return inputs_; }
  // Order of creation: the engine runs later nodes first when several are ready.
  std::uint64_t sequence_nr() const { return sequence_nr_; }

  // The gradients of the node's inputs, given the gradient of its output; an undefined entry
  // means "zero".
  virtual std::vector<Tensor> apply(Tensor grad) = 0;
  // Frees what only another backward pass would need (saved tensors).
  virtual void release() {}

  // The hooks of the tensor this node produced: they see the gradient first, and live as long as
  // the node does.
  std::shared_ptr<GradHooks> hooks;
  // That tensor itself, for retain_grad(). Weak, because the tensor holds this node.
  std::weak_ptr<AutogradMeta> output;

 private:
  const char* name_;
  std::vector<Edge> next_edges_;
  std::vector<InputInfo> inputs_;
  std::uint64_t sequence_nr_;
};

// A backward rule: input gradients from the output gradient. `needs[i]` says whether input i
// wants one, so a rule can skip work (and return an undefined tensor there).
using BackwardFn =
    std::function<std::vector<Tensor>(const Tensor& grad, const std::vector<bool>& needs)>;

// The node of an ordinary op: its rule is a closure holding the saved tensors it needs.
class FunctionNode final : public Node {
 public:
  FunctionNode(const char* name, std::vector<Edge> next_edges, std::vector<InputInfo> inputs,
               BackwardFn backward);
  std::vector<Tensor> apply(Tensor grad) override;
  void release() override { backward_ = nullptr; }

 private:
  BackwardFn backward_;
  std::vector<bool> needs_;
};

// The sink of a leaf that requires gradients: runs the leaf's hooks, then adds the gradient to
// its grad().
class AccumulateGrad final : public Node {
 public:
  explicit AccumulateGrad(const Tensor& leaf);
  std::vector<Tensor> apply(Tensor grad) override;

 private:
  std::shared_ptr<AutogradMeta> meta_;
};

// The edge a gradient for `tensor` should follow: its grad_fn, or its leaf accumulator (created
// on first use). Null edge when it does not require gradients.
Edge gradient_edge(const Tensor& tensor);

// Runs `hooks` (may be null) on `grad` and returns the (possibly replaced) gradient; a
// replacement must keep the gradient's shape and dtype.
Tensor run_hooks(const GradHooks* hooks, Tensor grad);

}  // namespace mg::autograd
