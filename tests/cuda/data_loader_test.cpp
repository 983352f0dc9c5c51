#include <numeric>

#include "datasets/data_loader.h"
#include "test_util.h"
#include "tests/cuda/cuda_test_util.h"

namespace mg::data {
namespace {

// With pin_memory, batches arrive in page-locked memory (inputs and labels) and hold the same
// values as without it; their uploads to the GPU give the same tensors.
TEST(CudaDataLoader, PinMemoryCollatesIntoPinnedBatches) {
  MG_REQUIRE_GPU();
  const std::int64_t n = 10;
  std::vector<std::int64_t> labels(n);
  std::iota(labels.begin(), labels.end(), 0);
  auto dataset = std::make_shared<TensorDataset>(
      std::map<std::string, Tensor>{{"x", reshape(arange(3.0 * n), {n, 3})}},
      from_vector(labels, {n}));
  DataLoaderOptions options;
  options.batch_size = 4;
  options.num_workers = 2;
  options.shuffle = true;
  DataLoader plain(dataset, options);
  options.pin_memory = true;
  DataLoader pinned(dataset, options);
  std::vector<Batch> expected;
  for (const Batch& batch : plain) expected.push_back(batch);
  std::size_t k = 0;
  for (const Batch& batch : pinned) {
    ASSERT_LT(k, expected.size());
    EXPECT_TRUE(batch.inputs.at("x").is_pinned());
    EXPECT_TRUE(batch.labels.is_pinned());
    const Tensor x = native::to(batch.inputs.at("x"), Device::cuda());
    EXPECT_EQ(x.to_vector<float>(), expected[k].inputs.at("x").to_vector<float>());
    EXPECT_EQ(native::to(batch.labels, Device::cuda()).to_vector<std::int64_t>(),
              expected[k].labels.to_vector<std::int64_t>());
    ++k;
  }
  EXPECT_EQ(k, expected.size());
}

}  // namespace
}  // namespace mg::data
