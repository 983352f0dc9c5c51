#pragma once

namespace mg {

// Threads used by CPU kernels (OpenMP) and by BLAS. Defaults to the number of cores.
void set_num_threads(int threads);
int get_num_threads();

}  // namespace mg
