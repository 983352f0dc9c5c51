#include "optim/modality_significance.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/checks.h"
#include "core/error.h"
#include "core/ops_copy.h"

namespace mg::optim {

namespace {

std::vector<double> to_doubles(const Tensor& t) {
  Tensor values = native::contiguous(native::to(native::to(t, Device::cpu()), kFloat64));
  const double* p = values.data_ptr<double>();
  return std::vector<double>(p, p + values.numel());
}

std::vector<std::int64_t> to_labels(const Tensor& t) {
  Tensor values = native::contiguous(native::to(native::to(t, Device::cpu()), kInt64));
  const std::int64_t* p = values.data_ptr<std::int64_t>();
  return std::vector<std::int64_t>(p, p + values.numel());
}

// −mean_i CE(o_i, y_i) with natural logs (log-sum-exp with the row maximum subtracted).
double negative_cross_entropy(const std::vector<double>& logits, std::int64_t classes,
                              const std::vector<std::int64_t>& labels) {
  double total = 0;
  const std::int64_t batch = static_cast<std::int64_t>(labels.size());
  for (std::int64_t i = 0; i < batch; ++i) {
    const double* row = logits.data() + i * classes;
    const double top = *std::max_element(row, row + classes);
    double sum = 0;
    for (std::int64_t c = 0; c < classes; ++c) sum += std::exp(row[c] - top);
    total += row[labels[i]] - top - std::log(sum);
  }
  return total / static_cast<double>(batch);
}

// Σ_i of the entropy of softmax(f_i) over the d features, −Σ_j s log(s + eps) / log(base).
double feature_entropy_sum(const std::vector<double>& features, std::int64_t dim, double eps,
                           double log_base) {
  const std::int64_t batch = static_cast<std::int64_t>(features.size()) / dim;
  double total = 0;
  std::vector<double> s(static_cast<std::size_t>(dim));
  for (std::int64_t i = 0; i < batch; ++i) {
    const double* row = features.data() + i * dim;
    const double top = *std::max_element(row, row + dim);
    double sum = 0;
    for (std::int64_t j = 0; j < dim; ++j) sum += s[j] = std::exp(row[j] - top);
    for (std::int64_t j = 0; j < dim; ++j) {
      const double p = s[j] / sum;
      if (eps > 0 || p > 0) total -= p * std::log(p + eps) / log_base;
    }
  }
  return total;
}

double label_entropy(SignificanceFormula formula, const std::vector<double>& freq, bool quirks) {
  double h = 0;
  if (!quirks) {
    for (double p : freq)
      if (p > 0) h -= p * std::log(p);
    return h;
  }
  switch (formula) {
    case SignificanceFormula::AudioVideo: {
      // B7: the frequency vector's cross-entropy against its own softmax.
      const double top = *std::max_element(freq.begin(), freq.end());
      double sum = 0;
      for (double p : freq) sum += std::exp(p - top);
      for (double p : freq) h -= p * (p - top - std::log(sum));
      return h;
    }
    case SignificanceFormula::TextImage:
      for (double p : freq) h -= p * std::log2(p + 1e-8);
      return h;
    case SignificanceFormula::ThreeModality:
      for (double p : freq) h -= p * std::log2(p + 1e-10);
      return h;
  }
  return h;
}

// The inputs every form reads: labels, −mean CE per modality and p̂ (bincount of length
// max(y)+1), after checking counts and shapes.
struct Common {
  std::vector<std::int64_t> labels;
  std::vector<double> scores;
  std::vector<double> freq;
};

Common common_inputs(const char* where, SignificanceFormula family,
                     const std::vector<Tensor>& logits, const std::vector<Tensor>& features,
                     const Tensor& labels, bool needs_features) {
  const std::size_t modalities = logits.size();
  const std::size_t expected = family == SignificanceFormula::ThreeModality ? 3 : 2;
  MG_CHECK(modalities == expected, where, ": ", to_string(family), " needs ", expected,
           " modalities, got ", modalities, " logit tensors");
  MG_CHECK(!needs_features || features.size() == modalities, where, ": ", modalities,
           " logit tensors but ", features.size(), " feature tensors");
  check_defined(where, labels, "labels");
  MG_CHECK(labels.dim() == 1 && labels.numel() >= 1, where, ": labels must be int64 [B], got ",
           describe(labels));
  Common out;
  out.labels = to_labels(labels);
  const std::int64_t batch = static_cast<std::int64_t>(out.labels.size());
  std::int64_t max_label = 0;
  for (std::int64_t label : out.labels) {
    MG_CHECK(label >= 0, where, ": labels must be non-negative, got ", label);
    max_label = std::max(max_label, label);
  }
  out.scores.resize(modalities);
  for (std::size_t m = 0; m < modalities; ++m) {
    const Tensor& o = logits[m];
    check_defined(where, o, "logits");
    MG_CHECK(o.dim() == 2 && o.shape()[0] == batch && o.shape()[1] > max_label, where,
             ": logits of modality ", m, " must be [", batch, ", C > ", max_label, "], got ",
             describe(o));
    out.scores[m] = negative_cross_entropy(to_doubles(o), o.shape()[1], out.labels);
  }
  out.freq.assign(static_cast<std::size_t>(max_label + 1), 0.0);
  for (std::int64_t label : out.labels) out.freq[label] += 1.0 / static_cast<double>(batch);
  return out;
}

// The features of modality m as doubles, after checking they are [B, d ≥ 1].
std::vector<double> checked_features(const char* where, const Tensor& f, std::size_t m,
                                     std::int64_t batch) {
  check_defined(where, f, "features");
  MG_CHECK(f.dim() == 2 && f.shape()[0] == batch && f.shape()[1] >= 1, where,
           ": features of modality ", m, " must be [", batch, ", d], got ", describe(f));
  return to_doubles(f);
}

}  // namespace

SignificanceFormula parse_significance_formula(const std::string& name) {
  if (name == "audio_video" || name == "av") return SignificanceFormula::AudioVideo;
  if (name == "text_image" || name == "it") return SignificanceFormula::TextImage;
  if (name == "three_modality" || name == "nv") return SignificanceFormula::ThreeModality;
  throw Error(str("parse_significance_formula: unknown formula \"", name,
                  "\"; expected \"audio_video\" (\"av\"), \"text_image\" (\"it\") or "
                  "\"three_modality\" (\"nv\")"));
}

SignificanceForm parse_significance_form(const std::string& name) {
  if (name == "structure") return SignificanceForm::Structure;
  if (name == "clean") return SignificanceForm::Clean;
  throw Error(str("parse_significance_form: unknown form \"", name,
                  "\"; expected \"structure\" or \"clean\""));
}

std::string to_string(SignificanceForm form) {
  return form == SignificanceForm::Clean ? "clean" : "structure";
}

std::string to_string(SignificanceFormula formula) {
  switch (formula) {
    case SignificanceFormula::AudioVideo:
      return "audio_video";
    case SignificanceFormula::TextImage:
      return "text_image";
    case SignificanceFormula::ThreeModality:
      return "three_modality";
  }
  return "unknown";
}

Significance modality_significance(SignificanceFormula formula, const std::vector<Tensor>& logits,
                                   const std::vector<Tensor>& features, const Tensor& labels,
                                   bool code_quirks) {
  const char* where = "modality_significance";
  const Common in = common_inputs(where, formula, logits, features, labels,
                                  formula != SignificanceFormula::TextImage);
  const std::size_t modalities = logits.size();
  const std::int64_t batch = static_cast<std::int64_t>(in.labels.size());

  Significance out;
  out.scores = in.scores;
  out.label_entropy = label_entropy(formula, in.freq, code_quirks);
  const double h = out.label_entropy;
  for (double score : out.scores) out.information.push_back(score + h);
  double guard_offset = 0.5, rate_offset = 0.5;
  if (formula == SignificanceFormula::ThreeModality) guard_offset = 2, rate_offset = 3;
  for (std::size_t m = 0; m < modalities; ++m) {
    const double value = out.scores[m] + h + guard_offset;
    bool strict_less = false;  // the code's `<` sides (B12 and the NV depth branch)
    if (code_quirks && formula == SignificanceFormula::TextImage) strict_less = m == 0;
    if (code_quirks && formula == SignificanceFormula::ThreeModality) strict_less = m == 2;
    if (strict_less ? value < 0 : value <= 0) out.fallback = true;
  }
  if (out.fallback) {
    out.rates.assign(modalities, 1.0);
    return out;
  }
  out.rates.resize(modalities);
  for (std::size_t m = 0; m < modalities; ++m) {
    if (formula == SignificanceFormula::TextImage) {
      out.rates[m] = out.scores[m] + h;
      continue;
    }
    const Tensor& f = features[m];
    const std::vector<double> values = checked_features(where, f, m, batch);
    double entropy;
    if (formula == SignificanceFormula::AudioVideo) {
      entropy = feature_entropy_sum(values, f.shape()[1], 0, 1) / static_cast<double>(batch);
    } else {
      entropy = feature_entropy_sum(values, f.shape()[1], code_quirks ? 1e-10 : 0,
                                    code_quirks ? std::log(2.0) : 1.0) /
                40.0;
    }
    out.rates[m] = (out.scores[m] + h + rate_offset) / entropy;
  }
  return out;
}

Significance clean_significance(SignificanceFormula family, const std::vector<Tensor>& logits,
                                const std::vector<Tensor>& features, const Tensor& labels) {
  const char* where = "clean_significance";
  const Common in = common_inputs(where, family, logits, features, labels, true);
  const std::size_t modalities = logits.size();
  const std::int64_t batch = static_cast<std::int64_t>(in.labels.size());
  const double offset = family == SignificanceFormula::ThreeModality ? 3 : 0.5;

  Significance out;
  out.scores = in.scores;
  out.label_entropy = label_entropy(family, in.freq, false);
  for (double score : out.scores) {
    out.information.push_back(score + out.label_entropy);
    if (out.information.back() + offset <= 0) out.fallback = true;
  }
  if (out.fallback) {
    out.rates.assign(modalities, 1.0);
    return out;
  }
  for (std::size_t m = 0; m < modalities; ++m) {
    const Tensor& f = features[m];
    const double entropy =
        feature_entropy_sum(checked_features(where, f, m, batch), f.shape()[1], 0, 1) /
        static_cast<double>(batch);
    out.rates.push_back((out.information[m] + offset) / entropy);
  }
  return out;
}

std::vector<double> update_ratios(const Significance& significance, double tau, double bias,
                                  bool own_weight) {
  const std::size_t modalities = significance.rates.size();
  MG_CHECK(std::isfinite(tau) && tau > 0, "update_ratios: tau must be positive and finite, got ",
           tau);
  MG_CHECK(modalities >= 2, "update_ratios: needs at least 2 modalities, got ", modalities);
  MG_CHECK(!own_weight || modalities == 2,
           "update_ratios: own_weight (the text-image ratio swap) needs 2 modalities, got ",
           modalities);
  if (significance.fallback) return std::vector<double>(modalities, 0.5);
  double top = -std::numeric_limits<double>::infinity();
  for (double r : significance.rates) top = std::max(top, r / tau);
  std::vector<double> weight(modalities);
  double sum = 0;
  for (std::size_t m = 0; m < modalities; ++m)
    sum += weight[m] = std::exp(significance.rates[m] / tau - top);
  std::vector<double> ratio(modalities);
  for (std::size_t m = 0; m < modalities; ++m) {
    if (modalities == 2)
      // The swapped softmax (the other modality's weight), or B1's own weight.
      ratio[m] = weight[own_weight ? m : 1 - m] / sum;
    else
      ratio[m] = 1 - weight[m] / sum + bias;
    ratio[m] = std::isnan(ratio[m]) ? 0.5 : std::min(std::max(ratio[m], 0.1), 0.9);
  }
  return ratio;
}

}  // namespace mg::optim
