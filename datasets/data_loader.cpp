#include "datasets/data_loader.h"

#include <algorithm>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <numeric>
#include <optional>
#include <thread>
#include <utility>

#include "core/creation.h"
#include "core/cuda/cuda_runtime.h"
#include "core/error.h"
#include "core/generator.h"
#include "core/ops_copy.h"
#include "core/ops_view.h"
#include "core/random.h"
#include "datasets/seeds.h"

namespace mg::data {

namespace {

std::string names_of(const Sample& sample) {
  std::string names = "{";
  for (const auto& [name, tensor] : sample.inputs) {
    names += (names.size() > 1 ? ", " : "") + name;
  }
  return names + "}";
}

std::string sample_name(std::int64_t index, const std::string& source) {
  return source.empty() ? str("sample ", index) : str("sample ", index, " (", source, ")");
}

std::string describe_input(const Tensor& tensor) {
  return tensor.defined() ? describe(tensor) : "undefined";
}

bool same_layout(const Tensor& a, const Tensor& b) {
  return a.defined() && b.defined() && a.shape() == b.shape() && a.dtype() == b.dtype() &&
         a.device() == b.device();
}

// A batch read and collated (empty when skip_bad left out all of its samples), or why it could
// not be.
struct LoadedBatch {
  std::optional<Batch> batch;
  std::vector<SkippedSample> skipped;
  std::optional<std::string> error;
};

std::string what_of(const std::exception_ptr& exception) {
  try {
    std::rethrow_exception(exception);
  } catch (const std::exception& e) {
    return e.what();
  } catch (...) {
    return "unknown exception";
  }
}

std::string source_of(const Dataset& dataset, std::int64_t index) {
  try {
    return dataset.source(index);
  } catch (...) {
    return {};  // the original error matters more than a missing source
  }
}

LoadedBatch load_batch(const Dataset& dataset, const std::vector<std::int64_t>& indices,
                       const DataLoaderOptions& options, std::int64_t epoch) {
  LoadedBatch loaded;
  std::vector<Sample> samples;
  std::vector<std::int64_t> kept;
  samples.reserve(indices.size());
  for (const std::int64_t index : indices) {
    try {
      samples.push_back(dataset.get_for_epoch(index, epoch));
      kept.push_back(index);
    } catch (const Error& e) {
      if (!options.skip_bad) {
        loaded.error =
            str("DataLoader: ", sample_name(index, source_of(dataset, index)), ": ", e.what());
        return loaded;
      }
      loaded.skipped.push_back({index, epoch, source_of(dataset, index), e.what()});
    } catch (...) {
      loaded.error = str("DataLoader: ", sample_name(index, source_of(dataset, index)), ": ",
                         what_of(std::current_exception()));
      return loaded;
    }
  }
  if (samples.empty()) return loaded;
  try {
    loaded.batch = default_collate(samples, kept, options.pin_memory && cuda::is_available());
  } catch (...) {
    loaded.error = what_of(std::current_exception());
  }
  return loaded;
}

}  // namespace

class SkipLog {
 public:
  void append(const std::vector<SkippedSample>& samples) {
    std::lock_guard lock(mutex_);
    skipped_.insert(skipped_.end(), samples.begin(), samples.end());
  }
  std::vector<SkippedSample> skipped() const {
    std::lock_guard lock(mutex_);
    return skipped_;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<SkippedSample> skipped_;
};

Batch default_collate(const std::vector<Sample>& samples, const std::vector<std::int64_t>& indices,
                      bool pin_memory) {
  MG_CHECK(!samples.empty(), "DataLoader: cannot collate an empty batch");
  MG_CHECK(samples.size() == indices.size(), "DataLoader: ", samples.size(), " samples but ",
           indices.size(), " indices");
  const Sample& first = samples[0];
  const auto name = [&](std::size_t b) { return sample_name(indices[b], samples[b].source); };
  for (std::size_t b = 0; b < samples.size(); ++b) {
    const Sample& sample = samples[b];
    bool same_names = sample.inputs.size() == first.inputs.size();
    for (auto it = sample.inputs.begin(), ref = first.inputs.begin();
         same_names && it != sample.inputs.end(); ++it, ++ref) {
      same_names = it->first == ref->first;
    }
    MG_CHECK(same_names, "DataLoader: cannot collate ", name(b), " with inputs ", names_of(sample),
             " and ", name(0), " with inputs ", names_of(first));
    for (const auto& [input, tensor] : sample.inputs) {
      const Tensor& reference = first.inputs.at(input);
      MG_CHECK(same_layout(tensor, reference), "DataLoader: cannot collate input '", input,
               "': ", name(b), " is ", describe_input(tensor), " but ", name(0), " is ",
               describe_input(reference));
    }
  }

  Batch batch;
  const auto batch_size = static_cast<std::int64_t>(samples.size());
  for (const auto& [input, reference] : first.inputs) {
    Shape shape{batch_size};
    shape.insert(shape.end(), reference.shape().begin(), reference.shape().end());
    Tensor stacked = empty(shape, reference.options().pinned_memory(pin_memory));
    for (std::int64_t b = 0; b < batch_size; ++b) {
      native::copy_(native::select(stacked, 0, b),
                    samples[static_cast<std::size_t>(b)].inputs.at(input));
    }
    batch.inputs.emplace(input, std::move(stacked));
  }
  std::vector<std::int64_t> labels;
  labels.reserve(samples.size());
  for (const Sample& sample : samples) labels.push_back(sample.label);
  batch.labels = empty({batch_size}, TensorOptions(kInt64).pinned_memory(pin_memory));
  std::copy(labels.begin(), labels.end(), batch.labels.data_ptr<std::int64_t>());
  batch.indices = indices;
  return batch;
}

// One pass over an epoch's batches. Workers claim batches in order but may finish them out of
// order; next() hands them out in order. A worker claims batch k only while k is within
// `window_` batches of the one the caller waits for, which bounds the memory held.
class EpochRun {
 public:
  EpochRun(std::shared_ptr<const Dataset> dataset, std::vector<std::vector<std::int64_t>> batches,
           const DataLoaderOptions& options, std::int64_t epoch, std::shared_ptr<SkipLog> skip_log)
      : dataset_(std::move(dataset)),
        batches_(std::move(batches)),
        window_(static_cast<std::size_t>(options.num_workers) *
                static_cast<std::size_t>(options.prefetch_factor)),
        options_(options),
        epoch_(epoch),
        skip_log_(std::move(skip_log)) {
    const int num_workers = options.num_workers;
    workers_.reserve(static_cast<std::size_t>(num_workers));
    try {
      for (int w = 0; w < num_workers; ++w) workers_.emplace_back([this] { work(); });
    } catch (...) {
      stop();  // the threads already started must not outlive a run that was never built
      throw;
    }
  }

  ~EpochRun() { stop(); }

  EpochRun(const EpochRun&) = delete;
  EpochRun& operator=(const EpochRun&) = delete;

  // The next batch in order, or nothing at the end; throws mg::Error for a batch that failed.
  std::optional<Batch> next() {
    for (;;) {
      if (next_to_yield_ == batches_.size()) return std::nullopt;
      LoadedBatch loaded = next_loaded();
      if (loaded.error) throw Error(*loaded.error);
      skip_log_->append(loaded.skipped);
      if (loaded.batch) return std::move(loaded.batch);
    }
  }

 private:
  LoadedBatch next_loaded() {
    LoadedBatch loaded;
    if (workers_.empty()) {
      loaded = load_batch(*dataset_, batches_[next_to_yield_], options_, epoch_);
      ++next_to_yield_;
    } else {
      std::unique_lock lock(mutex_);
      batch_ready_.wait(lock, [&] { return ready_.count(next_to_yield_) > 0; });
      loaded = std::move(ready_.extract(next_to_yield_).mapped());
      ++next_to_yield_;
    }
    work_available_.notify_all();
    return loaded;
  }

  void stop() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    work_available_.notify_all();
    for (std::thread& worker : workers_) worker.join();
  }

  void work() {
    for (;;) {
      std::size_t k = 0;
      {
        std::unique_lock lock(mutex_);
        work_available_.wait(lock, [&] {
          return stopping_ || next_to_claim_ == batches_.size() ||
                 next_to_claim_ < next_to_yield_ + window_;
        });
        if (stopping_ || next_to_claim_ == batches_.size()) return;
        k = next_to_claim_++;
      }
      LoadedBatch loaded = load_batch(*dataset_, batches_[k], options_, epoch_);
      {
        std::lock_guard lock(mutex_);
        ready_.emplace(k, std::move(loaded));
      }
      batch_ready_.notify_one();
    }
  }

  const std::shared_ptr<const Dataset> dataset_;
  const std::vector<std::vector<std::int64_t>> batches_;
  const std::size_t window_;
  const DataLoaderOptions options_;
  const std::int64_t epoch_;
  const std::shared_ptr<SkipLog> skip_log_;

  std::mutex mutex_;
  std::condition_variable work_available_;
  std::condition_variable batch_ready_;
  bool stopping_ = false;
  std::size_t next_to_claim_ = 0;
  std::size_t next_to_yield_ = 0;
  std::map<std::size_t, LoadedBatch> ready_;
  std::vector<std::thread> workers_;  // last, so that the state above exists before they start
};

DataLoader::DataLoader(std::shared_ptr<const Dataset> dataset, DataLoaderOptions options)
    : dataset_(std::move(dataset)), options_(options), skip_log_(std::make_shared<SkipLog>()) {
  MG_CHECK(dataset_ != nullptr, "DataLoader: the data set is null");
  MG_CHECK(options_.batch_size >= 1, "DataLoader: batch_size must be at least 1, got ",
           options_.batch_size);
  MG_CHECK(options_.num_workers >= 0, "DataLoader: num_workers must be at least 0, got ",
           options_.num_workers);
  MG_CHECK(options_.prefetch_factor >= 1, "DataLoader: prefetch_factor must be at least 1, got ",
           options_.prefetch_factor);
}

std::int64_t DataLoader::size() const {
  const std::int64_t n = dataset_->size();
  return options_.drop_last ? n / options_.batch_size
                            : (n + options_.batch_size - 1) / options_.batch_size;
}

void DataLoader::set_epoch(std::int64_t epoch) {
  MG_CHECK(epoch >= 0, "DataLoader: set_epoch expects an epoch >= 0, got ", epoch);
  epoch_ = epoch;
}

std::vector<std::int64_t> DataLoader::sample_order() const {
  const std::int64_t n = dataset_->size();
  if (!options_.shuffle) {
    std::vector<std::int64_t> order(static_cast<std::size_t>(n));
    std::iota(order.begin(), order.end(), 0);
    return order;
  }
  Generator generator(epoch_seed(options_.seed, epoch_));
  return randperm(n, kInt64, &generator).to_vector<std::int64_t>();
}

DataLoader::Iterator DataLoader::begin() const {
  const std::vector<std::int64_t> order = sample_order();
  const auto batch_size = static_cast<std::size_t>(options_.batch_size);
  std::vector<std::vector<std::int64_t>> batches(static_cast<std::size_t>(size()));
  for (std::size_t k = 0; k < batches.size(); ++k) {
    const std::size_t start = k * batch_size;
    const std::size_t stop = std::min(start + batch_size, order.size());
    batches[k].assign(order.begin() + static_cast<std::ptrdiff_t>(start),
                      order.begin() + static_cast<std::ptrdiff_t>(stop));
  }
  return Iterator(
      std::make_unique<EpochRun>(dataset_, std::move(batches), options_, epoch_, skip_log_));
}

std::vector<SkippedSample> DataLoader::skipped() const {
  return skip_log_->skipped();
}

std::string DataLoader::skipped_summary() const {
  const std::vector<SkippedSample> samples = skipped();
  std::string summary =
      str("DataLoader: skipped ", samples.size(), " bad sample", samples.size() == 1 ? "" : "s");
  for (std::size_t i = 0; i < samples.size(); ++i) {
    const SkippedSample& s = samples[i];
    summary += str(i == 0 ? ": " : "; ", "epoch ", s.epoch, " ", sample_name(s.index, s.source),
                   ": ", s.message);
  }
  return summary;
}

DataLoader::Iterator::Iterator(std::unique_ptr<EpochRun> run) : run_(std::move(run)) {
  advance();
}

DataLoader::Iterator::Iterator(Iterator&&) noexcept = default;
DataLoader::Iterator& DataLoader::Iterator::operator=(Iterator&&) noexcept = default;
DataLoader::Iterator::~Iterator() = default;

const Batch& DataLoader::Iterator::operator*() const {
  MG_CHECK(run_ != nullptr, "DataLoader: dereferencing an iterator at the end");
  return current_;
}

DataLoader::Iterator& DataLoader::Iterator::operator++() {
  MG_CHECK(run_ != nullptr, "DataLoader: advancing an iterator at the end");
  advance();
  return *this;
}

void DataLoader::Iterator::advance() {
  std::optional<Batch> batch;
  try {
    batch = run_->next();
  } catch (...) {
    run_.reset();
    throw;
  }
  if (batch) {
    current_ = std::move(*batch);
  } else {
    run_.reset();
    current_ = Batch{};
  }
}

}  // namespace mg::data
