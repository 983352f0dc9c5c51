#pragma once

#include <cstdint>

#include "layers/module.h"

namespace mg::nn {

// torch.nn.BatchNormNd: weight 1 and bias 0 (affine), buffers running_mean 0, running_var 1 and
// num_batches_tracked (int64), updated in training with running = (1 − momentum)·running +
// momentum·batch (unbiased variance for the running estimate).
struct BatchNormOptions {
  double eps = 1e-5;
  double momentum = 0.1;
  bool affine = true;
  bool track_running_stats = true;
};

class BatchNormBase : public Module {
 public:
  Tensor forward(const Tensor& input) override;
  std::int64_t num_features() const { return num_features_; }
  const BatchNormOptions& options() const { return options_; }

  Tensor weight;
  Tensor bias;
  Tensor running_mean;
  Tensor running_var;
  Tensor num_batches_tracked;

 protected:
  // num_batches_tracked may be absent from a checkpoint (PyTorch before 0.4.1 had none, and
  // PyTorch loads such files with the counter at 0): load_state_dict then sets it to 0.
  bool is_optional_state(const std::string& name) const override;
  void reset_optional_state(const std::string& name) override;
  // `ranks`: the input ranks the layer accepts ({2, 3} for 1-d, {4} for 2-d, {5} for 3-d).
  BatchNormBase(const char* type_name, std::vector<std::int64_t> ranks, std::int64_t num_features,
                BatchNormOptions options);

 private:
  std::vector<std::int64_t> ranks_;
  std::int64_t num_features_;
  BatchNormOptions options_;
};

class BatchNorm1d : public BatchNormBase {
 public:
  explicit BatchNorm1d(std::int64_t num_features, BatchNormOptions options = {})
      : BatchNormBase("BatchNorm1d", {2, 3}, num_features, options) {}
};

class BatchNorm2d : public BatchNormBase {
 public:
  explicit BatchNorm2d(std::int64_t num_features, BatchNormOptions options = {})
      : BatchNormBase("BatchNorm2d", {4}, num_features, options) {}
};

class BatchNorm3d : public BatchNormBase {
 public:
  explicit BatchNorm3d(std::int64_t num_features, BatchNormOptions options = {})
      : BatchNormBase("BatchNorm3d", {5}, num_features, options) {}
};

}  // namespace mg::nn
