#include "autograd/record.h"

#include "autograd/grad_mode.h"
#include "core/ops_reduction.h"
#include "core/ops_view.h"

namespace mg::autograd {

bool needs_graph(const std::vector<Tensor>& inputs) {
  if (!GradMode::is_enabled()) return false;
  for (const Tensor& input : inputs) {
    if (input.defined() && input.requires_grad()) return true;
  }
  return false;
}

namespace {
std::shared_ptr<FunctionNode> make_node(const char* name, const std::vector<Tensor>& inputs,
                                        BackwardFn backward) {
  std::vector<Edge> edges;
  std::vector<InputInfo> infos;
  edges.reserve(inputs.size());
  infos.reserve(inputs.size());
  for (const Tensor& input : inputs) {
    edges.push_back(gradient_edge(input));
    infos.push_back(input.defined() ? InputInfo{input.shape(), input.dtype(), input.device()}
                                    : InputInfo{});
  }
  return std::make_shared<FunctionNode>(name, std::move(edges), std::move(infos),
                                        std::move(backward));
}

// Makes `node` the producer of `out`. The tensor gets a fresh hook list that the node shares:
// hooks registered from now on see the gradient of this value of `out`.
void attach(const Tensor& out, std::shared_ptr<FunctionNode> node) {
  AutogradMeta& meta = out.impl()->ensure_autograd_meta();
  meta.hooks = std::make_shared<GradHooks>();
  node->hooks = meta.hooks;
  node->output = out.impl()->weak_autograd_meta();
  meta.grad_fn = std::move(node);
}
}  // namespace

Tensor record(const char* name, Tensor out, const std::vector<Tensor>& inputs,
              BackwardFn backward) {
  if (!needs_graph(inputs)) return out;
  MG_CHECK(is_floating(out.dtype()), name, ": cannot differentiate an op whose result is ",
           describe(out));
  attach(out, make_node(name, inputs, std::move(backward)));
  return out;
}

void check_in_place(const char* name, const Tensor& self, const std::vector<Tensor>& others) {
  if (!GradMode::is_enabled()) return;
  const TensorImpl& impl = *self.impl();
  const bool base_in_graph = impl.is_view() && Tensor(impl.view_base()).requires_grad();
  std::vector<Tensor> all = others;
  all.push_back(self);
  if (!needs_graph(all) && !base_in_graph) return;
  MG_CHECK(!(self.is_leaf() && self.requires_grad()), name,
           ": a leaf tensor that requires gradients cannot be modified in place; do it under a "
           "NoGradGuard, or on a clone");
  MG_CHECK(!impl.is_view(), name, ": in-place modification of a view of a tensor in the graph is ",
           "not differentiable in maskgrad (the base's history would not see it); apply the op "
           "out of place");
}

void record_in_place(const char* name, const Tensor& self, const std::vector<Tensor>& others,
                     BackwardFn backward) {
  std::vector<Tensor> inputs{self};
  inputs.insert(inputs.end(), others.begin(), others.end());
  if (!needs_graph(inputs)) return;
  auto node = make_node(name, inputs, std::move(backward));
  // The previous node no longer produces this tensor's value: it keeps the hooks registered so
  // far (they see the gradient of the old value, as in PyTorch), and retain_grad moves on.
  if (auto previous = self.grad_fn()) previous->output.reset();
  attach(self, std::move(node));
  // Other tensors on this storage (views taken before) keep a history that no longer matches.
  self.impl()->set_graph_version(self.storage()->bump_graph_version());
}

Tensor sum_to(const Tensor& grad, const Shape& shape) {
  if (grad.shape() == shape) return grad;
  const std::int64_t lead = grad.dim() - static_cast<std::int64_t>(shape.size());
  Shape dims;
  for (std::int64_t d = 0; d < grad.dim(); ++d) {
    if (d < lead || (shape[d - lead] == 1 && grad.size(d) != 1)) dims.push_back(d);
  }
  Tensor summed = dims.empty() ? grad : native::reduce(ReduceOp::Sum, grad, dims, true);
  return native::reshape(summed, shape);
}

}  // namespace mg::autograd
