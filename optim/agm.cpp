#include "optim/agm.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstddef>

#include "autograd/ops.h"
#include "core/error.h"
#include "optim/clip_grad.h"

namespace mg::optim {
namespace {

double factorial(std::int64_t n) {
  double out = 1;
  for (std::int64_t i = 2; i <= n; ++i) out *= static_cast<double>(i);
  return out;
}

// Batch mean of −log max(softmax(o)[y], 1e-8), no gradient.
double score(const Tensor& response, const Tensor& labels) {
  NoGradGuard no_grad;
  const Tensor p = gather(softmax(response, 1), 1, unsqueeze(labels, 1));
  return mean(neg(log(clamp(p, 1e-8, std::nullopt)))).item<double>();
}

// r_m = exp(mean of the other scores − s_m).
std::vector<double> ratios(const std::vector<double>& scores) {
  double total = 0;
  for (double s : scores) total += s;
  const double others = static_cast<double>(scores.size() - 1);
  std::vector<double> out;
  for (double s : scores) out.push_back(std::exp((total - s) / others - s));
  return out;
}

bool ends_with(const std::string& text, const std::string& suffix) {
  return text.size() >= suffix.size() &&
         text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

Agm::Agm(AgmOptions options) : options_(options) {
  MG_CHECK(options_.alpha >= 0, "Agm: alpha must be >= 0, got ", options_.alpha);
  MG_CHECK(options_.modulation_starts <= options_.modulation_ends, "Agm: empty modulation window [",
           options_.modulation_starts, ", ", options_.modulation_ends, "]");
  MG_CHECK(options_.clip_threshold > 0 && options_.max_norm > 0,
           "Agm: clip_threshold and max_norm must be > 0, got ", options_.clip_threshold, " and ",
           options_.max_norm);
}

double Agm::response_weight(std::int64_t modalities, std::uint64_t coalition, std::int64_t m) {
  if (coalition == 0) return 0;  // −w(∅) + 1/M = 0: the baseline's share cancels it
  const auto size = static_cast<std::int64_t>(std::popcount(coalition));
  const double all = factorial(modalities);
  if (coalition >> m & 1)  // f(S) with S ∋ m enters as f((S \ m) ∪ m)
    return factorial(size - 1) * factorial(modalities - size) / all;
  return -factorial(size) * factorial(modalities - size - 1) / all;
}

nn::MultimodalOutput Agm::forward(StepContext& context) {
  nn::MultimodalClassifier& model = context.model;
  const std::int64_t modalities = model.num_modalities();
  MG_CHECK(modalities >= 2 && modalities <= 16, "Agm: needs 2 to 16 modalities, the model has ",
           modalities);
  const std::uint64_t full = (std::uint64_t{1} << modalities) - 1;
  const std::vector<Tensor>& inputs = context.batch.inputs;

  nn::MultimodalOutput out = model.forward(inputs);
  std::vector<Tensor> coalition_logits(full + 1);
  coalition_logits[full] = out.logits;
  {
    nn::TrainingModeGuard restore(model);
    model.eval();
    for (std::uint64_t s = 1; s < full; ++s) {
      std::vector<bool> present(modalities);
      for (std::int64_t m = 0; m < modalities; ++m) present[m] = (s >> m & 1) != 0;
      coalition_logits[s] = model.forward(model.zero_absent(inputs, present)).logits;
    }
  }

  responses_.assign(modalities, Tensor());
  for (std::int64_t m = 0; m < modalities; ++m)
    for (std::uint64_t s = 1; s <= full; ++s) {
      const double w = response_weight(modalities, s, m);
      if (w == 0) continue;
      responses_[m] = responses_[m].defined() ? add(responses_[m], coalition_logits[s], w)
                                              : mul(coalition_logits[s], w);
    }

  std::vector<double> scores(modalities);
  for (std::int64_t m = 0; m < modalities; ++m)
    scores[m] = score(responses_[m], context.batch.labels);
  if (score_means_.empty()) score_means_.assign(modalities, 0.0);
  MG_CHECK(static_cast<std::int64_t>(score_means_.size()) == modalities, "Agm: state has ",
           score_means_.size(), " modalities, the model ", modalities);

  const bool active =
      context.epoch >= options_.modulation_starts && context.epoch <= options_.modulation_ends;
  const std::vector<double> current = ratios(scores);
  const std::vector<double> reference = ratios(score_means_);
  coefficients_.assign(modalities, 1.0);
  if (active)
    for (std::int64_t m = 0; m < modalities; ++m)
      coefficients_[m] = std::exp(options_.alpha * std::min(reference[m] - current[m], 10.0));

  // The running means move only after the coefficients are fixed.
  ++steps_;
  for (std::int64_t m = 0; m < modalities; ++m)
    score_means_[m] += (scores[m] - score_means_[m]) / static_cast<double>(steps_);

  Tensor scaled, correction;
  for (std::int64_t m = 0; m < modalities; ++m) {
    const Tensor term = mul(responses_[m], coefficients_[m]);
    scaled = scaled.defined() ? add(scaled, term) : term;
    const Tensor extra = mul(responses_[m], coefficients_[m] - 1);
    correction = correction.defined() ? add(correction, extra) : extra;
  }
  out.logits = sub(scaled, correction.detach());

  for (std::int64_t m = 0; m < modalities; ++m) {
    const std::string modality = model.modality_name(m);
    context.log.emplace_back("agm.score." + modality, scores[m]);
    context.log.emplace_back("agm.coefficient." + modality, coefficients_[m]);
  }
  return out;
}

void Agm::before_step(StepContext& context) {
  bool exceeds = false;
  for (const nn::NamedParameter& p : context.model.fusion_head().named_parameters()) {
    if (!ends_with(p.name, "weight") || !p.tensor.grad().defined()) continue;
    if (amax(abs(p.tensor.grad())).item<double>() > options_.clip_threshold) exceeds = true;
  }
  if (exceeds) clip_grad_norm_(context.model.parameters(), options_.max_norm);
  context.log.emplace_back("agm.clipped", exceeds ? 1.0 : 0.0);
}

nn::TensorList Agm::state_dict() const {
  nn::TensorList state;
  state.emplace_back("agm.steps", scalar_tensor(static_cast<double>(steps_), kInt64));
  for (std::size_t m = 0; m < score_means_.size(); ++m)
    state.emplace_back("agm.score_mean." + std::to_string(m),
                       scalar_tensor(score_means_[m], kFloat64));
  return state;
}

void Agm::load_state_dict(const nn::TensorList& state) {
  std::int64_t steps = -1;
  std::vector<double> means;
  for (const auto& [name, value] : state) {
    MG_CHECK(value.numel() == 1, "Agm: state entry '", name, "' must be one number, got ",
             describe(value));
    if (name == "agm.steps") {
      steps = to(value, kInt64).item<std::int64_t>();
    } else {
      MG_CHECK(name == "agm.score_mean." + std::to_string(means.size()), "Agm: unexpected entry '",
               name, "' in state_dict");
      means.push_back(to(value, kFloat64).item<double>());
    }
  }
  MG_CHECK(steps >= 0, "Agm: state_dict lacks agm.steps or it is negative");
  steps_ = steps;
  score_means_ = std::move(means);
}

}  // namespace mg::optim
