#include "autograd/engine.h"

#include <queue>
#include <unordered_map>

#include "autograd/grad_mode.h"
#include "autograd/node.h"
#include "core/creation.h"
#include "core/ops_copy.h"
#include "core/ops_elementwise.h"

namespace mg::autograd {

namespace {

struct LaterFirst {
  bool operator()(const Node* a, const Node* b) const {
    return a->sequence_nr() < b->sequence_nr();
  }
};

// Number of edges that reach each node from the nodes reachable from `roots`.
std::unordered_map<Node*, int> count_dependencies(const std::vector<Node*>& roots) {
  std::unordered_map<Node*, int> dependencies;
  std::vector<Node*> stack;
  std::unordered_map<Node*, bool> seen;
  for (Node* root : roots) {
    if (!seen[root]) stack.push_back(root);  // a root given twice is still one node
    seen[root] = true;
  }
  while (!stack.empty()) {
    Node* node = stack.back();
    stack.pop_back();
    for (const Edge& edge : node->next_edges()) {
      Node* next = edge.node.get();
      if (next == nullptr) continue;
      ++dependencies[next];
      if (!seen[next]) {
        seen[next] = true;
        stack.push_back(next);
      }
    }
  }
  return dependencies;
}

void check_gradient(const Node& node, std::size_t input, const Tensor& grad) {
  const InputInfo& info = node.inputs()[input];
  MG_CHECK(grad.shape() == info.shape && grad.dtype() == info.dtype, "backward of ", node.name(),
           ": the gradient for input ", input, " is ", describe(grad), " but the input was ",
           info.dtype, info.shape);
}

// Runs hooks and retain_grad of the tensor `node` produced.
Tensor visit_output(const Node& node, Tensor grad) {
  grad = run_hooks(node.hooks.get(), std::move(grad));
  std::shared_ptr<AutogradMeta> meta = node.output.lock();
  if (meta && meta->retains_grad) {
    if (meta->grad.defined()) {
      native::binary_(BinaryOp::Add, meta->grad, grad);
    } else {
      meta->grad = native::clone(grad);
    }
  }
  return grad;
}

Tensor root_gradient(const Tensor& root, const Tensor& given, std::size_t index) {
  MG_CHECK(root.defined(), "backward: root ", index, " is an undefined tensor");
  MG_CHECK(root.requires_grad(), "backward: root ", index, " (", describe(root),
           ") does not require gradients and has no grad_fn");
  if (!given.defined()) {
    MG_CHECK(root.numel() == 1, "backward: a gradient can be created implicitly only for ",
             "one-element roots; pass one for ", describe(root));
    return ones_like(root);
  }
  MG_CHECK(given.shape() == root.shape(), "backward: the gradient ", describe(given),
           " does not match root ", index, " ", describe(root));
  return native::to(given, root.dtype());
}

}  // namespace

void backward(const std::vector<Tensor>& roots, const std::vector<Tensor>& grad_roots,
              bool retain_graph) {
  MG_CHECK(grad_roots.empty() || grad_roots.size() == roots.size(), "backward: ", roots.size(),
           " roots but ", grad_roots.size(), " gradients");
  NoGradGuard no_grad;
  std::unordered_map<Node*, Tensor> buffers;
  std::vector<std::shared_ptr<Node>> root_nodes;
  std::vector<Node*> root_ptrs;
  for (std::size_t i = 0; i < roots.size(); ++i) {
    Tensor grad = root_gradient(roots[i], grad_roots.empty() ? Tensor() : grad_roots[i], i);
    std::shared_ptr<Node> node = gradient_edge(roots[i]).node;
    Tensor& buffer = buffers[node.get()];
    buffer = buffer.defined() ? native::binary(BinaryOp::Add, buffer, grad) : grad;
    root_ptrs.push_back(node.get());
    root_nodes.push_back(std::move(node));
  }

  std::unordered_map<Node*, int> dependencies = count_dependencies(root_ptrs);
  std::priority_queue<Node*, std::vector<Node*>, LaterFirst> ready;
  for (Node* root : root_ptrs) {
    if (dependencies[root] == 0 && buffers.count(root)) ready.push(root);
  }
  std::vector<std::shared_ptr<Node>> executed;
  std::unordered_map<Node*, bool> queued;
  while (!ready.empty()) {
    Node* node = ready.top();
    ready.pop();
    if (queued[node]) continue;
    queued[node] = true;
    Tensor grad = std::move(buffers[node]);
    buffers.erase(node);
    std::vector<Tensor> input_grads;
    if (grad.defined()) {
      grad = visit_output(*node, std::move(grad));
      try {
        input_grads = node->apply(std::move(grad));
      } catch (const Error& error) {
        throw Error(str("backward of ", node->name(), ": ", error.what()));
      }
    }
    const auto& edges = node->next_edges();
    MG_CHECK(input_grads.empty() || input_grads.size() == edges.size(), "backward of ",
             node->name(), ": returned ", input_grads.size(), " gradients for ", edges.size(),
             " inputs");
    for (std::size_t i = 0; i < edges.size(); ++i) {
      Node* next = edges[i].node.get();
      if (next == nullptr) continue;
      if (!input_grads.empty() && input_grads[i].defined()) {
        check_gradient(*node, i, input_grads[i]);
        Tensor& buffer = buffers[next];
        buffer = buffer.defined() ? native::binary(BinaryOp::Add, buffer, input_grads[i])
                                  : std::move(input_grads[i]);
      }
      if (--dependencies[next] == 0) ready.push(next);
    }
    for (const Edge& edge : edges) {
      if (edge.node) executed.push_back(edge.node);
    }
  }
  if (!retain_graph) {
    for (const auto& node : root_nodes) node->release();
    for (const auto& node : executed) node->release();
  }
}

}  // namespace mg::autograd

namespace mg {

void backward(const Tensor& root, const Tensor& grad, bool retain_graph) {
  autograd::backward({root}, {grad}, retain_graph);
}

}  // namespace mg
