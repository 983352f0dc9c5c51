#pragma once

// Row-major GEMM on cuBLAS, for matmul and for any kernel that multiplies matrices on the GPU
// (attention-style code). cuBLAS is column-major: the row-major product C = A·B is computed as
// the column-major Cᵀ = Bᵀ·Aᵀ, whose operands are the very same memory.

#include <cstdint>

#include "core/dtype.h"

namespace mg::cuda {

// One row-major operand of a GEMM: element (i, j) of the matrix sits at data[i·ld + j], or at
// data[j·ld + i] when `transposed`; matrix `batch` of a batch starts batch_stride elements
// further (0: every batch reads the same matrix).
struct RowMajorMatrix {
  const void* data = nullptr;
  bool transposed = false;
  std::int64_t ld = 0;
  std::int64_t batch_stride = 0;
};

// out[b] = a[b]·b[b] for b < batches, with a[b] [m, k], b[b] [k, n] and out[b] [m, n] row-major
// with leading dimension ldc (out[b] at out + b·out_batch_stride). float32 or float64 (`dtype`),
// on the stream of `device`; float32 uses TF32 tensor cores only when cuda::allow_tf32().
// m, n, k > 0 and batches > 0. Throws mg::Error naming `op` on a cuBLAS failure or a size
// cuBLAS cannot take (more than 2³¹ - 1 along one dim).
void gemm_row_major(int device, DType dtype, std::int64_t m, std::int64_t n, std::int64_t k,
                    const RowMajorMatrix& a, const RowMajorMatrix& b, void* out, std::int64_t ldc,
                    std::int64_t out_batch_stride, std::int64_t batches, const char* op);

}  // namespace mg::cuda
