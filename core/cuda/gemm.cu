#include <climits>
#include <vector>

#include "core/cuda/blas.cuh"
#include "core/cuda/check.cuh"
#include "core/cuda/context.cuh"
#include "core/cuda/cuda_backend.cuh"
#include "core/cuda/cuda_runtime.h"
#include "core/error.h"

namespace mg::cuda {

namespace {

int as_int(std::int64_t value, const char* what, const char* op) {
  MG_CHECK(value <= INT_MAX, op, ": ", what, " ", value,
           " is too large for cuBLAS (at most 2147483647)");
  return static_cast<int>(value);
}

// How cuBLAS reads the last two dims of `t` (unit stride along one of them, as matmul's contract
// guarantees); a dim of size 1 has no meaningful stride, so its leading dimension is the least
// cuBLAS accepts.
RowMajorMatrix row_major_matrix(const Tensor& t) {
  const std::int64_t rows = t.size(-2), cols = t.size(-1);
  if (t.stride(-1) == 1 && (rows <= 1 || t.stride(-2) >= std::max<std::int64_t>(cols, 1))) {
    return {t.raw_data(), false, rows <= 1 ? std::max<std::int64_t>(cols, 1) : t.stride(-2), 0};
  }
  return {t.raw_data(), true, cols <= 1 ? std::max<std::int64_t>(rows, 1) : t.stride(-1), 0};
}

const void* advance(const void* data, std::int64_t elements, std::size_t element_bytes) {
  return static_cast<const char*>(data) + elements * static_cast<std::int64_t>(element_bytes);
}

}  // namespace

void gemm_row_major(int device, DType dtype, std::int64_t m, std::int64_t n, std::int64_t k,
                    const RowMajorMatrix& a, const RowMajorMatrix& b, void* out, std::int64_t ldc,
                    std::int64_t out_batch_stride, std::int64_t batches, const char* op) {
  MG_CHECK(dtype == kFloat32 || dtype == kFloat64, op,
           ": cuBLAS GEMM takes float32 or float64, got ", dtype_name(dtype));
  const bool single = dtype == kFloat32;
  const cudaDataType_t type = single ? CUDA_R_32F : CUDA_R_64F;
  const cublasComputeType_t compute =
      single ? (allow_tf32() ? CUBLAS_COMPUTE_32F_FAST_TF32 : CUBLAS_COMPUTE_32F)
             : CUBLAS_COMPUTE_64F;
  // alpha and beta have the compute type's precision, read from the host.
  const float alpha32 = 1, beta32 = 0;
  const double alpha64 = 1, beta64 = 0;
  const void* alpha = single ? static_cast<const void*>(&alpha32) : &alpha64;
  const void* beta = single ? static_cast<const void*>(&beta32) : &beta64;
  // Column-major Cᵀ [n, m] = Bᵀ [n, k] · Aᵀ [k, m]: a row-major operand that is not transposed is
  // its own transpose in column-major order.
  const cublasOperation_t op_b = b.transposed ? CUBLAS_OP_T : CUBLAS_OP_N;
  const cublasOperation_t op_a = a.transposed ? CUBLAS_OP_T : CUBLAS_OP_N;
  const int in = as_int(n, "n", op), im = as_int(m, "m", op), ik = as_int(k, "k", op);
  const int lda = as_int(a.ld, "leading dimension", op);
  const int ldb = as_int(b.ld, "leading dimension", op);
  const int ld_out = as_int(ldc, "leading dimension", op);
  cublasHandle_t handle = cublas_handle(device);
  if (batches == 1) {
    MG_CUDA_CHECK(cublasGemmEx(handle, op_b, op_a, in, im, ik, alpha, b.data, type, ldb, a.data,
                               type, lda, beta, out, type, ld_out, compute, CUBLAS_GEMM_DEFAULT),
                  op);
    return;
  }
  MG_CUDA_CHECK(cublasGemmStridedBatchedEx(
                    handle, op_b, op_a, in, im, ik, alpha, b.data, type, ldb, b.batch_stride,
                    a.data, type, lda, a.batch_stride, beta, out, type, ld_out, out_batch_stride,
                    as_int(batches, "batch count", op), compute, CUBLAS_GEMM_DEFAULT),
                op);
}

// The batch dims (out's leading dims) are split in two: the innermost ones along which a and b
// each advance by one constant stride (0 for a broadcast operand) become one strided-batched
// GEMM; the outer ones, if any, are looped over. When b is the same matrix for the whole group
// and a's rows follow one another across it (a linear layer on a [batch, rows, features] input),
// the group folds into M of a single large GEMM instead.
void CudaBackend::matmul(const Tensor& a, const Tensor& b, const Tensor& out) {
  DeviceGuard guard(out.device());
  const int device = out.device().index;
  const std::int64_t m = out.size(-2), n = out.size(-1), k = a.size(-1);
  if (out.numel() == 0) return;
  const std::size_t bytes = element_size(out.dtype());
  if (k == 0) {
    MG_CUDA_CHECK(cudaMemsetAsync(out.raw_data(), 0, out.numel() * bytes, stream(device)),
                  "matmul");
    return;
  }
  struct BatchDim {
    std::int64_t size, stride_a, stride_b;
  };
  std::vector<BatchDim> dims;
  for (std::int64_t d = 0; d < out.dim() - 2; ++d) {
    if (out.size(d) != 1) dims.push_back({out.size(d), a.stride(d), b.stride(d)});
  }
  RowMajorMatrix ma = row_major_matrix(a), mb = row_major_matrix(b);
  std::size_t outer = dims.size();
  std::int64_t group = 1;
  if (!dims.empty()) {
    --outer;
    group = dims[outer].size;
    ma.batch_stride = dims[outer].stride_a;
    mb.batch_stride = dims[outer].stride_b;
    while (outer > 0 && dims[outer - 1].stride_a == ma.batch_stride * group &&
           dims[outer - 1].stride_b == mb.batch_stride * group) {
      group *= dims[--outer].size;
    }
  }
  std::int64_t rows = m, batches = group;
  if (group > 1 && mb.batch_stride == 0 && !ma.transposed && ma.batch_stride == m * ma.ld) {
    rows = m * group;
    batches = 1;
  }
  std::int64_t outer_count = 1;
  for (std::size_t d = 0; d < outer; ++d) outer_count *= dims[d].size;
  for (std::int64_t o = 0; o < outer_count; ++o) {
    std::int64_t offset_a = 0, offset_b = 0, rest = o;
    for (std::size_t d = outer; d-- > 0;) {
      const std::int64_t index = rest % dims[d].size;
      rest /= dims[d].size;
      offset_a += index * dims[d].stride_a;
      offset_b += index * dims[d].stride_b;
    }
    RowMajorMatrix pa = ma, pb = mb;
    pa.data = advance(a.raw_data(), offset_a, bytes);
    pb.data = advance(b.raw_data(), offset_b, bytes);
    void* po =
        static_cast<char*>(out.raw_data()) + o * group * m * n * static_cast<std::int64_t>(bytes);
    gemm_row_major(device, out.dtype(), rows, n, k, pa, pb, po, n, m * n, batches, "matmul");
  }
}

}  // namespace mg::cuda
