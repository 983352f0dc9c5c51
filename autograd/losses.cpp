#include "autograd/losses.h"

#include "autograd/elementwise.h"
#include "autograd/nn_functional.h"
#include "autograd/record.h"
#include "autograd/reductions.h"
#include "autograd/views.h"
#include "core/checks.h"
#include "core/creation.h"
#include "core/ops_loss.h"

namespace mg {

using namespace autograd;

namespace {

struct NllWithTotal {
  Tensor loss;
  Tensor total_weight;  // Σ weight[target] over the targets not ignored
};

NllWithTotal nll_loss_with_total(const Tensor& log_probs, const Tensor& target,
                                 const Tensor& weight, Reduction reduction,
                                 std::int64_t ignore_index) {
  native::NllLossResult result =
      native::nll_loss(log_probs, target, weight, reduction, ignore_index);
  if (!needs_graph({log_probs})) return {result.out, result.total_weight};
  Tensor loss =
      record("NllLossBackward", result.out, {log_probs},
             [shape = log_probs.shape(), st = SavedTensor(target), sw = SavedTensor(weight),
              total = result.total_weight, reduction, ignore_index](const Tensor& g, const Needs&) {
               return Grads{native::nll_loss_backward(g, shape, st.get(), sw.get(), reduction,
                                                      ignore_index, total)};
             });
  return {loss, result.total_weight};
}

// weight [C] viewed to broadcast along the class dim of an `ndim`-d input.
Tensor class_weight_view(const Tensor& weight, std::int64_t ndim, std::int64_t class_dim) {
  Shape shape(static_cast<std::size_t>(ndim), 1);
  shape[static_cast<std::size_t>(class_dim)] = weight.numel();
  return view(weight, shape);
}

Tensor reduce_loss(const Tensor& per_position, Reduction reduction, const Tensor& mean_divisor) {
  switch (reduction) {
    case Reduction::None:
      return per_position;
    case Reduction::Sum:
      return sum(per_position);
    case Reduction::Mean:
      break;
  }
  return div(sum(per_position), mean_divisor);
}

// Class-probability targets: same shape as the logits, floating point, no ignore_index.
void check_soft_target(const Tensor& logits, const Tensor& target,
                       const CrossEntropyOptions& options, std::int64_t class_dim) {
  const char* name = "cross_entropy";
  MG_CHECK(is_floating(target.dtype()), name,
           ": a target of the input's shape holds class probabilities and must be floating "
           "point, got ",
           describe(target), " for the input ", describe(logits));
  MG_CHECK(options.ignore_index < 0, name,
           ": ignore_index is not supported for class-probability targets, got ignore_index ",
           options.ignore_index);
  check_same_dtype(name, logits, target);
  if (!options.weight.defined()) return;
  const std::int64_t classes = logits.size(class_dim);
  MG_CHECK(options.weight.dim() == 1 && options.weight.size(0) == classes, name,
           ": expected a weight of shape [", classes, "] (one per class) for the input ",
           describe(logits), ", got ", describe(options.weight));
  check_same_dtype(name, logits, options.weight);
}

Tensor soft_target_cross_entropy(const Tensor& log_probs, const Tensor& target,
                                 const CrossEntropyOptions& options, std::int64_t class_dim) {
  const std::int64_t classes = log_probs.size(class_dim);
  const double eps = options.label_smoothing;
  const Tensor smoothed =
      eps > 0 ? add(mul(target, 1 - eps), eps / static_cast<double>(classes)) : target;
  Tensor weighted = mul(log_probs, smoothed);
  if (options.weight.defined()) {
    weighted = mul(weighted, class_weight_view(options.weight, log_probs.dim(), class_dim));
  }
  const std::int64_t positions = classes == 0 ? 0 : log_probs.numel() / classes;
  // An empty batch gives 0/0 = NaN for Mean, as in PyTorch.
  return reduce_loss(neg(sum(weighted, {class_dim})), options.reduction,
                     scalar_tensor(static_cast<double>(positions), log_probs.options()));
}

Tensor smoothed_class_cross_entropy(const Tensor& log_probs, const Tensor& target,
                                    const CrossEntropyOptions& options, std::int64_t class_dim) {
  const NllWithTotal nll = nll_loss_with_total(log_probs, target, options.weight, options.reduction,
                                               options.ignore_index);
  const Tensor weighted =
      options.weight.defined()
          ? mul(log_probs, class_weight_view(options.weight, log_probs.dim(), class_dim))
          : log_probs;
  // where, not a multiplication by a 0/1 mask: an ignored position may hold an infinite loss.
  const Tensor smooth = where(ne(target, static_cast<double>(options.ignore_index)),
                              neg(sum(weighted, {class_dim})), zeros({}, log_probs.options()));
  const double eps = options.label_smoothing;
  const auto classes = static_cast<double>(log_probs.size(class_dim));
  return add(mul(nll.loss, 1 - eps),
             mul(reduce_loss(smooth, options.reduction, nll.total_weight), eps / classes));
}

}  // namespace

Tensor nll_loss(const Tensor& log_probs, const Tensor& target, const NllLossOptions& options) {
  return nll_loss_with_total(log_probs, target, options.weight, options.reduction,
                             options.ignore_index)
      .loss;
}

Tensor cross_entropy(const Tensor& logits, const Tensor& target,
                     const CrossEntropyOptions& options) {
  const char* name = "cross_entropy";
  check_defined(name, logits, "input");
  check_defined(name, target, "target");
  MG_CHECK(logits.dim() >= 1, name, ": expected an input of shape [N, C, *] or [C], got ",
           describe(logits));
  MG_CHECK(options.label_smoothing >= 0 && options.label_smoothing <= 1, name,
           ": label_smoothing must be between 0.0 and 1.0, got ", options.label_smoothing);
  const std::int64_t class_dim = logits.dim() == 1 ? 0 : 1;
  const bool soft = target.shape() == logits.shape();
  if (soft) check_soft_target(logits, target, options, class_dim);
  const Tensor log_probs = log_softmax(logits, class_dim);
  if (soft) return soft_target_cross_entropy(log_probs, target, options, class_dim);
  if (options.label_smoothing > 0) {
    return smoothed_class_cross_entropy(log_probs, target, options, class_dim);
  }
  return nll_loss(log_probs, target, {options.weight, options.ignore_index, options.reduction});
}

}  // namespace mg
