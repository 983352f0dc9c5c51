#include <cblas.h>

#include "core/cpu/cpu_backend.h"

namespace mg::cpu {

namespace {

// One operand as BLAS sees it: transposed or not, with its leading dimension.
struct BlasMatrix {
  CBLAS_TRANSPOSE trans;
  blasint ld;
};

BlasMatrix blas_matrix(const Tensor& t) {
  const std::int64_t rows = t.size(-2), cols = t.size(-1);
  if (t.stride(-1) == 1 && (rows <= 1 || t.stride(-2) >= std::max<std::int64_t>(cols, 1))) {
    return {CblasNoTrans,
            static_cast<blasint>(rows <= 1 ? std::max<std::int64_t>(cols, 1) : t.stride(-2))};
  }
  return {CblasTrans,
          static_cast<blasint>(cols <= 1 ? std::max<std::int64_t>(rows, 1) : t.stride(-1))};
}

void gemm(const BlasMatrix& a, const BlasMatrix& b, blasint m, blasint n, blasint k,
          const float* pa, const float* pb, float* pc) {
  cblas_sgemm(CblasRowMajor, a.trans, b.trans, m, n, k, 1.0f, pa, a.ld, pb, b.ld, 0.0f, pc, n);
}

void gemm(const BlasMatrix& a, const BlasMatrix& b, blasint m, blasint n, blasint k,
          const double* pa, const double* pb, double* pc) {
  cblas_dgemm(CblasRowMajor, a.trans, b.trans, m, n, k, 1.0, pa, a.ld, pb, b.ld, 0.0, pc, n);
}

}  // namespace

void CpuBackend::matmul(const Tensor& a, const Tensor& b, const Tensor& out) {
  const std::int64_t m = out.size(-2), n = out.size(-1), k = a.size(-1);
  if (out.numel() == 0) return;
  if (k == 0) return fill(out, 0);
  const BlasMatrix ma = blas_matrix(a), mb = blas_matrix(b);
  const std::int64_t batch_dims = out.dim() - 2;
  const std::int64_t batches = out.numel() / (m * n);
  visit_floating(out.dtype(), "matmul", [&](auto zero) {
    using T = decltype(zero);
    const T* base_a = static_cast<const T*>(a.raw_data());
    const T* base_b = static_cast<const T*>(b.raw_data());
    T* base_out = static_cast<T*>(out.raw_data());
    for (std::int64_t batch = 0; batch < batches; ++batch) {
      std::int64_t offset_a = 0, offset_b = 0, rest = batch;
      for (std::int64_t d = batch_dims - 1; d >= 0; --d) {
        const std::int64_t index = rest % out.size(d);
        rest /= out.size(d);
        offset_a += index * a.stride(d);
        offset_b += index * b.stride(d);
      }
      gemm(ma, mb, static_cast<blasint>(m), static_cast<blasint>(n), static_cast<blasint>(k),
           base_a + offset_a, base_b + offset_b, base_out + batch * m * n);
    }
  });
}

}  // namespace mg::cpu
