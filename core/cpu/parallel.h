#pragma once

#include <omp.h>

#include <algorithm>
#include <cstdint>

namespace mg::cpu {

// Below this many elements an elementwise loop runs on one thread: starting threads costs more.
inline constexpr std::int64_t kParallelGrain = 32768;

// Splits [begin, end) into at most one chunk per thread, each of at least `grain` items, and
// runs f(chunk_begin, chunk_end) on every chunk in parallel. `f` must not throw.
template <typename F>
void parallel_for(std::int64_t begin, std::int64_t end, std::int64_t grain, const F& f) {
  const std::int64_t n = end - begin;
  if (n <= 0) return;
  const std::int64_t chunks = std::min<std::int64_t>(
      omp_get_max_threads(), (n + grain - 1) / std::max<std::int64_t>(grain, 1));
  if (chunks <= 1 || omp_in_parallel()) {
    f(begin, end);
    return;
  }
  const std::int64_t chunk = (n + chunks - 1) / chunks;
#pragma omp parallel for num_threads(static_cast <int>(chunks)) schedule(static, 1)
  for (std::int64_t c = 0; c < chunks; ++c) {
    const std::int64_t chunk_begin = begin + c * chunk;
    const std::int64_t chunk_end = std::min(end, chunk_begin + chunk);
    if (chunk_begin < chunk_end) f(chunk_begin, chunk_end);
  }
}

}  // namespace mg::cpu
