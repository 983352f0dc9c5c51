#include "datasets/data_loader.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>
#include <numeric>
#include <stdexcept>
#include <thread>

#include "core/cuda/cuda_runtime.h"
#include "test_util.h"

namespace mg::data {
namespace {

// Sample i has x = {2i, 2i + 1} (float32) and label i.
std::shared_ptr<TensorDataset> rows(std::int64_t n) {
  std::vector<std::int64_t> labels(static_cast<std::size_t>(n));
  std::iota(labels.begin(), labels.end(), 0);
  return std::make_shared<TensorDataset>(
      std::map<std::string, Tensor>{{"x", reshape(arange(2.0 * n), {n, 2})}},
      from_vector(labels, {n}));
}

std::vector<Batch> collect(const DataLoader& loader) {
  std::vector<Batch> batches;
  for (const Batch& batch : loader) batches.push_back(batch);
  return batches;
}

std::vector<std::int64_t> sizes_of(const std::vector<Batch>& batches) {
  std::vector<std::int64_t> sizes;
  for (const Batch& batch : batches) sizes.push_back(batch.labels.size(0));
  return sizes;
}

// Checks that every batch holds the rows of its indices, as rows() makes them.
void expect_rows_of_indices(const Batch& batch) {
  std::vector<double> x;
  for (const std::int64_t i : batch.indices) {
    x.push_back(2.0 * static_cast<double>(i));
    x.push_back(2.0 * static_cast<double>(i) + 1);
  }
  const auto b = static_cast<std::int64_t>(batch.indices.size());
  testing::expect_values(batch.inputs.at("x"), x, {b, 2});
  EXPECT_EQ(batch.labels.dtype(), kInt64);
  EXPECT_EQ(batch.labels.to_vector<std::int64_t>(), batch.indices);
}

// Counts get() calls and how many are running.
class CountingDataset final : public Dataset {
 public:
  explicit CountingDataset(std::int64_t n) : rows_(rows(n)) {}
  std::int64_t size() const override { return rows_->size(); }
  Sample get(std::int64_t index) const override {
    ++in_flight;
    ++calls;
    Sample sample = rows_->get(index);
    --in_flight;
    return sample;
  }

  mutable std::atomic<int> calls{0};
  mutable std::atomic<int> in_flight{0};

 private:
  std::shared_ptr<TensorDataset> rows_;
};

// Waits (up to a generous deadline, so a broken loader fails instead of hanging) until the
// workers have claimed as many samples as the prefetch bound lets them.
void wait_for_calls(const CountingDataset& dataset, int calls) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (dataset.calls.load() < calls && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ASSERT_EQ(dataset.calls.load(), calls);
}

TEST(DataLoader, ShuffledOrderDependsOnlyOnSeedAndEpoch) {
  DataLoaderOptions options;
  options.shuffle = true;
  options.seed = 7;
  DataLoader a(rows(50), options), b(rows(50), options);
  const auto epoch0 = a.sample_order();
  EXPECT_EQ(epoch0, b.sample_order());
  std::vector<std::int64_t> sorted = epoch0;
  std::sort(sorted.begin(), sorted.end());
  std::vector<std::int64_t> identity(50);
  std::iota(identity.begin(), identity.end(), 0);
  EXPECT_EQ(sorted, identity);
  EXPECT_NE(epoch0, identity);

  a.set_epoch(1);
  EXPECT_NE(a.sample_order(), epoch0);
  b.set_epoch(1);
  EXPECT_EQ(a.sample_order(), b.sample_order());
  a.set_epoch(0);
  EXPECT_EQ(a.sample_order(), epoch0);

  options.seed = 8;
  EXPECT_NE(DataLoader(rows(50), options).sample_order(), epoch0);
  options.shuffle = false;
  EXPECT_EQ(DataLoader(rows(50), options).sample_order(), identity);
}

TEST(DataLoader, SameBatchesWithAnyNumberOfWorkers) {
  DataLoaderOptions options;
  options.batch_size = 4;
  options.shuffle = true;
  options.seed = 3;
  std::vector<std::vector<Batch>> runs;
  for (const int workers : {0, 1, 3}) {
    options.num_workers = workers;
    DataLoader loader(rows(23), options);
    loader.set_epoch(2);
    runs.push_back(collect(loader));
  }
  for (const auto& run : runs) {
    ASSERT_EQ(run.size(), runs[0].size());
    for (std::size_t k = 0; k < run.size(); ++k) {
      EXPECT_EQ(run[k].indices, runs[0][k].indices) << "batch " << k;
      expect_rows_of_indices(run[k]);
    }
  }
}

TEST(DataLoader, LastPartialBatchAndDropLast) {
  DataLoaderOptions options;
  options.batch_size = 4;
  for (const int workers : {0, 2}) {
    options.num_workers = workers;
    options.drop_last = false;
    DataLoader keep(rows(10), options);
    EXPECT_EQ(keep.size(), 3);
    const auto kept = collect(keep);
    EXPECT_EQ(sizes_of(kept), (std::vector<std::int64_t>{4, 4, 2}));
    EXPECT_EQ(kept.back().indices, (std::vector<std::int64_t>{8, 9}));
    expect_rows_of_indices(kept.back());

    options.drop_last = true;
    DataLoader drop(rows(10), options);
    EXPECT_EQ(drop.size(), 2);
    EXPECT_EQ(sizes_of(collect(drop)), (std::vector<std::int64_t>{4, 4}));
  }
  options.drop_last = true;
  EXPECT_TRUE(collect(DataLoader(rows(3), options)).empty());
}

TEST(DataLoader, EveryIndexOncePerEpoch) {
  DataLoaderOptions options;
  options.batch_size = 3;
  options.shuffle = true;
  options.num_workers = 2;
  DataLoader loader(rows(31), options);
  for (const std::int64_t epoch : {0, 1}) {
    loader.set_epoch(epoch);
    std::vector<std::int64_t> seen;
    for (const Batch& batch : loader) {
      expect_rows_of_indices(batch);
      seen.insert(seen.end(), batch.indices.begin(), batch.indices.end());
    }
    EXPECT_EQ(seen, loader.sample_order());
    std::sort(seen.begin(), seen.end());
    std::vector<std::int64_t> identity(31);
    std::iota(identity.begin(), identity.end(), 0);
    EXPECT_EQ(seen, identity) << "epoch " << epoch;
  }
}

TEST(DataLoader, CollatesEveryInputIntoOneBatchDimension) {
  const Tensor image = reshape(arange(24.0, kFloat64), {2, 3, 2, 2});
  const Tensor audio = reshape(arange(10.0, kUInt8), {2, 5});
  auto dataset = std::make_shared<TensorDataset>(
      std::map<std::string, Tensor>{{"image", image}, {"audio", audio}},
      from_vector<std::int64_t>({7, 3}));
  DataLoaderOptions options;
  options.batch_size = 2;
  const auto batches = collect(DataLoader(dataset, options));
  ASSERT_EQ(batches.size(), 1u);
  const Batch& batch = batches[0];
  EXPECT_EQ(batch.inputs.at("image").dtype(), kFloat64);
  EXPECT_EQ(batch.inputs.at("audio").dtype(), kUInt8);
  std::vector<double> image_values(24), audio_values(10);
  std::iota(image_values.begin(), image_values.end(), 0.0);
  std::iota(audio_values.begin(), audio_values.end(), 0.0);
  testing::expect_values(batch.inputs.at("image"), image_values, {2, 3, 2, 2});
  testing::expect_values(batch.inputs.at("audio"), audio_values, {2, 5});
  EXPECT_EQ(batch.labels.to_vector<std::int64_t>(), (std::vector<std::int64_t>{7, 3}));
  EXPECT_EQ(batch.indices, (std::vector<std::int64_t>{0, 1}));
}

// Sample 3 differs from the others: a longer x, or another input name.
class RaggedDataset final : public Dataset {
 public:
  explicit RaggedDataset(bool rename) : rename_(rename) {}
  std::int64_t size() const override { return 6; }
  Sample get(std::int64_t index) const override {
    const std::string name = rename_ && index == 3 ? "y" : "x";
    return {{{name, zeros({index == 3 && !rename_ ? 3 : 2})}}, 0, str("row", index)};
  }

 private:
  bool rename_;
};

TEST(DataLoader, MismatchedSamplesNameBothSamples) {
  DataLoaderOptions options;
  options.batch_size = 3;
  for (const int workers : {0, 2}) {
    options.num_workers = workers;
    EXPECT_MG_ERROR(collect(DataLoader(std::make_shared<RaggedDataset>(false), options)),
                    "DataLoader", "input 'x'", "sample 3 (row3) is float32[3]",
                    "sample 4 (row4) is float32[2]");
    EXPECT_MG_ERROR(collect(DataLoader(std::make_shared<RaggedDataset>(true), options)),
                    "DataLoader", "sample 4 (row4) with inputs {x}",
                    "sample 3 (row3) with inputs {y}");
  }
}

// Sample 5 throws; its source is known without reading it.
class ThrowingDataset final : public Dataset {
 public:
  explicit ThrowingDataset(bool std_exception) : std_exception_(std_exception) {}
  std::int64_t size() const override { return 12; }
  Sample get(std::int64_t index) const override {
    if (index == 5 && std_exception_) throw std::runtime_error("truncated");
    MG_CHECK(index != 5, "read_wav: corrupt header");
    return {{{"x", full({2}, static_cast<double>(index))}}, index, source(index)};
  }
  std::string source(std::int64_t index) const override { return str("clip_", index, ".wav"); }

 private:
  bool std_exception_;
};

TEST(DataLoader, WorkerExceptionsReachTheCallerWithSampleAndSource) {
  DataLoaderOptions options;
  options.batch_size = 2;
  for (const int workers : {0, 2}) {
    options.num_workers = workers;
    DataLoader loader(std::make_shared<ThrowingDataset>(false), options);
    std::vector<std::int64_t> seen;
    try {
      for (const Batch& batch : loader)
        seen.insert(seen.end(), batch.indices.begin(), batch.indices.end());
      ADD_FAILURE() << "expected mg::Error with " << workers << " workers";
    } catch (const Error& error) {
      EXPECT_EQ(std::string(error.what()),
                "DataLoader: sample 5 (clip_5.wav): read_wav: corrupt header");
    }
    // The batches before the failing one arrive, in order.
    EXPECT_EQ(seen, (std::vector<std::int64_t>{0, 1, 2, 3}));
    EXPECT_MG_ERROR(collect(DataLoader(std::make_shared<ThrowingDataset>(true), options)),
                    "DataLoader: sample 5 (clip_5.wav): truncated");
  }
}

// Samples in `bad` throw mg::Error; the others are rows like rows() makes.
class PartlyBadDataset final : public Dataset {
 public:
  PartlyBadDataset(std::int64_t n, std::vector<std::int64_t> bad) : rows_(rows(n)), bad_(bad) {}
  std::int64_t size() const override { return rows_->size(); }
  Sample get(std::int64_t index) const override {
    MG_CHECK(std::find(bad_.begin(), bad_.end(), index) == bad_.end(), "decode_image: truncated");
    return rows_->get(index);
  }
  std::string source(std::int64_t index) const override { return str("img_", index, ".jpg"); }

 private:
  std::shared_ptr<TensorDataset> rows_;
  std::vector<std::int64_t> bad_;
};

TEST(DataLoader, SkipBadLeavesOutFailingSamplesAndReportsThemInOrder) {
  DataLoaderOptions options;
  options.batch_size = 3;
  options.skip_bad = true;
  options.shuffle = true;
  options.seed = 7;
  // Samples 6, 7 and 8 fill a whole batch when unshuffled: with shuffling, whichever batch they
  // land in shrinks, and a batch of only bad samples disappears.
  const std::vector<std::int64_t> bad{1, 6, 7, 8};
  std::vector<std::vector<std::int64_t>> reference;
  for (const int workers : {0, 3}) {
    options.num_workers = workers;
    DataLoader loader(std::make_shared<PartlyBadDataset>(11, bad), options);
    for (const std::int64_t epoch : {0, 1}) {
      loader.set_epoch(epoch);
      std::vector<std::int64_t> expected_order;
      for (const std::int64_t i : loader.sample_order()) {
        if (std::find(bad.begin(), bad.end(), i) == bad.end()) expected_order.push_back(i);
      }
      std::vector<std::int64_t> seen;
      for (const Batch& batch : loader) {
        expect_rows_of_indices(batch);
        EXPECT_GE(batch.labels.size(0), 1);
        EXPECT_LE(batch.labels.size(0), 3);
        seen.insert(seen.end(), batch.indices.begin(), batch.indices.end());
      }
      EXPECT_EQ(seen, expected_order) << workers << " workers, epoch " << epoch;
    }
    const std::vector<SkippedSample> skipped = loader.skipped();
    ASSERT_EQ(skipped.size(), 8u);
    std::vector<std::int64_t> skipped_order;
    for (const SkippedSample& s : skipped) {
      EXPECT_EQ(s.source, str("img_", s.index, ".jpg"));
      EXPECT_EQ(s.message, "decode_image: truncated");
      EXPECT_EQ(s.epoch, skipped_order.size() < 4 ? 0 : 1);
      skipped_order.push_back(s.index);
    }
    // The report is in batch order, so the same for any number of workers.
    if (reference.empty()) reference.push_back(skipped_order);
    EXPECT_EQ(skipped_order, reference[0]);
    const std::string summary = loader.skipped_summary();
    EXPECT_NE(summary.find("DataLoader: skipped 8 bad samples: epoch 0 sample "), std::string::npos)
        << summary;
    EXPECT_NE(summary.find("(img_6.jpg): decode_image: truncated"), std::string::npos) << summary;
  }
}

TEST(DataLoader, SkipBadStillStopsAtErrorsThatAreNotBadData) {
  DataLoaderOptions options;
  options.batch_size = 2;
  options.skip_bad = true;
  EXPECT_MG_ERROR(collect(DataLoader(std::make_shared<ThrowingDataset>(true), options)),
                  "DataLoader: sample 5 (clip_5.wav): truncated");
  DataLoader loader(std::make_shared<ThrowingDataset>(false), options);
  EXPECT_EQ(loader.skipped_summary(), "DataLoader: skipped 0 bad samples");
  EXPECT_EQ(sizes_of(collect(loader)), (std::vector<std::int64_t>{2, 2, 1, 2, 2, 2}));
  EXPECT_EQ(loader.skipped().size(), 1u);
}

// Pinned memory needs a GPU; without one pin_memory is ignored, as in PyTorch (tests/cuda has
// the case with a GPU).
TEST(DataLoader, PinMemoryWithoutAGpuGivesOrdinaryBatches) {
  if (cuda::is_available()) GTEST_SKIP() << "a GPU is present: tests/cuda/data_loader_test.cpp";
  DataLoaderOptions options;
  options.batch_size = 4;
  options.pin_memory = true;
  const std::vector<Batch> batches = collect(DataLoader(rows(10), options));
  EXPECT_EQ(sizes_of(batches), (std::vector<std::int64_t>{4, 4, 2}));
  for (const Batch& batch : batches) {
    EXPECT_FALSE(batch.inputs.at("x").is_pinned());
    expect_rows_of_indices(batch);
  }
}

// Sample i of epoch e has label 100 e + i; get() alone sees epoch 0.
class EpochEchoDataset final : public Dataset {
 public:
  std::int64_t size() const override { return 6; }
  Sample get(std::int64_t index) const override { return get_for_epoch(index, 0); }
  Sample get_for_epoch(std::int64_t index, std::int64_t epoch) const override {
    return {{{"x", full({1}, 1.0)}}, 100 * epoch + index, ""};
  }
};

TEST(DataLoader, PassesItsEpochToTheDataSetAlsoThroughSubsets) {
  DataLoaderOptions options;
  options.batch_size = 4;
  const auto echo = std::make_shared<EpochEchoDataset>();
  for (const int workers : {0, 2}) {
    options.num_workers = workers;
    DataLoader loader(echo, options);
    loader.set_epoch(3);
    std::vector<std::int64_t> labels;
    for (const Batch& batch : loader) {
      for (const std::int64_t label : batch.labels.to_vector<std::int64_t>())
        labels.push_back(label);
    }
    EXPECT_EQ(labels, (std::vector<std::int64_t>{300, 301, 302, 303, 304, 305}));
    DataLoader subset(std::make_shared<Subset>(echo, std::vector<std::int64_t>{5, 1}), options);
    subset.set_epoch(2);
    EXPECT_EQ((*subset.begin()).labels.to_vector<std::int64_t>(),
              (std::vector<std::int64_t>{205, 201}));
  }
}

TEST(DataLoader, EarlyBreakStopsWorkersBlockedOnAFullQueue) {
  auto dataset = std::make_shared<CountingDataset>(1000);
  DataLoaderOptions options;
  options.num_workers = 2;
  options.prefetch_factor = 1;
  DataLoader loader(dataset, options);
  for (const Batch& batch : loader) {
    EXPECT_EQ(batch.indices, (std::vector<std::int64_t>{0}));
    // The batch in hand plus num_workers * prefetch_factor in flight, then the workers block.
    wait_for_calls(*dataset, 3);
    break;
  }
  // Leaving the loop joined the workers: nothing runs and nothing more is read.
  EXPECT_EQ(dataset->in_flight.load(), 0);
  EXPECT_EQ(dataset->calls.load(), 3);
}

TEST(DataLoader, IterationOutlivesItsLoaderAndStopsWhenDestroyed) {
  auto dataset = std::make_shared<CountingDataset>(100);
  DataLoaderOptions options;
  options.batch_size = 2;
  options.num_workers = 3;
  options.prefetch_factor = 2;
  auto loader = std::make_unique<DataLoader>(dataset, options);
  auto iterator = std::make_unique<DataLoader::Iterator>(loader->begin());
  wait_for_calls(*dataset, 2 * (1 + 3 * 2));
  loader.reset();
  EXPECT_EQ((**iterator).indices, (std::vector<std::int64_t>{0, 1}));
  ++*iterator;
  EXPECT_EQ((**iterator).indices, (std::vector<std::int64_t>{2, 3}));
  iterator.reset();
  EXPECT_EQ(dataset->in_flight.load(), 0);
  EXPECT_LE(dataset->calls.load(), 2 * (2 + 3 * 2));
}

TEST(DataLoader, StressFourWorkersThousandSamples) {
  auto dataset = rows(1000);
  DataLoaderOptions options;
  options.batch_size = 7;
  options.shuffle = true;
  options.num_workers = 4;
  options.seed = 11;
  DataLoader loader(dataset, options);
  for (const std::int64_t epoch : {0, 1, 2}) {
    loader.set_epoch(epoch);
    std::vector<std::int64_t> seen;
    for (const Batch& batch : loader) {
      expect_rows_of_indices(batch);
      seen.insert(seen.end(), batch.indices.begin(), batch.indices.end());
    }
    EXPECT_EQ(seen, loader.sample_order()) << "epoch " << epoch;
  }
}

TEST(DataLoader, RejectsBadOptions) {
  DataLoaderOptions options;
  options.batch_size = 0;
  EXPECT_MG_ERROR(DataLoader(rows(2), options), "DataLoader", "batch_size", "0");
  options = {};
  options.num_workers = -1;
  EXPECT_MG_ERROR(DataLoader(rows(2), options), "DataLoader", "num_workers", "-1");
  options = {};
  options.prefetch_factor = 0;
  EXPECT_MG_ERROR(DataLoader(rows(2), options), "DataLoader", "prefetch_factor");
  EXPECT_MG_ERROR(DataLoader(nullptr), "DataLoader", "null");
  EXPECT_MG_ERROR(DataLoader(rows(2)).set_epoch(-1), "DataLoader", "epoch", "-1");
}

}  // namespace
}  // namespace mg::data
