#pragma once

#include <cstdint>

#include "core/tensor.h"

namespace mg::autograd {

// A tensor a backward rule needs, remembered with the version it had when saved. Reading it
// after an in-place op changed it raises, instead of silently computing a wrong gradient.
class SavedTensor {
 public:
  SavedTensor() = default;
  // Keeps a detached alias: the saved value shares storage (and version counter) with the
  // original, but holds no reference to its graph, so saving an op's own output makes no cycle.
  explicit SavedTensor(const Tensor& tensor)
      : tensor_(tensor.defined() ? tensor.detach() : Tensor()),
        version_(tensor.defined() ? tensor.version() : 0) {}

  const Tensor& get() const;

 private:
  Tensor tensor_;
  std::uint64_t version_ = 0;
};

}  // namespace mg::autograd
