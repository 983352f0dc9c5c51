#include "experiments/train/linear_probe.h"

#include <cstdint>
#include <vector>

#include "autograd/ops.h"
#include "test_util.h"

namespace mg::train {
namespace {

// `per_class` points of each of `classes` classes in `dims` dimensions: class c's points are
// Gaussian around 10·e_c (plus an offset and a scale the standardisation must undo), so a linear
// classifier separates them; labels interleaved.
struct Blobs {
  Tensor features, labels;
};

Blobs blobs(std::int64_t classes, std::int64_t per_class, std::int64_t dims, std::uint64_t seed) {
  Generator generator(seed);
  const std::int64_t n = classes * per_class;
  std::vector<double> values = randn({n, dims}, kFloat64, &generator).to_vector<double>();
  std::vector<std::int64_t> labels(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) {
    labels[i] = i % classes;
    values[i * dims + labels[i]] += 10.0;
    for (std::int64_t j = 0; j < dims; ++j) values[i * dims + j] = 100.0 * values[i * dims + j] + 7;
  }
  return {tensor(values, {n, dims}, kFloat32), from_vector(labels)};
}

TEST(LinearProbe, SeparatesLinearlySeparableFeatures) {
  const Blobs train = blobs(5, 40, 8, 1);
  const Blobs val = blobs(5, 20, 8, 2);
  const ProbeResult r = linear_probe(train.features, train.labels, val.features, val.labels, 5);
  EXPECT_GE(r.train_accuracy, 0.99);
  EXPECT_GE(r.val_accuracy, 0.99);
}

TEST(LinearProbe, IsDeterministic) {
  const Blobs train = blobs(3, 10, 4, 3);
  const Blobs val = blobs(3, 10, 4, 4);
  const ProbeOptions options{.epochs = 20, .lr = 1e-2};
  const ProbeResult a =
      linear_probe(train.features, train.labels, val.features, val.labels, 3, options);
  const ProbeResult b =
      linear_probe(train.features, train.labels, val.features, val.labels, 3, options);
  EXPECT_EQ(a.train_accuracy, b.train_accuracy);
  EXPECT_EQ(a.val_accuracy, b.val_accuracy);
}

TEST(LinearProbe, NamesWhatDoesNotFit) {
  const Blobs train = blobs(3, 4, 4, 5);
  EXPECT_MG_ERROR(linear_probe(train.features, train.labels, zeros({12, 5}), train.labels, 3),
                  "linear_probe", "differ in width");
  EXPECT_MG_ERROR(linear_probe(train.features, from_vector(std::vector<std::int64_t>{0, 1}),
                               train.features, train.labels, 3),
                  "linear_probe", "train labels", "int64[2]");
  EXPECT_MG_ERROR(linear_probe(train.features, train.labels, train.features, train.labels, 2),
                  "linear_probe", "label 2");
}

}  // namespace
}  // namespace mg::train
