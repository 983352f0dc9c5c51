#pragma once

namespace mg::cuda {

// Marks the pinned block that holds `host` as read by work queued on GPU `device`'s stream: when
// the block is freed it is not handed out again until that work has finished.
void record_pinned_use(const void* host, int device);

}  // namespace mg::cuda
