#include "core/ops_linalg.h"

#include "core/backend.h"
#include "core/checks.h"
#include "core/creation.h"
#include "core/ops_copy.h"
#include "core/ops_view.h"

namespace mg::native {

namespace {
// BLAS reads a matrix with unit stride along its rows or its columns; anything else is copied.
Tensor blas_compatible(const Tensor& x) {
  const std::int64_t rows = x.size(-2), cols = x.size(-1);
  const std::int64_t row_stride = x.stride(-2), col_stride = x.stride(-1);
  const bool row_major =
      col_stride == 1 && (rows <= 1 || row_stride >= std::max<std::int64_t>(cols, 1));
  const bool col_major =
      row_stride == 1 && (cols <= 1 || col_stride >= std::max<std::int64_t>(rows, 1));
  return row_major || col_major ? x : contiguous(x);
}
}  // namespace

Tensor matmul(const Tensor& a, const Tensor& b) {
  check_defined("matmul", a, "first operand");
  check_defined("matmul", b, "second operand");
  check_same_device("matmul", {&a, &b});
  MG_CHECK(a.dim() >= 2 && b.dim() >= 2, "matmul: expected operands of at least 2 dims, got ",
           describe(a), " and ", describe(b));
  check_floating("matmul", a);
  check_same_dtype("matmul", a, b);
  const std::int64_t m = a.size(-2), k = a.size(-1), n = b.size(-1);
  MG_CHECK(b.size(-2) == k, "matmul: inner dimensions differ: ", describe(a), " and ", describe(b),
           " (", k, " vs ", b.size(-2), ")");
  const Shape batch_a(a.shape().begin(), a.shape().end() - 2);
  const Shape batch_b(b.shape().begin(), b.shape().end() - 2);
  Shape shape = broadcast_shapes(batch_a, batch_b, "matmul");
  Shape shape_a = shape, shape_b = shape;
  shape_a.insert(shape_a.end(), {m, k});
  shape_b.insert(shape_b.end(), {k, n});
  shape.insert(shape.end(), {m, n});
  Tensor out = empty(shape, a.options());
  backend_for(a.device())
      .matmul(expand(blas_compatible(a), shape_a), expand(blas_compatible(b), shape_b), out);
  return out;
}

}  // namespace mg::native
