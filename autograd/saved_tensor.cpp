#include "autograd/saved_tensor.h"

namespace mg::autograd {

const Tensor& SavedTensor::get() const {
  MG_CHECK(!tensor_.defined() || tensor_.version() == version_,
           "a tensor saved for the backward pass (", describe(tensor_),
           ") was modified by an in-place operation: it was at version ", version_,
           " and is now at version ", tensor_.version(),
           "; clone it before modifying it, or modify a copy");
  return tensor_;
}

}  // namespace mg::autograd
