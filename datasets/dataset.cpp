#include "datasets/dataset.h"

#include <utility>

#include "core/error.h"
#include "core/ops_view.h"

namespace mg::data {

namespace {

void check_index(const char* what, std::int64_t index, std::int64_t size) {
  MG_CHECK(index >= 0 && index < size, what, ": index ", index, " out of range for ", size,
           " samples");
}

}  // namespace

std::string Dataset::source(std::int64_t) const {
  return {};
}

TensorDataset::TensorDataset(std::map<std::string, Tensor> inputs, const Tensor& labels)
    : inputs_(std::move(inputs)) {
  MG_CHECK(labels.defined() && labels.dim() == 1 && labels.dtype() == kInt64,
           "TensorDataset: expected labels int64[N], got ",
           labels.defined() ? describe(labels) : "an undefined tensor");
  const std::int64_t n = labels.size(0);
  for (const auto& [name, tensor] : inputs_) {
    MG_CHECK(tensor.defined() && tensor.dim() > 0 && tensor.size(0) == n, "TensorDataset: input '",
             name, "' is ", tensor.defined() ? describe(tensor) : "undefined", " but labels are ",
             describe(labels), "; every input needs ", n, " rows");
  }
  labels_ = labels.to_vector<std::int64_t>();
}

Sample Dataset::get_for_epoch(std::int64_t index, std::int64_t) const {
  return get(index);
}

Sample TensorDataset::get(std::int64_t index) const {
  check_index("TensorDataset", index, size());
  Sample sample;
  for (const auto& [name, tensor] : inputs_) sample.inputs[name] = native::select(tensor, 0, index);
  sample.label = labels_[static_cast<std::size_t>(index)];
  sample.source = source(index);
  return sample;
}

std::string TensorDataset::source(std::int64_t index) const {
  return str("TensorDataset[", index, "]");
}

Subset::Subset(std::shared_ptr<const Dataset> dataset, std::vector<std::int64_t> indices)
    : dataset_(std::move(dataset)), indices_(std::move(indices)) {
  MG_CHECK(dataset_ != nullptr, "Subset: the data set is null");
  for (const std::int64_t index : indices_) check_index("Subset", index, dataset_->size());
}

std::int64_t Subset::checked_index(std::int64_t index) const {
  check_index("Subset", index, size());
  return indices_[static_cast<std::size_t>(index)];
}

Sample Subset::get(std::int64_t index) const {
  return dataset_->get(checked_index(index));
}

Sample Subset::get_for_epoch(std::int64_t index, std::int64_t epoch) const {
  return dataset_->get_for_epoch(checked_index(index), epoch);
}

std::string Subset::source(std::int64_t index) const {
  return dataset_->source(checked_index(index));
}

}  // namespace mg::data
