#include "core/cpu/blas.h"
#include "core/cpu/cpu_backend.h"
#include "core/cpu/parallel.h"

namespace mg::cpu {

namespace {

// One operand as BLAS reads it: transposed or not, with its leading dimension.
struct BlasMatrix {
  bool trans;
  std::int64_t ld;
};

BlasMatrix blas_matrix(const Tensor& t) {
  const std::int64_t rows = t.size(-2), cols = t.size(-1);
  if (t.stride(-1) == 1 && (rows <= 1 || t.stride(-2) >= std::max<std::int64_t>(cols, 1))) {
    return {false, rows <= 1 ? std::max<std::int64_t>(cols, 1) : t.stride(-2)};
  }
  return {true, cols <= 1 ? std::max<std::int64_t>(rows, 1) : t.stride(-1)};
}

// Below this many multiply-adds a GEMM gains nothing from BLAS's threads; a batch of them runs
// one GEMM per OpenMP thread instead (attention's per-head products).
constexpr std::int64_t kSmallGemm = 1 << 21;

// Below this many multiply-adds one GEMM runs on one thread (OpenBLAS's own threshold, 65536 ×
// GEMM_MULTITHREAD_THRESHOLD). Larger ones are split over OpenMP's threads rather than handed to
// OpenBLAS's: its pthreads pool would compete with OpenMP's for the cores, each spinning while the
// other works (text_encoder: 38% of samples in libgomp's spin and 30% in sched_yield).
constexpr std::int64_t kThreadedGemm = 65536 * 4;

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
    // Runs batch `batch` on `threads` OpenMP threads.
    auto one = [&](std::int64_t batch, int threads) {
      std::int64_t offset_a = 0, offset_b = 0, rest = batch;
      for (std::int64_t d = batch_dims - 1; d >= 0; --d) {
        const std::int64_t index = rest % out.size(d);
        rest /= out.size(d);
        offset_a += index * a.stride(d);
        offset_b += index * b.stride(d);
      }
      blas::parallel_gemm(threads, ma.trans, mb.trans, m, n, k, base_a + offset_a, ma.ld,
                          base_b + offset_b, mb.ld, T(0), base_out + batch * m * n, n);
    };
    if (batches > 1 && m * n * k < kSmallGemm) {
      const blas::SingleThreaded single;
      parallel_for(0, batches, 1, [&](std::int64_t begin, std::int64_t end) {
        for (std::int64_t batch = begin; batch < end; ++batch) one(batch, 1);
      });
    } else {
      const int threads = m * n * k < kThreadedGemm ? 1 : omp_get_max_threads();
      for (std::int64_t batch = 0; batch < batches; ++batch) one(batch, threads);
    }
  });
}

}  // namespace mg::cpu
