#include "layers/batch_norm.h"

#include <algorithm>

#include "autograd/ops.h"
#include "core/error.h"
#include "core/ops_copy.h"

namespace mg::nn {

BatchNormBase::BatchNormBase(const char* type_name, std::vector<std::int64_t> ranks,
                             std::int64_t num_features, BatchNormOptions options)
    : Module(type_name), ranks_(std::move(ranks)), num_features_(num_features), options_(options) {
  MG_CHECK(num_features > 0, type_name, ": num_features must be positive, got ", num_features);
  if (options.affine) {
    weight = register_parameter("weight", ones({num_features}));
    bias = register_parameter("bias", zeros({num_features}));
  }
  if (options.track_running_stats) {
    running_mean = register_buffer("running_mean", zeros({num_features}));
    running_var = register_buffer("running_var", ones({num_features}));
    num_batches_tracked = register_buffer("num_batches_tracked", zeros({}, kInt64));
  }
}

bool BatchNormBase::is_optional_state(const std::string& name) const {
  return name == "num_batches_tracked";
}

void BatchNormBase::reset_optional_state(const std::string& name) {
  if (name == "num_batches_tracked") native::fill_(num_batches_tracked, 0.0);
}

Tensor BatchNormBase::forward(const Tensor& input) {
  MG_CHECK(input.defined() && std::count(ranks_.begin(), ranks_.end(), input.dim()) == 1 &&
               input.size(1) == num_features_,
           type_name(), "(", num_features_, "): expected input [N, ", num_features_,
           ", ...] of rank ", ranks_.front(), ranks_.size() > 1 ? " or " : "",
           ranks_.size() > 1 ? std::to_string(ranks_.back()) : std::string(), ", got ",
           describe(input));
  if (is_training() && options_.track_running_stats) {
    NoGradGuard no_grad;
    add_(num_batches_tracked, 1.0);
  }
  // Without running statistics (undefined buffers) PyTorch normalises with the batch statistics
  // in both modes.
  return batch_norm(input, running_mean, running_var, weight, bias,
                    is_training() || !options_.track_running_stats, options_.momentum,
                    options_.eps);
}

}  // namespace mg::nn
