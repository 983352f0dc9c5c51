#include "autograd/linalg.h"

#include "autograd/elementwise.h"
#include "autograd/record.h"
#include "autograd/views.h"
#include "core/checks.h"
#include "core/ops_linalg.h"

namespace mg {

using namespace autograd;

namespace {
// Both operands at least 2-d.
Tensor matmul_nd(const Tensor& a, const Tensor& b) {
  Tensor out = native::matmul(a, b);
  if (!autograd::needs_graph({a, b})) return out;
  SavedTensor saved_a(b.requires_grad() ? a : Tensor()), saved_b(a.requires_grad() ? b : Tensor());
  return autograd::record(
      "MatmulBackward", out, {a, b},
      [saved_a, saved_b, shape_a = a.shape(), shape_b = b.shape()](const Tensor& g,
                                                                   const Needs& needs) {
        Tensor grad_a, grad_b;
        if (needs[0])
          grad_a = autograd::sum_to(matmul_nd(g, transpose(saved_b.get(), -1, -2)), shape_a);
        if (needs[1])
          grad_b = autograd::sum_to(matmul_nd(transpose(saved_a.get(), -1, -2), g), shape_b);
        return Grads{grad_a, grad_b};
      });
}
}  // namespace

Tensor matmul(const Tensor& a, const Tensor& b) {
  check_defined("matmul", a, "first operand");
  check_defined("matmul", b, "second operand");
  MG_CHECK(a.dim() >= 1 && b.dim() >= 1, "matmul: 0-d operands are not supported, got ",
           describe(a), " and ", describe(b));
  if (a.dim() >= 3 && b.dim() == 2) {
    // [..., n, k] × [k, m]: fold the batch dims into the rows, as PyTorch does, so forward and
    // both gradients are one GEMM each instead of one per batch entry followed (for b's gradient)
    // by a sum over the batch.
    Shape rows_shape = a.shape();
    rows_shape.pop_back();
    const Tensor out = matmul_nd(reshape(a, {numel(rows_shape), a.size(-1)}), b);
    rows_shape.push_back(b.size(1));
    return reshape(out, rows_shape);
  }
  Tensor out = matmul_nd(a.dim() == 1 ? unsqueeze(a, 0) : a, b.dim() == 1 ? unsqueeze(b, -1) : b);
  if (b.dim() == 1) out = squeeze(out, -1);
  if (a.dim() == 1) out = squeeze(out, a.dim() == 1 && b.dim() == 1 ? -1 : -2);
  return out;
}

Tensor mm(const Tensor& a, const Tensor& b) {
  check_defined("mm", a, "first operand");
  check_defined("mm", b, "second operand");
  MG_CHECK(a.dim() == 2 && b.dim() == 2, "mm: expected 2-d operands, got ", describe(a), " and ",
           describe(b));
  return matmul(a, b);
}

Tensor bmm(const Tensor& a, const Tensor& b) {
  check_defined("bmm", a, "first operand");
  check_defined("bmm", b, "second operand");
  MG_CHECK(a.dim() == 3 && b.dim() == 3 && a.size(0) == b.size(0),
           "bmm: expected 3-d operands with one batch size, got ", describe(a), " and ",
           describe(b));
  return matmul(a, b);
}

Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias) {
  check_defined("linear", x, "input");
  check_defined("linear", weight, "weight");
  check_dim("linear", weight, 2, "weight");
  MG_CHECK(x.dim() >= 1 && x.size(-1) == weight.size(1), "linear: input ", describe(x),
           " does not match weight ", describe(weight), " (in_features ", weight.size(1), ")");
  Tensor out = matmul(x, t(weight));
  return bias.defined() ? add(out, bias) : out;
}

}  // namespace mg
