#include "layers/linear.h"

#include <cmath>

#include "autograd/ops.h"
#include "core/error.h"
#include "layers/init.h"

namespace mg::nn {

Linear::Linear(std::int64_t in_features, std::int64_t out_features, bool with_bias)
    : Module("Linear"), in_features_(in_features), out_features_(out_features) {
  MG_CHECK(in_features > 0 && out_features > 0, "Linear: feature counts must be positive, got ",
           in_features, " → ", out_features);
  weight = register_parameter("weight", empty({out_features, in_features}));
  init::kaiming_uniform_(weight, std::sqrt(5.0));
  if (with_bias) {
    bias = register_parameter("bias", empty({out_features}));
    const double bound = 1.0 / std::sqrt(static_cast<double>(in_features));
    init::uniform_(bias, -bound, bound);
  }
}

Tensor Linear::forward(const Tensor& input) {
  MG_CHECK(input.defined() && input.dim() >= 1 && input.size(-1) == in_features_, "Linear(",
           in_features_, ", ", out_features_, "): expected input with last dimension ",
           in_features_, ", got ", describe(input));
  return linear(input, weight, bias);
}

}  // namespace mg::nn
