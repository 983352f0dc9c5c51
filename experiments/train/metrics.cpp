#include "experiments/train/metrics.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <numeric>

#include "core/error.h"

namespace mg::train {

namespace {

std::int64_t argmax_row(const double* row, std::int64_t classes) {
  std::int64_t best = 0;
  for (std::int64_t c = 1; c < classes; ++c) {
    if (row[c] > row[best]) best = c;  // strict: the lowest index wins a tie
  }
  return best;
}

// Row-wise softmax of an N × C matrix, shifted by the row maximum so exp never overflows.
std::vector<double> softmax_rows(const std::vector<double>& scores, std::int64_t classes) {
  std::vector<double> probabilities(scores.size());
  for (std::size_t start = 0; start < scores.size(); start += static_cast<std::size_t>(classes)) {
    const double* row = scores.data() + start;
    double* out = probabilities.data() + start;
    const double top = *std::max_element(row, row + classes);
    double total = 0;
    for (std::int64_t c = 0; c < classes; ++c) total += out[c] = std::exp(row[c] - top);
    for (std::int64_t c = 0; c < classes; ++c) out[c] /= total;
  }
  return probabilities;
}

double macro_f1(const std::vector<std::int64_t>& predictions,
                const std::vector<std::int64_t>& labels, std::int64_t classes) {
  std::vector<std::int64_t> true_positives(classes), predicted(classes), actual(classes);
  for (std::size_t i = 0; i < labels.size(); ++i) {
    ++predicted[predictions[i]];
    ++actual[labels[i]];
    if (predictions[i] == labels[i]) ++true_positives[labels[i]];
  }
  double total = 0;
  for (std::int64_t c = 0; c < classes; ++c) {
    const std::int64_t denominator = predicted[c] + actual[c];  // 2 TP + FP + FN
    if (denominator > 0) total += 2.0 * static_cast<double>(true_positives[c]) / denominator;
  }
  return total / static_cast<double>(classes);
}

}  // namespace

void MetricAccumulator::add(const Tensor& scores, const Tensor& labels) {
  MG_CHECK(scores.defined() && labels.defined(),
           "MetricAccumulator::add: scores and labels must be defined");
  MG_CHECK(scores.dim() == 2 && is_floating(scores.dtype()),
           "MetricAccumulator::add: scores must be float32 or float64 [N, C], got ",
           describe(scores));
  MG_CHECK(labels.dim() == 1 && labels.dtype() == kInt64,
           "MetricAccumulator::add: labels must be int64 [N], got ", describe(labels));
  MG_CHECK(labels.size(0) == scores.size(0), "MetricAccumulator::add: scores ", describe(scores),
           " and labels ", describe(labels), " have different sample counts");
  const std::int64_t classes = scores.size(1);
  MG_CHECK(classes > 0, "MetricAccumulator::add: scores ", describe(scores), " have no class");
  MG_CHECK(classes_ == 0 || classes == classes_, "MetricAccumulator::add: scores ",
           describe(scores), " have ", classes, " classes, earlier batches had ", classes_);

  const auto values = scores.to_vector<double>();
  const auto targets = labels.to_vector<std::int64_t>();
  for (std::size_t i = 0; i < values.size(); ++i) {
    MG_CHECK(std::isfinite(values[i]), "MetricAccumulator::add: scores ", describe(scores),
             " hold a non-finite value ", values[i], " at row ", i / classes);
  }
  for (std::size_t i = 0; i < targets.size(); ++i) {
    MG_CHECK(targets[i] >= 0 && targets[i] < classes, "MetricAccumulator::add: label ", targets[i],
             " at index ", i, " of labels ", describe(labels), " is outside [0, ", classes,
             ") for scores ", describe(scores));
  }
  classes_ = classes;
  scores_.insert(scores_.end(), values.begin(), values.end());
  labels_.insert(labels_.end(), targets.begin(), targets.end());
}

ClassificationMetrics MetricAccumulator::compute() const {
  MG_CHECK(!labels_.empty(), "MetricAccumulator::compute: no sample was added");
  const std::int64_t count = this->count();
  std::vector<std::int64_t> predictions(labels_.size());
  std::int64_t correct = 0;
  for (std::int64_t i = 0; i < count; ++i) {
    predictions[i] = argmax_row(scores_.data() + i * classes_, classes_);
    correct += predictions[i] == labels_[i];
  }

  const auto probabilities = softmax_rows(scores_, classes_);
  std::vector<double> column(labels_.size());
  std::vector<bool> positive(labels_.size());
  double ap_total = 0;
  std::int64_t ap_classes = 0;
  for (std::int64_t c = 0; c < classes_; ++c) {
    bool any_positive = false;
    for (std::int64_t i = 0; i < count; ++i) {
      column[i] = probabilities[i * classes_ + c];
      positive[i] = labels_[i] == c;
      any_positive = any_positive || positive[i];
    }
    if (!any_positive) continue;
    ap_total += average_precision(column, positive);
    ++ap_classes;
  }

  ClassificationMetrics metrics;
  metrics.count = count;
  metrics.accuracy = static_cast<double>(correct) / static_cast<double>(count);
  metrics.macro_f1 = macro_f1(predictions, labels_, classes_);
  metrics.mean_ap = ap_classes > 0 ? ap_total / static_cast<double>(ap_classes) : 0.0;
  return metrics;
}

ClassificationMetrics classification_metrics(const Tensor& scores, const Tensor& labels) {
  MetricAccumulator accumulator;
  accumulator.add(scores, labels);
  return accumulator.compute();
}

double average_precision(const std::vector<double>& scores, const std::vector<bool>& positive) {
  MG_CHECK(scores.size() == positive.size(), "average_precision: ", scores.size(), " scores but ",
           positive.size(), " labels");
  const auto positives = std::count(positive.begin(), positive.end(), true);
  MG_CHECK(positives > 0, "average_precision: no positive sample, AP is undefined");
  for (const double score : scores) {
    MG_CHECK(std::isfinite(score), "average_precision: non-finite score ", score);
  }

  std::vector<std::size_t> order(scores.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::sort(order.begin(), order.end(),
            [&](std::size_t a, std::size_t b) { return scores[a] > scores[b]; });
  double ap = 0;
  double previous_recall = 0;
  std::int64_t true_positives = 0;
  std::size_t taken = 0;
  while (taken < order.size()) {
    // All samples with this score pass the threshold together.
    const double threshold = scores[order[taken]];
    for (; taken < order.size() && scores[order[taken]] == threshold; ++taken) {
      true_positives += positive[order[taken]];
    }
    const double recall = static_cast<double>(true_positives) / static_cast<double>(positives);
    const double precision = static_cast<double>(true_positives) / static_cast<double>(taken);
    ap += (recall - previous_recall) * precision;
    previous_recall = recall;
  }
  return ap;
}

double median(std::vector<double> values) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const std::size_t n = values.size();
  return n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

double imbalance_degree(const std::vector<double>& modality_accuracies) {
  MG_CHECK(modality_accuracies.size() >= 2, "imbalance_degree: needs at least 2 modalities, got ",
           modality_accuracies.size());
  for (const double accuracy : modality_accuracies) {
    MG_CHECK(std::isfinite(accuracy), "imbalance_degree: non-finite accuracy ", accuracy);
  }
  const auto [low, high] =
      std::minmax_element(modality_accuracies.begin(), modality_accuracies.end());
  return *high - *low;
}

std::vector<double> shapley_values(std::int64_t modalities,
                                   const std::function<double(std::uint64_t coalition)>& value) {
  MG_CHECK(modalities >= 1 && modalities <= 16,
           "shapley_values: modalities must be in [1, 16], got ", modalities);
  MG_CHECK(static_cast<bool>(value), "shapley_values: no value function");
  const std::uint64_t coalitions = std::uint64_t{1} << modalities;
  std::vector<double> payoff(coalitions);
  for (std::uint64_t s = 0; s < coalitions; ++s) payoff[s] = value(s);

  // weight[k] = k! (n − k − 1)! / n! = 1 / (n · C(n − 1, k)), exact in double for n ≤ 16.
  std::vector<double> weight(modalities);
  double binomial = 1;  // C(n − 1, k)
  for (std::int64_t k = 0; k < modalities; ++k) {
    weight[k] = 1.0 / (static_cast<double>(modalities) * binomial);
    binomial = binomial * static_cast<double>(modalities - 1 - k) / static_cast<double>(k + 1);
  }
  std::vector<double> phi(modalities, 0.0);
  for (std::int64_t m = 0; m < modalities; ++m) {
    const std::uint64_t bit = std::uint64_t{1} << m;
    for (std::uint64_t s = 0; s < coalitions; ++s) {
      if (s & bit) continue;
      phi[m] += weight[std::popcount(s)] * (payoff[s | bit] - payoff[s]);
    }
  }
  return phi;
}

void RunningStats::add(double value) {
  MG_CHECK(!std::isnan(value), "RunningStats::add: NaN after ", count_, " values");
  ++count_;
  if (count_ == 1) {
    min_ = max_ = value;
  } else {
    min_ = std::min(min_, value);
    max_ = std::max(max_, value);
  }
  const double delta = value - mean_;
  mean_ += delta / static_cast<double>(count_);
  m2_ += delta * (value - mean_);
}

void RunningStats::check_nonempty(const char* what) const {
  MG_CHECK(count_ > 0, "RunningStats::", what, ": no value was added");
}

double RunningStats::mean() const {
  check_nonempty("mean");
  return mean_;
}

double RunningStats::stddev() const {
  check_nonempty("stddev");
  if (count_ < 2) return 0.0;
  return std::sqrt(std::max(m2_, 0.0) / static_cast<double>(count_ - 1));
}

double RunningStats::min() const {
  check_nonempty("min");
  return min_;
}

double RunningStats::max() const {
  check_nonempty("max");
  return max_;
}

}  // namespace mg::train
