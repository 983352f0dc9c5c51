#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/tensor.h"

namespace mg::autograd {

struct GradcheckOptions {
  double eps = 1e-6;   // central-difference step
  double atol = 1e-5;  // an entry passes when |analytic - numeric| <= atol + rtol·|numeric|
  double rtol = 1e-3;
  // Above this many Jacobian entries (inputs × outputs) an input is checked through random
  // projections vᵀJu instead of the full Jacobian.
  std::int64_t max_full_entries = 60000;
  int projections = 4;
  std::uint64_t seed = 0;
};

struct GradcheckResult {
  bool ok = true;
  std::string message;  // what mismatched, when !ok
  explicit operator bool() const { return ok; }
};

// Compares backward() with central differences for every input that requires gradients.
// Inputs must be float64 CPU tensors (they may be non-contiguous); `fn` must return one float64
// tensor computed from them. Leaves' grad() are overwritten.
GradcheckResult gradcheck(const std::function<Tensor(const std::vector<Tensor>&)>& fn,
                          const std::vector<Tensor>& inputs, const GradcheckOptions& options = {});

}  // namespace mg::autograd
