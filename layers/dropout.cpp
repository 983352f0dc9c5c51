#include "layers/dropout.h"

#include "autograd/nn_functional.h"
#include "core/error.h"

namespace mg::nn {

Dropout::Dropout(double p) : Module("Dropout"), p_(p) {
  MG_CHECK(p >= 0 && p <= 1, "Dropout: p must be in [0, 1], got ", p);
}

Tensor Dropout::forward(const Tensor& input) {
  return dropout(input, p_, is_training());
}

}  // namespace mg::nn
