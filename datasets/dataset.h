#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/tensor.h"

// Map-style data sets (torch.utils.data.Dataset): a size and random access to samples by index.
namespace mg::data {

// One example: named modality tensors ("image", "audio", "tokens", ...), its class label and
// where it came from (a file path or an id), which error messages name.
struct Sample {
  std::map<std::string, Tensor> inputs;
  std::int64_t label = 0;
  std::string source;
};

// A data set of size() samples, read by index. DataLoader workers call get() and source() from
// several threads at once, so both must be thread-safe: a data set is read-only once built
// (lazily filled caches need their own locking).
class Dataset {
 public:
  virtual ~Dataset() = default;
  virtual std::int64_t size() const = 0;
  // Sample `index`, 0 <= index < size(); throws mg::Error for an index out of range or bad data.
  virtual Sample get(std::int64_t index) const = 0;
  // Sample `index` as epoch `epoch` sees it: what the DataLoader calls, so that a data set whose
  // random augmentations depend on the epoch follows the loader's set_epoch. Default: get(index).
  // A data set that wraps another (Subset) forwards it.
  virtual Sample get_for_epoch(std::int64_t index, std::int64_t epoch) const;
  // Where sample `index` comes from, known without reading it (a file path): what the DataLoader
  // names when get() throws. Empty when unknown.
  virtual std::string source(std::int64_t index) const;
};

// Samples that are rows of tensors (torch.utils.data.TensorDataset): sample i has
// inputs[name] = inputs.at(name)[i] (a view, no copy) and label labels[i]. Every tensor's first
// dimension is the number of samples; labels is int64 [N]. Sources are "TensorDataset[i]".
class TensorDataset final : public Dataset {
 public:
  TensorDataset(std::map<std::string, Tensor> inputs, const Tensor& labels);

  std::int64_t size() const override { return static_cast<std::int64_t>(labels_.size()); }
  Sample get(std::int64_t index) const override;
  std::string source(std::int64_t index) const override;

 private:
  std::map<std::string, Tensor> inputs_;
  std::vector<std::int64_t> labels_;
};

// The samples of `dataset` at `indices`, in that order (torch.utils.data.Subset): a train or
// validation split. Sample i of the subset is sample indices[i] of the data set, with its
// source.
class Subset final : public Dataset {
 public:
  Subset(std::shared_ptr<const Dataset> dataset, std::vector<std::int64_t> indices);

  std::int64_t size() const override { return static_cast<std::int64_t>(indices_.size()); }
  Sample get(std::int64_t index) const override;
  Sample get_for_epoch(std::int64_t index, std::int64_t epoch) const override;
  std::string source(std::int64_t index) const override;

 private:
  std::int64_t checked_index(std::int64_t index) const;

  std::shared_ptr<const Dataset> dataset_;
  std::vector<std::int64_t> indices_;
};

}  // namespace mg::data
