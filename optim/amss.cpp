#include "optim/amss.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <unordered_map>

#include "core/creation.h"
#include "core/error.h"
#include "core/ops_copy.h"
#include "core/ops_view.h"
#include "layers/models/text_image_classifier.h"
#include "optim/masks/uniform_stream.h"

namespace mg::optim {

namespace {

using Kind = nn::MaskUnits::Kind;

bool contains(const std::string& text, const char* part) {
  return text.find(part) != std::string::npos;
}

// The attention block a weight belongs to: its name up to its last "attention" component, else
// its module (an out_proj's parent module).
std::string attention_block(const std::string& name) {
  const std::size_t at = name.rfind("attention");
  if (at != std::string::npos) return name.substr(0, at + 9);
  std::string module = name.substr(0, name.rfind('.') == std::string::npos ? 0 : name.rfind('.'));
  const std::string out = ".out_proj";
  if (module.size() >= out.size() &&
      module.compare(module.size() - out.size(), out.size(), out) == 0)
    module.resize(module.size() - out.size());
  return module;
}

SignificanceFormula family_of(const nn::MultimodalClassifier& model) {
  if (model.num_modalities() == 3) return SignificanceFormula::ThreeModality;
  if (dynamic_cast<const nn::TextImageClassifier*>(&model) != nullptr)
    return SignificanceFormula::TextImage;
  return SignificanceFormula::AudioVideo;
}

Tensor doubles_tensor(const std::vector<double>& values) {
  Tensor out = empty({static_cast<std::int64_t>(values.size())}, kFloat64);
  std::copy(values.begin(), values.end(), out.data_ptr<double>());
  return out;
}

const double* doubles(const Tensor& t) {
  return t.data_ptr<double>();
}

// The reference code's `Bernoulli` sample mode (§16 B9): every unit kept independently with
// probability q_u = s_u/Σs (1/N for all-zero scores, §17.2), so E|S| = 1 whatever ρ.
Sample bernoulli_code_sample(const Tensor& scores, Generator& generator) {
  const std::int64_t n = scores.numel();
  const double* s = doubles(scores);
  double total = 0;
  for (std::int64_t u = 0; u < n; ++u) total += s[u];
  Sample out{{}, empty({n}, kFloat64), true};
  double* q = out.inclusion.data_ptr<double>();
  detail::UniformStream uniforms(generator, n);
  for (std::int64_t u = 0; u < n; ++u) {
    q[u] = total > 0 ? s[u] / total : 1.0 / static_cast<double>(n);
    if (uniforms.next() < q[u]) out.units.push_back(u);
  }
  return out;
}

// What a step logs about its masks: k and N per weight, factor statistics per modality.
class MaskLog {
 public:
  explicit MaskLog(std::size_t modalities) : stats_(modalities) {}

  // `factors[0, count)`: one per unit of the weight (a classifier block: one per entry).
  void add(const std::string& name, std::int64_t modality, const double* factors,
           std::int64_t count) {
    std::int64_t kept = 0;
    Stats& stats = stats_[static_cast<std::size_t>(modality)];
    for (std::int64_t u = 0; u < count; ++u) {
      if (factors[u] == 0) continue;
      ++kept;
      stats.sum += factors[u];
      stats.max = std::max(stats.max, factors[u]);
    }
    stats.kept += kept;
    entries_.emplace_back("k." + name, static_cast<double>(kept));
    entries_.emplace_back("n." + name, static_cast<double>(count));
    kept_ += static_cast<double>(kept);
    total_ += static_cast<double>(count);
  }

  void write(const nn::MultimodalClassifier& model, StepLog& log) const {
    log.insert(log.end(), entries_.begin(), entries_.end());
    for (std::size_t m = 0; m < stats_.size(); ++m) {
      const Stats& stats = stats_[m];
      const std::string name = model.modality_name(static_cast<std::int64_t>(m));
      log.emplace_back("factor_mean." + name,
                       stats.kept > 0 ? stats.sum / static_cast<double>(stats.kept) : 0.0);
      log.emplace_back("factor_max." + name, stats.max);
    }
    log.emplace_back("kept_fraction", total_ > 0 ? kept_ / total_ : 1.0);
  }

 private:
  struct Stats {
    std::int64_t kept = 0;
    double sum = 0;
    double max = 0;
  };
  std::vector<Stats> stats_;
  StepLog entries_;
  double kept_ = 0, total_ = 0;
};

// Sets `factors` (in `units` of `param`) as the optimizer's mask for `param`, converting them to
// the units the optimizer registered for it (element units when it was built from plain tensors).
void set_mask_in(Optimizer& optimizer,
                 const std::unordered_map<const TensorImpl*, nn::MaskUnits>& registered,
                 const Tensor& param, const nn::MaskUnits& units, const Tensor& factors) {
  const auto it = registered.find(param.impl());
  if (it == registered.end()) return;  // not optimized by this optimizer
  if (it->second == units) {
    optimizer.set_mask(param, factors);
    return;
  }
  MG_CHECK(it->second.kind() == Kind::Element, "Amss: the optimizer counts a parameter of shape ",
           param.shape(), " in ", it->second.to_string(), " units but AMSS masks it in ",
           units.to_string(), " units");
  optimizer.set_mask(param, native::reshape(units.expand(factors, param.shape()), {param.numel()}));
}

}  // namespace

AmssMode parse_amss_mode(const std::string& name) {
  if (name == "paper") return AmssMode::Paper;
  if (name == "reference") return AmssMode::Reference;
  throw Error(
      str("parse_amss_mode: unknown mode \"", name, "\"; expected \"paper\" or \"reference\""));
}

AmssScope parse_amss_scope(const std::string& name) {
  if (name == "supplement") return AmssScope::Supplement;
  if (name == "code") return AmssScope::Code;
  throw Error(
      str("parse_amss_scope: unknown scope \"", name, "\"; expected \"supplement\" or \"code\""));
}

AttentionUnit parse_attention_unit(const std::string& name) {
  if (name == "head_joint") return AttentionUnit::HeadJoint;
  if (name == "head_per_matrix") return AttentionUnit::HeadPerMatrix;
  throw Error(str("parse_attention_unit: unknown unit \"", name,
                  "\"; expected \"head_joint\" or \"head_per_matrix\""));
}

AmssResolved resolve(const AmssOptions& o, SignificanceFormula family) {
  const bool paper = o.mode == AmssMode::Paper;
  const bool av = family == SignificanceFormula::AudioVideo;
  const bool it = family == SignificanceFormula::TextImage;
  AmssResolved r{};
  r.significance = family;
  r.sampler = o.sampler.value_or(paper ? SamplerKind::SystematicPps : SamplerKind::Successive);
  r.rescale =
      o.plus ? o.rescale.value_or(paper ? RescaleKind::InverseInclusion : RescaleKind::Reference)
             : RescaleKind::None;
  r.importance = o.importance.value_or(ImportanceKind::GradSquared);
  r.tau = o.tau.value_or(paper ? (av ? 0.25 : 0.5) : (it ? 0.5 : 0.2));
  r.bias = o.bias.value_or(!paper && it ? 0.2 : 0.0);
  r.classifier_rounding =
      o.classifier_rounding.value_or(paper || it ? KRounding::Ceil : KRounding::Floor);
  r.scope = o.scope.value_or(paper ? AmssScope::Supplement : AmssScope::Code);
  r.attention_unit =
      o.attention_unit.value_or(paper ? AttentionUnit::HeadJoint : AttentionUnit::HeadPerMatrix);
  r.masking = o.masking.value_or(paper ? MaskMode::Strict : MaskMode::Grad);
  r.significance_form = o.significance_form.value_or(SignificanceForm::Structure);
  const bool clean = r.significance_form == SignificanceForm::Clean;
  MG_CHECK(!(clean && o.code_significance.value_or(false)),
           "Amss: significance form clean has no code quirks; unset code_significance");
  r.code_significance = !clean && o.code_significance.value_or(!paper);
  r.bug_it_ratio_swap = o.bug_it_ratio_swap;
  r.bug_av_classifier_unmasked = o.bug_av_classifier_unmasked;
  r.bug_bernoulli_code = o.bug_bernoulli_code;
  MG_CHECK(!(r.bug_it_ratio_swap && family == SignificanceFormula::ThreeModality),
           "Amss: bug_it_ratio_swap needs 2 modalities, not the three_modality family");

  const bool no_exact_pi = r.sampler == SamplerKind::Successive || r.sampler == SamplerKind::TopK;
  MG_CHECK(!(no_exact_pi && r.rescale == RescaleKind::InverseInclusion), "Amss: rescale ",
           to_string(r.rescale), " needs exact inclusion probabilities, which sampler ",
           to_string(r.sampler), " does not give");
  MG_CHECK(!(paper && o.plus && no_exact_pi), "Amss: paper mode AMSS+ with sampler ",
           to_string(r.sampler),
           " has no unbiased factor; use systematic_pps, poisson_pps or "
           "uniform, or mode reference");
  MG_CHECK(std::isfinite(r.tau) && r.tau > 0, "Amss: tau must be positive, got ", r.tau);
  return r;
}

Amss::Amss(AmssOptions options) : options_(std::move(options)), ema_(options_.ema_decay) {
  resolve(options_, options_.significance.value_or(SignificanceFormula::AudioVideo));
}

const std::vector<Amss::Target>& Amss::plan(nn::MultimodalClassifier& model) {
  if (planned_for_ != &model) build_plan(model);
  return plan_;
}

void Amss::build_plan(nn::MultimodalClassifier& model) {
  const SignificanceFormula family = options_.significance.value_or(family_of(model));
  resolved_ = resolve(options_, family);
  const AmssResolved& r = *resolved_;
  const bool code = r.scope == AmssScope::Code;
  const bool classifier_in_scope =
      family != SignificanceFormula::AudioVideo || (!code && !r.bug_av_classifier_unmasked);
  plan_.clear();
  for (std::int64_t m = 0; m < model.num_modalities(); ++m) {
    std::vector<const TensorImpl*> head_params;
    for (const nn::NamedParameter& p : model.fusion_head().modality_parameters(m))
      head_params.push_back(p.tensor.impl());
    std::map<std::string, std::size_t> blocks;
    for (const nn::NamedParameter& p : model.modality_parameters(m)) {
      if (!p.tensor.requires_grad()) continue;
      const Kind kind = p.units.kind();
      if (kind == Kind::OutputChannel && p.tensor.dim() >= 3) {
        if (code && family != SignificanceFormula::ThreeModality &&
            !(contains(p.name, "layer") && contains(p.name, "conv")))
          continue;
        plan_.push_back({Target::Kind::Units, m, {p.name}, {p.tensor}, {p.units}});
      } else if (kind == Kind::RowBlocks || kind == Kind::ColumnBlocks) {
        if (r.attention_unit == AttentionUnit::HeadPerMatrix) {
          plan_.push_back({Target::Kind::Units, m, {p.name}, {p.tensor}, {p.units}});
          continue;
        }
        const std::string key = attention_block(p.name);
        auto [it, fresh] = blocks.emplace(key, plan_.size());
        if (fresh) plan_.push_back({Target::Kind::HeadJoint, m, {}, {}, {}});
        Target& target = plan_[it->second];
        target.names.push_back(p.name);
        target.params.push_back(p.tensor);
        target.units.push_back(p.units);
      } else if (p.tensor.dim() == 2 && classifier_in_scope &&
                 std::find(head_params.begin(), head_params.end(), p.tensor.impl()) !=
                     head_params.end()) {
        Target target{Target::Kind::ClassifierRows, m, {p.name}, {p.tensor}, {p.units}};
        target.column_end = p.tensor.shape()[1];
        plan_.push_back(target);
      }
    }
    for (auto& [key, index] : blocks) {
      Target& target = plan_[index];
      std::int64_t heads = 0;
      for (std::size_t i = 0; i < target.params.size(); ++i) {
        const std::int64_t count = target.units[i].count(target.params[i].shape());
        heads = heads == 0 ? count : std::min(heads, count);
      }
      for (std::size_t i = 0; i < target.params.size(); ++i)
        MG_CHECK(target.units[i].count(target.params[i].shape()) % heads == 0, "Amss: attention ",
                 "block ", key, ": ", target.names[i], " has ",
                 target.units[i].count(target.params[i].shape()), " units, not a multiple of ",
                 heads, " heads");
      target.heads = heads;
    }
  }
  if (auto* concat = dynamic_cast<nn::ConcatFusion*>(&model.fusion_head());
      concat != nullptr && classifier_in_scope && concat->fc_out->weight.requires_grad()) {
    std::int64_t begin = 0;
    for (std::int64_t m = 0; m < model.num_modalities(); ++m) {
      const std::int64_t width = concat->feature_dims()[m];
      Target target{Target::Kind::ClassifierRows,
                    m,
                    {"fusion_module.fc_out.weight"},
                    {concat->fc_out->weight},
                    {nn::MaskUnits::element()}};
      target.column_begin = begin;
      target.column_end = begin + width;
      plan_.push_back(target);
      begin += width;
    }
  }
  planned_for_ = &model;
}

void Amss::after_backward(StepContext& context) {
  nn::MultimodalClassifier& model = context.model;
  plan(model);
  const AmssResolved& r = *resolved_;
  const nn::MultimodalOutput& output = context.output;
  const Significance significance =
      r.significance_form == SignificanceForm::Clean
          ? clean_significance(r.significance, output.modality_logits, output.features,
                               context.batch.labels)
          : modality_significance(r.significance, output.modality_logits, output.features,
                                  context.batch.labels, r.code_significance);
  ratios_ = update_ratios(significance, r.tau, options_.ratio_bias, r.bug_it_ratio_swap);
  for (std::int64_t m = 0; m < model.num_modalities(); ++m) {
    context.log.emplace_back("rho." + model.modality_name(m), ratios_[m]);
    context.log.emplace_back("significance." + model.modality_name(m), significance.rates[m]);
    context.log.emplace_back("mi." + model.modality_name(m), significance.information[m]);
  }

  Optimizer& optimizer = context.optimizer;
  optimizer.set_mask_mode(r.masking);
  std::unordered_map<const TensorImpl*, nn::MaskUnits> registered;
  for (const ParamGroup& group : optimizer.param_groups())
    for (std::size_t i = 0; i < group.params.size(); ++i)
      registered.emplace(group.params[i].impl(), group.units[i]);

  // B9/B10: no AMSS+ factor, except the text-image code's own factor.
  const RescaleKind rescale_kind =
      !r.bug_bernoulli_code ? r.rescale
      : r.significance == SignificanceFormula::TextImage && r.rescale == RescaleKind::Reference
          ? RescaleKind::Reference
          : RescaleKind::None;
  const bool needs_pi = rescale_kind == RescaleKind::InverseInclusion;
  auto sample = [&](const Tensor& scores, std::int64_t k) {
    if (r.bug_bernoulli_code) return bernoulli_code_sample(scores, context.generator);
    if (needs_pi) return sample_units(r.sampler, scores, k, context.generator);
    // π is not read by the other factors: skip computing it (successive sampling's is costly).
    return Sample{draw_units(r.sampler, scores, k, context.generator),
                  zeros({scores.numel()}, kFloat64), false};
  };
  // The stateless importances of every target's gradients at once (one copy back from a GPU).
  // Each parameter has one unit kind in the plan: the classifier is scored entry-wise.
  std::map<const void*, Tensor> precomputed;
  if (r.importance != ImportanceKind::EmaGradSquared) {
    std::vector<ImportanceRequest> requests;
    std::set<const void*> requested;
    for (const Target& target : plan_) {
      for (std::size_t i = 0; i < target.params.size(); ++i) {
        const Tensor& param = target.params[i];
        if (!param.grad().defined() || !requested.insert(param.impl()).second) continue;
        requests.push_back({param.grad(), param,
                            target.kind == Target::Kind::ClassifierRows ? nn::MaskUnits::element()
                                                                        : target.units[i]});
      }
    }
    const std::vector<Tensor> scores = unit_importances(requests, r.importance);
    for (std::size_t i = 0; i < requests.size(); ++i)
      precomputed.emplace(requests[i].param.impl(), scores[i]);
  }
  auto importance = [&](const Tensor& param, const Tensor& grad, const nn::MaskUnits& units) {
    if (r.importance == ImportanceKind::EmaGradSquared) return ema_.update(param, grad, units);
    return precomputed.at(param.impl());
  };

  MaskLog mask_log(static_cast<std::size_t>(model.num_modalities()));
  // Classifier weights are shared by the modalities' column blocks: one factor tensor each.
  struct Classifier {
    Tensor param;
    Tensor scores;
    Tensor factors;
  };
  std::vector<Classifier> classifiers;
  for (const Target& target : plan_) {
    const double rho = ratios_[target.modality];
    if (target.kind == Target::Kind::Units) {
      const Tensor& param = target.params[0];
      const Tensor grad = param.grad();
      if (!grad.defined()) continue;
      const Tensor scores = importance(param, grad, target.units[0]);
      const std::int64_t n = scores.numel();
      const Tensor factors = rescale_factors(sample(scores, sample_size(rho, n)), scores,
                                             rescale_kind, {.bias = r.bias});
      set_mask_in(optimizer, registered, param, target.units[0], factors);
      mask_log.add(target.names[0], target.modality, doubles(factors), n);
    } else if (target.kind == Target::Kind::HeadJoint) {
      std::vector<double> heads(static_cast<std::size_t>(target.heads), 0.0);
      bool any = false;
      for (std::size_t i = 0; i < target.params.size(); ++i) {
        const Tensor grad = target.params[i].grad();
        if (!grad.defined()) continue;
        any = true;
        const Tensor scores = importance(target.params[i], grad, target.units[i]);
        const double* s = doubles(scores);
        for (std::int64_t u = 0; u < scores.numel(); ++u) heads[u % target.heads] += s[u];
      }
      if (!any) continue;
      const Tensor scores = doubles_tensor(heads);
      const std::int64_t k = sample_size(rho, target.heads);
      const Tensor head_factors =
          rescale_factors(sample(scores, k), scores, rescale_kind, {.bias = r.bias});
      const double* f = doubles(head_factors);
      for (std::size_t i = 0; i < target.params.size(); ++i) {
        if (!target.params[i].grad().defined()) continue;
        const std::int64_t count = target.units[i].count(target.params[i].shape());
        std::vector<double> factors(static_cast<std::size_t>(count));
        for (std::int64_t u = 0; u < count; ++u) factors[u] = f[u % target.heads];
        set_mask_in(optimizer, registered, target.params[i], target.units[i],
                    doubles_tensor(factors));
        mask_log.add(target.names[i], target.modality, factors.data(), count);
      }
    } else {
      const Tensor& param = target.params[0];
      const Tensor grad = param.grad();
      if (!grad.defined()) continue;
      auto it = std::find_if(classifiers.begin(), classifiers.end(),
                             [&](const Classifier& c) { return c.param.impl() == param.impl(); });
      if (it == classifiers.end()) {
        classifiers.push_back({param, importance(param, grad, nn::MaskUnits::element()),
                               ones({param.numel()}, kFloat64)});
        it = classifiers.end() - 1;
      }
      const std::int64_t rows = param.shape()[0], columns = param.shape()[1];
      const std::int64_t width = target.column_end - target.column_begin;
      const double* s = doubles(it->scores);
      double* out = it->factors.data_ptr<double>();
      RescaleOptions rescale{.bias = r.bias};
      if (r.significance == SignificanceFormula::TextImage) {
        // The text-image code: q over the whole modality block, n = the number of classes.
        rescale.n = rows;
        for (std::int64_t c = 0; c < rows; ++c)
          for (std::int64_t j = target.column_begin; j < target.column_end; ++j)
            rescale.score_total += s[c * columns + j];
      }
      const std::int64_t k = sample_size(rho, width, r.classifier_rounding);
      std::vector<double> block;
      block.reserve(static_cast<std::size_t>(rows * width));
      for (std::int64_t c = 0; c < rows; ++c) {
        const Tensor row_scores = doubles_tensor(std::vector<double>(
            s + c * columns + target.column_begin, s + c * columns + target.column_end));
        const Tensor row =
            rescale_factors(sample(row_scores, k), row_scores, rescale_kind, rescale);
        std::copy(doubles(row), doubles(row) + width, out + c * columns + target.column_begin);
        block.insert(block.end(), doubles(row), doubles(row) + width);
      }
      mask_log.add(target.names[0] + "[" + model.modality_name(target.modality) + "]",
                   target.modality, block.data(), rows * width);
    }
  }
  for (const Classifier& c : classifiers)
    set_mask_in(optimizer, registered, c.param, nn::MaskUnits::element(), c.factors);
  mask_log.write(model, context.log);
}

}  // namespace mg::optim
