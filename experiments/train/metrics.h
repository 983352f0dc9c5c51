#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "core/tensor.h"

// The evaluation metrics mg-train logs per epoch. Inputs are scores (logits, float32 or float64
// [N, C]) and labels (int64 [N], each in [0, C)) on any device (they are copied to the CPU and
// converted to double once). Bad shapes, dtypes, labels or non-finite scores throw mg::Error
// naming the function and the tensors. experiments/train/README.md ("Metrics") gives the
// definitions with their sklearn equivalents.
namespace mg::train {

struct ClassificationMetrics {
  // Fraction of samples whose argmax score (the lowest index among equal maxima, as
  // torch.argmax) is the label.
  double accuracy = 0;
  // Mean over all C classes of F1 = 2 TP / (2 TP + FP + FN), a class whose denominator is 0 (no
  // sample and no prediction) counting as 0: sklearn's f1_score(labels=range(C),
  // average="macro", zero_division=0). sklearn's default labels=None would instead leave such a
  // class out of the mean.
  double macro_f1 = 0;
  // Mean over the classes that have at least one sample of the one-vs-rest average precision
  // (see average_precision) of softmax(scores); a class without samples has no defined AP and
  // is left out. 0 when no class has a sample (impossible with count > 0, kept for clarity).
  double mean_ap = 0;
  std::int64_t count = 0;
};

// Collects scores and labels batch by batch (an evaluation loop) and computes the metrics over
// all of them at once; it keeps N × C doubles, since average precision needs every score.
class MetricAccumulator {
 public:
  // The number of classes is fixed by the first batch; later batches must have the same C.
  void add(const Tensor& scores, const Tensor& labels);
  // Throws mg::Error when no sample was added (an empty evaluation set is a configuration error,
  // not a metric of 0).
  ClassificationMetrics compute() const;
  std::int64_t count() const { return static_cast<std::int64_t>(labels_.size()); }
  std::int64_t classes() const { return classes_; }

 private:
  std::int64_t classes_ = 0;  // 0 until the first batch
  std::vector<double> scores_;
  std::vector<std::int64_t> labels_;
};

// One MetricAccumulator fed with one batch.
ClassificationMetrics classification_metrics(const Tensor& scores, const Tensor& labels);

// sklearn's average_precision_score for one binary problem: AP = Σ_n (R_n − R_{n−1}) P_n over
// the thresholds at the distinct score values, from the highest down (equal scores form one
// threshold), R_0 = 0. Needs at least one positive (AP is undefined without one).
double average_precision(const std::vector<double>& scores, const std::vector<bool>& positive);

// Our definition of the imbalance degree (the paper gives none): the gap between the strongest
// and the weakest unimodal branch of the joint model, max − min of the per-modality accuracies,
// in the unit they are given in (fractions or percent). At least 2 finite values.
double imbalance_degree(const std::vector<double>& modality_accuracies);

// Exact Shapley values of `modalities` players (1 to 16): value(S) is the payoff of the
// coalition S, bit m set when modality m is present; value(0), the empty coalition (all inputs
// zeroed), is called too. Each of the 2^n coalitions is evaluated exactly once, in increasing
// order. φ_m = Σ_{S ∌ m} |S|! (n − |S| − 1)! / n! · (v(S ∪ {m}) − v(S)), so
// Σ_m φ_m = v(all) − v(∅).
std::vector<double> shapley_values(std::int64_t modalities,
                                   const std::function<double(std::uint64_t coalition)>& value);

// The median of `values` (the mean of the middle two for an even count); 0 for none.
double median(std::vector<double> values);

// Count, mean, standard deviation, min and max of a stream of values (Welford's update, stable
// for long streams), e.g. ρ of one modality over an epoch's steps. stddev() is the sample
// standard deviation (n − 1 divisor, PyTorch's default unbiased std) but 0 rather than NaN for
// a single value, because the logs are JSON, which has no NaN. mean, stddev, min and max throw
// mg::Error before the first value; add throws on NaN (min and max would depend on the order).
class RunningStats {
 public:
  void add(double value);
  std::int64_t count() const { return count_; }
  double mean() const;
  double stddev() const;
  double min() const;
  double max() const;

 private:
  void check_nonempty(const char* what) const;

  std::int64_t count_ = 0;
  double mean_ = 0;
  double m2_ = 0;  // Σ (x − mean)², updated incrementally
  double min_ = 0;
  double max_ = 0;
};

}  // namespace mg::train
