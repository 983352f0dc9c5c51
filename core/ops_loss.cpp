#include "core/ops_loss.h"

#include "core/checks.h"
#include "core/creation.h"
#include "core/ops_copy.h"
#include "core/ops_view.h"

namespace mg::native {

namespace {

// The loss as the kernels see it: input [N, C, S], target [N, S].
struct NllLayout {
  std::int64_t batch, classes, spatial;
};

// Error messages name the input as "float32[2, 3]" (formatted only when a check fails).
NllLayout check_nll_arguments(const char* name, const Shape& input_shape, DType dtype,
                              const Tensor& target, const Tensor& weight) {
  check_defined(name, target, "target");
  check_dtype(name, target, kInt64, "target");
  const auto ndim = static_cast<std::int64_t>(input_shape.size());
  MG_CHECK(ndim >= 1, name, ": expected an input of shape [N, C, *] or [C], got ", dtype,
           input_shape);
  NllLayout layout{1, input_shape[ndim == 1 ? 0 : 1], 1};
  if (ndim == 1) {
    MG_CHECK(target.dim() == 0, name, ": expected a 0-d target for the unbatched input ", dtype,
             input_shape, ", got ", describe(target));
  } else {
    layout.batch = input_shape[0];
    Shape expected{input_shape[0]};
    expected.insert(expected.end(), input_shape.begin() + 2, input_shape.end());
    MG_CHECK(target.shape() == expected, name, ": expected a target of shape ", expected,
             " for the input ", dtype, input_shape, ", got ", describe(target));
    for (std::int64_t d = 2; d < ndim; ++d) layout.spatial *= input_shape[d];
  }
  if (weight.defined()) {
    MG_CHECK(weight.dim() == 1 && weight.size(0) == layout.classes, name,
             ": expected a weight of shape [", layout.classes, "] (one per class) for the input ",
             dtype, input_shape, ", got ", describe(weight));
    MG_CHECK(weight.dtype() == dtype, name, ": expected weight to be ", dtype, " like the input ",
             dtype, input_shape, ", got ", describe(weight));
  }
  return layout;
}

// Every target must name a class or be ignore_index; checked before any kernel indexes with
// it (on a CPU copy for other devices).
void check_targets(const char* name, const Tensor& target, std::int64_t classes,
                   std::int64_t ignore_index, DType dtype, const Shape& input_shape) {
  const Tensor host = contiguous(to(target, Device::cpu()));
  const std::int64_t* t = host.data_ptr<std::int64_t>();
  for (std::int64_t i = 0; i < host.numel(); ++i) {
    MG_CHECK(t[i] == ignore_index || (t[i] >= 0 && t[i] < classes), name, ": target ", t[i],
             " is out of bounds for ", classes, " classes (input ", dtype, input_shape,
             ", ignore_index ", ignore_index, ")");
  }
}

}  // namespace

NllLossResult nll_loss(const Tensor& input, const Tensor& target, const Tensor& weight,
                       Reduction reduction, std::int64_t ignore_index) {
  const char* name = "nll_loss";
  check_defined(name, input, "input");
  check_floating(name, input);
  check_same_device(name, {&input, &target, &weight});
  const NllLayout l = check_nll_arguments(name, input.shape(), input.dtype(), target, weight);
  check_targets(name, target, l.classes, ignore_index, input.dtype(), input.shape());
  NllLossResult result{
      empty(reduction == Reduction::None ? target.shape() : Shape{}, input.options()),
      empty({}, input.options())};
  const Tensor out =
      reduction == Reduction::None ? view(result.out, {l.batch, l.spatial}) : result.out;
  backend_for(input.device())
      .nll_loss(view(contiguous(input), {l.batch, l.classes, l.spatial}),
                view(contiguous(target), {l.batch, l.spatial}),
                weight.defined() ? contiguous(weight) : Tensor(), reduction, ignore_index, out,
                result.total_weight);
  return result;
}

Tensor nll_loss_backward(const Tensor& grad_out, const Shape& input_shape, const Tensor& target,
                         const Tensor& weight, Reduction reduction, std::int64_t ignore_index,
                         const Tensor& total_weight) {
  const char* name = "nll_loss_backward";
  check_defined(name, grad_out, "grad_output");
  check_defined(name, total_weight, "total_weight");
  check_floating(name, grad_out);
  check_same_device(name, {&grad_out, &target, &weight, &total_weight});
  const NllLayout l = check_nll_arguments(name, input_shape, grad_out.dtype(), target, weight);
  const Shape out_shape = reduction == Reduction::None ? target.shape() : Shape{};
  MG_CHECK(grad_out.shape() == out_shape, name, ": expected grad_output of shape ", out_shape,
           ", got ", describe(grad_out));
  MG_CHECK(total_weight.numel() == 1 && total_weight.dtype() == grad_out.dtype(), name,
           ": expected a one-element total_weight of ", grad_out.dtype(), ", got ",
           describe(total_weight));
  check_targets(name, target, l.classes, ignore_index, grad_out.dtype(), input_shape);
  Tensor grad_input = empty(input_shape, grad_out.options());
  const Tensor g =
      reduction == Reduction::None ? view(contiguous(grad_out), {l.batch, l.spatial}) : grad_out;
  backend_for(grad_out.device())
      .nll_loss_backward(g, view(contiguous(target), {l.batch, l.spatial}),
                         weight.defined() ? contiguous(weight) : Tensor(), reduction, ignore_index,
                         total_weight, view(grad_input, {l.batch, l.classes, l.spatial}));
  return grad_input;
}

}  // namespace mg::native
