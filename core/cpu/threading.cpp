#include <cblas.h>
#include <omp.h>

#include "core/error.h"
#include "core/threading.h"

namespace mg {

void set_num_threads(int threads) {
  MG_CHECK(threads > 0, "set_num_threads: expected a positive count, got ", threads);
  omp_set_num_threads(threads);
  openblas_set_num_threads(threads);
}

int get_num_threads() {
  return omp_get_max_threads();
}

}  // namespace mg
