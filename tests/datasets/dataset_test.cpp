#include "datasets/dataset.h"

#include <memory>

#include "test_util.h"

namespace mg::data {
namespace {

// Row i is {2i, 2i + 1} with label 10i.
std::shared_ptr<TensorDataset> rows(std::int64_t n) {
  std::vector<std::int64_t> labels;
  for (std::int64_t i = 0; i < n; ++i) labels.push_back(10 * i);
  return std::make_shared<TensorDataset>(
      std::map<std::string, Tensor>{{"x", reshape(arange(2.0 * n, kFloat64), {n, 2})}},
      from_vector(labels, {n}));
}

TEST(TensorDataset, SampleIIsRowIOfEveryTensor) {
  const auto dataset = rows(4);
  EXPECT_EQ(dataset->size(), 4);
  const Sample sample = dataset->get(2);
  ASSERT_EQ(sample.inputs.size(), 1u);
  testing::expect_values(sample.inputs.at("x"), {4, 5}, {2});
  EXPECT_EQ(sample.label, 20);
  EXPECT_EQ(sample.source, "TensorDataset[2]");
  EXPECT_EQ(dataset->source(3), "TensorDataset[3]");
}

TEST(TensorDataset, RejectsBadTensorsAndIndices) {
  EXPECT_MG_ERROR(TensorDataset({{"x", zeros({3, 2})}}, from_vector<std::int64_t>({0, 1})),
                  "TensorDataset", "'x'", "float32[3, 2]", "int64[2]");
  EXPECT_MG_ERROR(TensorDataset({{"x", zeros({2, 2})}}, zeros({2})), "TensorDataset", "labels",
                  "float32[2]");
  EXPECT_MG_ERROR(rows(4)->get(4), "TensorDataset", "index 4", "4 samples");
  EXPECT_MG_ERROR(rows(4)->get(-1), "TensorDataset", "index -1");
}

TEST(Subset, MapsIndicesAndKeepsSources) {
  const Subset subset(rows(5), {4, 0, 2});
  EXPECT_EQ(subset.size(), 3);
  const Sample sample = subset.get(0);
  testing::expect_values(sample.inputs.at("x"), {8, 9}, {2});
  EXPECT_EQ(sample.label, 40);
  EXPECT_EQ(subset.source(2), "TensorDataset[2]");
  EXPECT_MG_ERROR(subset.get(3), "Subset", "index 3", "3 samples");
  EXPECT_MG_ERROR(Subset(rows(5), {1, 5}), "Subset", "index 5", "5 samples");
}

}  // namespace
}  // namespace mg::data
