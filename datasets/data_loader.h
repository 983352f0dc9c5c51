#pragma once

#include <cstdint>
#include <iterator>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/tensor.h"
#include "datasets/dataset.h"

// Batches of a Dataset (torch.utils.data.DataLoader): an order per epoch, worker threads with
// bounded prefetch, collation into batched tensors.
//
// Deviations from PyTorch:
// - The shuffled order is a function of (seed, epoch) alone, drawn with maskgrad's Philox
//   generator: set_epoch() picks the epoch (as with DistributedSampler), iterating does not
//   advance it, and the global generator is never touched.
// - Workers are threads of this process, not processes: Dataset::get must be thread-safe.
// - No persistent_workers: each iteration starts its workers and stops them when it ends.
namespace mg::data {

struct DataLoaderOptions {
  std::int64_t batch_size = 1;
  bool shuffle = false;
  // Leaves out the last batch when it would be smaller than batch_size.
  bool drop_last = false;
  // Threads that read and collate batches; 0 reads them in the caller's thread.
  int num_workers = 0;
  // Batches each worker may have in flight ahead of the caller: at most
  // num_workers * prefetch_factor batches are held at once.
  int prefetch_factor = 2;
  std::uint64_t seed = 0;
  // Leaves out samples whose Dataset::get throws mg::Error (a corrupt or missing file) instead of
  // ending the iteration: their batch is collated from the others (so it may be smaller than
  // batch_size, and a batch of only bad samples is not yielded at all), and each one is recorded
  // in skipped(). Other exceptions still end the iteration.
  bool skip_bad = false;
  // Collates batches into pinned (page-locked) memory, so that copying them to a GPU needs no
  // staging and does not make the host wait. Ignored, as in PyTorch, when no GPU is present.
  bool pin_memory = false;
};

// A sample left out by skip_bad: which one, in which epoch, and why.
struct SkippedSample {
  std::int64_t index = 0;
  std::int64_t epoch = 0;
  std::string source;
  std::string message;
};

// Samples stacked along a new first dimension: inputs[name] is [B, ...], labels int64 [B], and
// indices are the data set indices of the B samples, in batch order.
struct Batch {
  std::map<std::string, Tensor> inputs;
  Tensor labels;
  std::vector<std::int64_t> indices;
};

// Stacks `samples` (those at data set `indices`) into one Batch (torch's default_collate), in
// pinned memory when `pin_memory` (which needs a GPU). All samples must have the same input names
// and, per name, the same shape, dtype and device; otherwise throws mg::Error naming the two
// disagreeing samples (index and source) and their tensors.
Batch default_collate(const std::vector<Sample>& samples, const std::vector<std::int64_t>& indices,
                      bool pin_memory = false);

class SkipLog;

class DataLoader {
 public:
  class Iterator;

  DataLoader(std::shared_ptr<const Dataset> dataset, DataLoaderOptions options = {});

  // Batches per epoch (len(loader)).
  std::int64_t size() const;
  const DataLoaderOptions& options() const { return options_; }
  // Chooses the order of the next iterations when shuffling; 0 until set.
  void set_epoch(std::int64_t epoch);
  std::int64_t epoch() const { return epoch_; }
  // The data set indices in the order this epoch visits them, before batching.
  std::vector<std::int64_t> sample_order() const;
  // Samples left out by skip_bad in the iterations so far, in the order their batches were
  // yielded (so the same for any num_workers), and a one-line account of them for a log.
  std::vector<SkippedSample> skipped() const;
  std::string skipped_summary() const;

  // Starts an iteration over the current epoch and reads its first batch. The iteration owns
  // its workers and the data set, so it may outlive the loader; leaving it early (break, or
  // destroying the iterator) stops and joins its workers, including ones blocked on a full
  // prefetch queue. An exception in Dataset::get (in any thread) reaches the caller, at the
  // position of its batch, as mg::Error "DataLoader: sample <i> (<source>): <message>"; the
  // iteration is then over (unless skip_bad leaves the sample out).
  Iterator begin() const;
  std::default_sentinel_t end() const { return {}; }

 private:
  std::shared_ptr<const Dataset> dataset_;
  DataLoaderOptions options_;
  std::int64_t epoch_ = 0;
  std::shared_ptr<SkipLog> skip_log_;
};

class EpochRun;

// An input iterator over one epoch's batches, in order; move-only, as it owns the workers.
class DataLoader::Iterator {
 public:
  using value_type = Batch;
  using difference_type = std::ptrdiff_t;

  explicit Iterator(std::unique_ptr<EpochRun> run);
  Iterator(Iterator&&) noexcept;
  Iterator& operator=(Iterator&&) noexcept;
  ~Iterator();

  const Batch& operator*() const;
  const Batch* operator->() const { return &**this; }
  Iterator& operator++();
  void operator++(int) { ++*this; }
  bool operator==(std::default_sentinel_t) const { return run_ == nullptr; }

 private:
  void advance();

  std::unique_ptr<EpochRun> run_;
  Batch current_;
};

}  // namespace mg::data
