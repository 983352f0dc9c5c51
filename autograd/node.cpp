#include "autograd/node.h"

#include <atomic>

#include "core/ops_copy.h"
#include "core/ops_elementwise.h"

namespace mg::autograd {

namespace {
std::atomic<std::uint64_t> next_sequence_nr{0};
}

Node::Node(const char* name, std::vector<Edge> next_edges, std::vector<InputInfo> inputs)
    : name_(name),
      next_edges_(std::move(next_edges)),
      inputs_(std::move(inputs)),
      sequence_nr_(next_sequence_nr++) {}

Node::~Node() {
  // Destroying a long chain recursively (each node dropping the last reference to the next)
  // would overflow the stack; the outermost destructor releases the chain in a loop instead.
  thread_local bool releasing = false;
  thread_local std::vector<std::shared_ptr<Node>> pending;
  for (Edge& edge : next_edges_) {
    if (edge.node) pending.push_back(std::move(edge.node));
  }
  if (releasing) return;
  releasing = true;
  while (!pending.empty()) {
    std::shared_ptr<Node> next = std::move(pending.back());
    pending.pop_back();
  }
  releasing = false;
}

FunctionNode::FunctionNode(const char* name, std::vector<Edge> next_edges,
                           std::vector<InputInfo> inputs, BackwardFn backward)
    : Node(name, std::move(next_edges), std::move(inputs)), backward_(std::move(backward)) {
  for (const Edge& edge : this->next_edges()) needs_.push_back(edge.node != nullptr);
}

std::vector<Tensor> FunctionNode::apply(Tensor grad) {
  MG_CHECK(backward_ != nullptr, "trying to run the backward pass of ", name(),
           " a second time: its saved tensors were freed after the first; pass "
           "retain_graph=true to the first backward call to keep them");
  return backward_(grad, needs_);
}

AccumulateGrad::AccumulateGrad(const Tensor& leaf)
    : Node("AccumulateGrad", {}, {InputInfo{leaf.shape(), leaf.dtype(), leaf.device()}}),
      meta_(leaf.impl()->weak_autograd_meta().lock()) {}

std::vector<Tensor> AccumulateGrad::apply(Tensor grad) {
  grad = run_hooks(meta_->hooks.get(), std::move(grad));
  if (!grad.defined()) return {};
  if (!meta_->grad.defined()) {
    // The engine hands over a gradient nobody else holds: keep it rather than copy it, unless
    // it is a part of a larger storage that keeping it would pin.
    const bool exclusive = grad.impl_ptr().use_count() == 1 && grad.storage().use_count() == 1 &&
                           grad.is_contiguous() && grad.storage_offset() == 0 &&
                           grad.storage()->nbytes() ==
                               static_cast<std::size_t>(grad.numel()) * element_size(grad.dtype());
    meta_->grad = exclusive ? std::move(grad) : native::clone(grad);
  } else {
    native::binary_(BinaryOp::Add, meta_->grad, grad);
  }
  return {};
}

Edge gradient_edge(const Tensor& tensor) {
  if (!tensor.defined() || !tensor.requires_grad()) return {};
  MG_CHECK(tensor.impl()->graph_version() == tensor.storage()->graph_version(), describe(tensor),
           " was created before an in-place op that joined the graph changed the memory it "
           "shares (e.g. a view taken before its base was modified in place): its gradient "
           "would be wrong; take it again after the in-place op");
  if (auto fn = tensor.grad_fn()) return {std::move(fn)};
  AutogradMeta& meta = tensor.impl()->ensure_autograd_meta();
  std::shared_ptr<Node> accumulator = meta.grad_accumulator.lock();
  if (!accumulator) {
    accumulator = std::make_shared<AccumulateGrad>(tensor);
    meta.grad_accumulator = accumulator;
  }
  return {std::move(accumulator)};
}

Tensor run_hooks(const GradHooks* hooks, Tensor grad) {
  if (hooks == nullptr) return grad;
  for (const GradHook& hook : *hooks) {
    Tensor replaced = hook(grad);
    if (!replaced.defined()) continue;
    MG_CHECK(replaced.shape() == grad.shape() && replaced.dtype() == grad.dtype(),
             "a hook replaced the gradient ", describe(grad), " with ", describe(replaced),
             "; it must keep the shape and dtype");
    grad = std::move(replaced);
  }
  return grad;
}

}  // namespace mg::autograd
