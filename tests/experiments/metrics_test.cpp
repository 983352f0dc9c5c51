#include "experiments/train/metrics.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "core/json.h"
#include "datasets/file_bytes.h"
#include "test_util.h"

namespace mg::train {
namespace {

constexpr double kTol = 1e-12;

Tensor logits(const std::vector<double>& values, std::int64_t rows, DType dtype = kFloat64) {
  return tensor(values, {rows, static_cast<std::int64_t>(values.size()) / rows}, dtype);
}

Tensor labels_of(const std::vector<std::int64_t>& labels) {
  return from_vector(labels);
}

// Row-wise softmax as tools/reference/metrics.py computes it, so that equal rows give equal bits.
std::vector<double> naive_softmax(const std::vector<double>& values, std::int64_t classes) {
  std::vector<double> out(values.size());
  for (std::size_t start = 0; start < values.size(); start += classes) {
    double top = values[start];
    for (std::int64_t c = 1; c < classes; ++c) top = std::max(top, values[start + c]);
    double total = 0;
    for (std::int64_t c = 0; c < classes; ++c)
      total += out[start + c] = std::exp(values[start + c] - top);
    for (std::int64_t c = 0; c < classes; ++c) out[start + c] /= total;
  }
  return out;
}

TEST(ClassificationMetrics, HandCheckedCase) {
  // Predictions (argmax): 0, 1, 1, 2; labels 0, 1, 2, 2. Row 2 ties classes 1 and 2: argmax
  // takes 1, so it is wrong.
  const Tensor scores = logits({3, 1, 0,  //
                                0, 2, 1,  //
                                0, 4, 4,  //
                                1, 0, 5},
                               4);
  const auto metrics = classification_metrics(scores, labels_of({0, 1, 2, 2}));
  EXPECT_EQ(metrics.count, 4);
  EXPECT_DOUBLE_EQ(metrics.accuracy, 0.75);
  // F1: class 0: 2·1/(1+1) = 1; class 1: 2·1/(2+1) = 2/3; class 2: 2·1/(1+2) = 2/3.
  EXPECT_NEAR(metrics.macro_f1, (1.0 + 2.0 / 3 + 2.0 / 3) / 3, kTol);
  // softmax: class 0 [.844, .090, .009, .018], class 1 [.114, .665, .496, .007], class 2
  // [.042, .245, .496, .976]: each class ranks its positives first, AP 1.
  EXPECT_NEAR(metrics.mean_ap, 1.0, kTol);
}

TEST(ClassificationMetrics, ArgmaxTieTakesLowestIndex) {
  const Tensor scores = logits({2, 2, 2,  //
                                1, 5, 5},
                               2);
  EXPECT_DOUBLE_EQ(classification_metrics(scores, labels_of({0, 1})).accuracy, 1.0);
  EXPECT_DOUBLE_EQ(classification_metrics(scores, labels_of({1, 2})).accuracy, 0.0);
}

TEST(ClassificationMetrics, ClassWithoutSamplesOrPredictionsCountsZeroInF1AndIsLeftOutOfAp) {
  // Three classes; class 2 never occurs and is never predicted. Both samples right: F1 of
  // classes 0 and 1 is 1, class 2 gets 0 → macro-F1 2/3; AP 1 for classes 0 and 1, class 2
  // left out → mAP 1.
  const Tensor scores = logits({1, 0, -3,  //
                                0, 1, -3},
                               2);
  const auto metrics = classification_metrics(scores, labels_of({0, 1}));
  EXPECT_DOUBLE_EQ(metrics.accuracy, 1.0);
  EXPECT_NEAR(metrics.macro_f1, 2.0 / 3, kTol);
  EXPECT_NEAR(metrics.mean_ap, 1.0, kTol);
}

TEST(ClassificationMetrics, Float32ScoresGiveTheSameMetrics) {
  const std::vector<double> values = {0.5, -1, 2, 0.25, 3, -0.5, 1, 1, -2, 0, 0.75, 0.125};
  const Tensor labels = labels_of({2, 1, 0, 0});
  const auto wide = classification_metrics(logits(values, 4), labels);
  const auto narrow = classification_metrics(logits(values, 4, kFloat32), labels);
  EXPECT_DOUBLE_EQ(narrow.accuracy, wide.accuracy);
  EXPECT_DOUBLE_EQ(narrow.macro_f1, wide.macro_f1);
  EXPECT_DOUBLE_EQ(narrow.mean_ap, wide.mean_ap);
}

TEST(AveragePrecision, SklearnDocumentationExample) {
  // sklearn's average_precision_score([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]) = 0.8333...:
  // thresholds 0.8 (R 1/2, P 1), 0.4 (R 1/2), 0.35 (R 1, P 2/3), 0.1.
  EXPECT_NEAR(average_precision({0.1, 0.4, 0.35, 0.8}, {false, false, true, true}), 5.0 / 6, kTol);
}

TEST(AveragePrecision, TiedScoresFormOneThreshold) {
  // One threshold at 0.5 with 1 positive of 2 samples: R 1, P 1/2. Ranking the tie in either
  // order would instead give 1 or 1/2.
  EXPECT_NEAR(average_precision({0.5, 0.5}, {true, false}), 0.5, kTol);
  // 0.9 (positive): R 1/2, P 1; tie at 0.3 (positive, negative, negative): R 1, P 2/4.
  EXPECT_NEAR(average_precision({0.3, 0.9, 0.3, 0.3}, {true, true, false, false}),
              0.5 * 1 + 0.5 * 0.5, kTol);
}

TEST(AveragePrecision, Errors) {
  EXPECT_MG_ERROR(average_precision({0.1, 0.2}, {false, false}), "average_precision",
                  "no positive");
  EXPECT_MG_ERROR(average_precision({0.1}, {true, false}), "average_precision", "1 scores",
                  "2 labels");
  EXPECT_MG_ERROR(average_precision({NAN, 0.2}, {true, false}), "average_precision", "non-finite");
}

TEST(MetricAccumulator, BatchesGiveTheSameMetricsAsOneCall) {
  Generator generator(7);
  const Tensor scores = randn({20, 4}, kFloat64, &generator);
  std::vector<std::int64_t> labels(20);
  for (std::int64_t i = 0; i < 20; ++i) labels[i] = (i * 7) % 4;
  const auto whole = classification_metrics(scores, labels_of(labels));

  MetricAccumulator accumulator;
  const auto values = scores.to_vector<double>();
  const std::vector<std::pair<std::int64_t, std::int64_t>> batches = {
      {0, 8}, {8, 8}, {8, 15}, {15, 20}};  // one empty batch
  for (const auto& [begin, end] : batches) {
    const std::vector<double> rows(values.begin() + begin * 4, values.begin() + end * 4);
    const std::vector<std::int64_t> targets(labels.begin() + begin, labels.begin() + end);
    accumulator.add(tensor(rows, {end - begin, 4}, kFloat64), labels_of(targets));
  }
  EXPECT_EQ(accumulator.count(), 20);
  EXPECT_EQ(accumulator.classes(), 4);
  const auto batched = accumulator.compute();
  EXPECT_EQ(batched.count, whole.count);
  EXPECT_DOUBLE_EQ(batched.accuracy, whole.accuracy);
  EXPECT_DOUBLE_EQ(batched.macro_f1, whole.macro_f1);
  EXPECT_DOUBLE_EQ(batched.mean_ap, whole.mean_ap);
}

TEST(MetricAccumulator, Errors) {
  const Tensor scores = logits({1, 2, 3, 4, 5, 6}, 2);
  EXPECT_MG_ERROR(classification_metrics(tensor({1, 2, 3}), labels_of({0})), "MetricAccumulator",
                  "float32 or float64 [N, C]", "float32[3]");
  EXPECT_MG_ERROR(classification_metrics(scores, labels_of({0})), "MetricAccumulator",
                  "float64[2, 3]", "int64[1]", "different sample counts");
  EXPECT_MG_ERROR(classification_metrics(scores, tensor({0, 1}, {}, kFloat32)), "MetricAccumulator",
                  "labels must be int64 [N]", "float32[2]");
  EXPECT_MG_ERROR(classification_metrics(scores, labels_of({0, 3})), "MetricAccumulator", "label 3",
                  "outside [0, 3)", "float64[2, 3]");
  EXPECT_MG_ERROR(classification_metrics(scores, labels_of({-1, 0})), "MetricAccumulator",
                  "label -1", "outside [0, 3)");
  EXPECT_MG_ERROR(classification_metrics(tensor({1, 2}, {2, 1}, kInt64), labels_of({0, 0})),
                  "MetricAccumulator", "int64[2, 1]");
  EXPECT_MG_ERROR(classification_metrics(logits({1, NAN, 3, 4}, 2), labels_of({0, 1})),
                  "MetricAccumulator", "non-finite", "row 0");
  EXPECT_MG_ERROR(classification_metrics(empty({0, 3}, kFloat64), labels_of({})),
                  "MetricAccumulator::compute", "no sample");

  MetricAccumulator accumulator;
  accumulator.add(scores, labels_of({0, 1}));
  EXPECT_MG_ERROR(accumulator.add(logits({1, 2}, 1), labels_of({0})), "MetricAccumulator",
                  "float64[1, 2]", "2 classes", "earlier batches had 3");
}

// The sklearn reference (tools/reference/metrics.py): random logits, ties, classes without
// samples; each case with float64 and float32 scores (the fixture's values are float32-exact),
// in one call and batch by batch.
TEST(ClassificationMetrics, MatchesSklearn) {
  const std::string path = std::string(MG_FIXTURE_DIR) + "/experiments/metrics.json";
  const auto bytes = data::read_file_bytes(path);
  const Json document = Json::parse(
      std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()), path);
  const auto& cases = document.at("cases").as_array();
  ASSERT_EQ(cases.size(), 4u);
  for (const Json& test_case : cases) {
    const std::string name = test_case.at("name").as_string();
    const std::int64_t classes = test_case.at("classes").as_int();
    std::vector<double> values;
    for (const Json& row : test_case.at("scores").as_array()) {
      ASSERT_EQ(static_cast<std::int64_t>(row.as_array().size()), classes) << name;
      for (const Json& value : row.as_array()) values.push_back(value.as_double());
    }
    std::vector<std::int64_t> labels;
    for (const Json& label : test_case.at("labels").as_array()) labels.push_back(label.as_int());
    const auto rows = static_cast<std::int64_t>(labels.size());

    for (const DType dtype : {kFloat64, kFloat32}) {
      SCOPED_TRACE(name + " " + std::string(dtype_name(dtype)));
      const auto metrics = classification_metrics(logits(values, rows, dtype), labels_of(labels));
      EXPECT_EQ(metrics.count, rows);
      EXPECT_NEAR(metrics.accuracy, test_case.at("accuracy").as_double(), kTol);
      EXPECT_NEAR(metrics.macro_f1, test_case.at("macro_f1").as_double(), kTol);
      EXPECT_NEAR(metrics.mean_ap, test_case.at("mean_ap").as_double(), kTol);

      MetricAccumulator accumulator;
      for (std::int64_t begin = 0; begin < rows; begin += 16) {
        const std::int64_t end = std::min(rows, begin + 16);
        accumulator.add(tensor(std::vector<double>(values.begin() + begin * classes,
                                                   values.begin() + end * classes),
                               {end - begin, classes}, dtype),
                        labels_of({labels.begin() + begin, labels.begin() + end}));
      }
      EXPECT_NEAR(accumulator.compute().mean_ap, metrics.mean_ap, kTol);
    }

    // The per-class AP the mean is built from, on the same softmax columns.
    const auto probabilities = naive_softmax(values, classes);
    const auto& expected_ap = test_case.at("average_precision").as_array();
    for (std::int64_t c = 0; c < classes; ++c) {
      if (expected_ap[c].is_null()) continue;
      std::vector<double> column(rows);
      std::vector<bool> positive(rows);
      for (std::int64_t i = 0; i < rows; ++i) {
        column[i] = probabilities[i * classes + c];
        positive[i] = labels[i] == c;
      }
      EXPECT_NEAR(average_precision(column, positive), expected_ap[c].as_double(), 1e-9)
          << name << " class " << c;
    }
  }
}

TEST(ImbalanceDegree, MaxMinusMin) {
  EXPECT_DOUBLE_EQ(imbalance_degree({0.25, 0.75}), 0.5);
  EXPECT_DOUBLE_EQ(imbalance_degree({62.5, 40, 55}), 22.5);
  EXPECT_DOUBLE_EQ(imbalance_degree({0.5, 0.5}), 0.0);
  EXPECT_MG_ERROR(imbalance_degree({0.5}), "imbalance_degree", "at least 2", "got 1");
  EXPECT_MG_ERROR(imbalance_degree({}), "imbalance_degree", "got 0");
  EXPECT_MG_ERROR(imbalance_degree({0.5, NAN}), "imbalance_degree", "non-finite");
}

TEST(ShapleyValues, AdditiveGameGivesEachPlayerItsOwnValue) {
  const std::vector<double> own = {0.3, -0.1, 0.7};
  const auto phi = shapley_values(3, [&](std::uint64_t coalition) {
    double total = 1.0;  // v(∅) = 1 is not shared out
    for (int m = 0; m < 3; ++m) {
      if (coalition >> m & 1) total += own[m];
    }
    return total;
  });
  ASSERT_EQ(phi.size(), 3u);
  for (int m = 0; m < 3; ++m) EXPECT_NEAR(phi[m], own[m], kTol);
}

TEST(ShapleyValues, HandCheckedTwoPlayerGame) {
  // v(∅) = 0.1, v({0}) = 0.5, v({1}) = 0.3, v({0, 1}) = 0.9:
  // φ0 = ½ (0.5 − 0.1) + ½ (0.9 − 0.3) = 0.5, φ1 = ½ (0.3 − 0.1) + ½ (0.9 − 0.5) = 0.3.
  const std::vector<double> v = {0.1, 0.5, 0.3, 0.9};
  std::vector<std::uint64_t> calls;
  const auto phi = shapley_values(2, [&](std::uint64_t s) {
    calls.push_back(s);
    return v[s];
  });
  EXPECT_EQ(calls, (std::vector<std::uint64_t>{0, 1, 2, 3}));
  EXPECT_NEAR(phi[0], 0.5, kTol);
  EXPECT_NEAR(phi[1], 0.3, kTol);
}

TEST(ShapleyValues, EfficiencyAndSymmetryOnARandomGame) {
  for (const std::int64_t n : {1, 4, 7}) {
    Generator generator(static_cast<std::uint64_t>(n));
    const auto v = rand({std::int64_t{1} << n}, kFloat64, &generator).to_vector<double>();
    const auto phi = shapley_values(n, [&](std::uint64_t s) { return v[s]; });
    ASSERT_EQ(static_cast<std::int64_t>(phi.size()), n);
    double total = 0;
    for (const double value : phi) total += value;
    EXPECT_NEAR(total, v.back() - v.front(), 1e-12) << n << " players";
  }
  // Players 0 and 1 are interchangeable (v depends on how many of them are present): equal
  // values. Player 2 is a null player: 0.
  const auto phi = shapley_values(3, [](std::uint64_t s) {
    return std::pow(2.0, static_cast<double>((s & 1) + (s >> 1 & 1)));
  });
  EXPECT_NEAR(phi[0], phi[1], kTol);
  EXPECT_NEAR(phi[2], 0.0, kTol);
  EXPECT_NEAR(phi[0] + phi[1], 4.0 - 1.0, kTol);
}

TEST(ShapleyValues, SixteenPlayersAndErrors) {
  const auto phi = shapley_values(16, [](std::uint64_t s) { return std::popcount(s) * 0.5; });
  for (const double value : phi) EXPECT_NEAR(value, 0.5, 1e-12);
  const auto zero = [](std::uint64_t) { return 0.0; };
  EXPECT_MG_ERROR(shapley_values(0, zero), "shapley_values", "[1, 16]", "got 0");
  EXPECT_MG_ERROR(shapley_values(17, zero), "shapley_values", "[1, 16]", "got 17");
}

TEST(RunningStats, MatchesTwoPassFormulas) {
  const std::vector<double> values = {2, 4, 4, 4, 5, 5, 7, 9};
  RunningStats stats;
  for (const double value : values) stats.add(value);
  EXPECT_EQ(stats.count(), 8);
  EXPECT_DOUBLE_EQ(stats.mean(), 5.0);
  // Σ (x − 5)² = 32; sample variance 32 / 7 (torch.tensor(values).std()).
  EXPECT_NEAR(stats.stddev(), std::sqrt(32.0 / 7), kTol);
  EXPECT_DOUBLE_EQ(stats.min(), 2.0);
  EXPECT_DOUBLE_EQ(stats.max(), 9.0);
}

TEST(RunningStats, StableForALargeOffset) {
  // A naive Σx² − n·mean² loses every digit here; Welford keeps them.
  RunningStats stats;
  for (const double value : {1e9 + 4, 1e9 + 7, 1e9 + 13, 1e9 + 16}) stats.add(value);
  EXPECT_DOUBLE_EQ(stats.mean(), 1e9 + 10);
  EXPECT_NEAR(stats.stddev(), std::sqrt(90.0 / 3), 1e-6);
}

TEST(RunningStats, SingleValueAndErrors) {
  RunningStats stats;
  EXPECT_EQ(stats.count(), 0);
  EXPECT_MG_ERROR(stats.mean(), "RunningStats::mean", "no value");
  EXPECT_MG_ERROR(stats.stddev(), "RunningStats::stddev", "no value");
  EXPECT_MG_ERROR(stats.min(), "RunningStats::min", "no value");
  EXPECT_MG_ERROR(stats.max(), "RunningStats::max", "no value");
  stats.add(-3.5);
  EXPECT_DOUBLE_EQ(stats.mean(), -3.5);
  EXPECT_DOUBLE_EQ(stats.stddev(), 0.0);
  EXPECT_DOUBLE_EQ(stats.min(), -3.5);
  EXPECT_DOUBLE_EQ(stats.max(), -3.5);
  EXPECT_MG_ERROR(stats.add(NAN), "RunningStats::add", "NaN", "after 1 values");
}

}  // namespace
}  // namespace mg::train

namespace {

TEST(Median, MiddleValueOrTheMeanOfTheMiddleTwo) {
  EXPECT_DOUBLE_EQ(mg::train::median({3, 1, 2}), 2);
  EXPECT_DOUBLE_EQ(mg::train::median({4, 1, 3, 2}), 2.5);
  EXPECT_DOUBLE_EQ(mg::train::median({7}), 7);
  EXPECT_DOUBLE_EQ(mg::train::median({}), 0);
}

}  // namespace
