#pragma once

#include <cblas.h>
#include <omp.h>

#include <algorithm>
#include <cstdint>

// Thin typed wrappers over CBLAS for the kernels that drive GEMM themselves (convolution).
namespace mg::cpu::blas {

// c[m, n] = alpha·op(a)·op(b) + beta·c, row-major; op transposes when asked. Leading dims in
// elements.
inline void gemm(bool trans_a, bool trans_b, std::int64_t m, std::int64_t n, std::int64_t k,
                 const float* a, std::int64_t lda, const float* b, std::int64_t ldb, float beta,
                 float* c, std::int64_t ldc) {
  cblas_sgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans,
              trans_b ? CblasTrans : CblasNoTrans, static_cast<blasint>(m), static_cast<blasint>(n),
              static_cast<blasint>(k), 1.0f, a, static_cast<blasint>(lda), b,
              static_cast<blasint>(ldb), beta, c, static_cast<blasint>(ldc));
}

inline void gemm(bool trans_a, bool trans_b, std::int64_t m, std::int64_t n, std::int64_t k,
                 const double* a, std::int64_t lda, const double* b, std::int64_t ldb, double beta,
                 double* c, std::int64_t ldc) {
  cblas_dgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans,
              trans_b ? CblasTrans : CblasNoTrans, static_cast<blasint>(m), static_cast<blasint>(n),
              static_cast<blasint>(k), 1.0, a, static_cast<blasint>(lda), b,
              static_cast<blasint>(ldb), beta, c, static_cast<blasint>(ldc));
}

// Makes BLAS single-threaded until the end of the scope, when `active`: for GEMMs called from
// inside an OpenMP parallel region, where each thread runs its own GEMM.
class SingleThreaded {
 public:
  explicit SingleThreaded(bool active = true) : saved_(active ? openblas_get_num_threads() : 0) {
    if (saved_ > 1) openblas_set_num_threads(1);
  }
  ~SingleThreaded() {
    if (saved_ > 1) openblas_set_num_threads(saved_);
  }
  SingleThreaded(const SingleThreaded&) = delete;
  SingleThreaded& operator=(const SingleThreaded&) = delete;

 private:
  int saved_;
};

// c = op(a)·op(b) + beta·c on `threads` OpenMP threads, each running single-threaded BLAS on a
// slice: rows of c when op(a) is the larger operand (each thread then packs only its share of
// it), columns of c otherwise. All the work runs on OpenMP's threads: BLAS's own would compete
// with them for the cores (and spin while they wait for work).
template <typename T>
void parallel_gemm(int threads, bool trans_a, bool trans_b, std::int64_t m, std::int64_t n,
                   std::int64_t k, const T* a, std::int64_t lda, const T* b, std::int64_t ldb,
                   T beta, T* c, std::int64_t ldc) {
  const bool split_rows = m >= n;
  const std::int64_t extent = split_rows ? m : n;
  threads = omp_in_parallel() ? 1 : static_cast<int>(std::clamp<std::int64_t>(extent, 1, threads));
  const SingleThreaded single;
#pragma omp parallel num_threads(threads) if (threads > 1)
  {
    const int thread = omp_get_thread_num(), team = omp_get_num_threads();
    const std::int64_t begin = extent * thread / team, end = extent * (thread + 1) / team;
    if (split_rows) {
      gemm(trans_a, trans_b, end - begin, n, k, a + (trans_a ? begin : begin * lda), lda, b, ldb,
           beta, c + begin * ldc, ldc);
    } else {
      gemm(trans_a, trans_b, m, end - begin, k, a, lda, b + (trans_b ? begin * ldb : begin), ldb,
           beta, c + begin, ldc);
    }
  }
}

}  // namespace mg::cpu::blas
