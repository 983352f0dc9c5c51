#include "core/cuda/launch.cuh"
#include "core/error.h"

namespace mg::cuda {

StridedIndexer make_indexer(const Tensor& t, const char* op) {
  StridedIndexer indexer;
  MG_CHECK(t.dim() <= kMaxDims, op, ": CUDA kernels take at most ", kMaxDims, " dims, got ",
           describe(t));
  indexer.ndim = static_cast<int>(t.dim());
  indexer.contiguous = t.is_contiguous();
  for (int d = 0; d < indexer.ndim; ++d) {
    indexer.sizes[d] = t.shape()[d];
    indexer.strides[d] = t.strides()[d];
  }
  return indexer;
}

}  // namespace mg::cuda
