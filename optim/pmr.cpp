#include "optim/pmr.h"

#include <algorithm>
#include <cmath>
#include <cstddef>

#include "autograd/ops.h"
#include "core/error.h"

namespace mg::optim {
namespace {

bool in_window(const PmrOptions& options, std::int64_t epoch) {
  return epoch >= options.modulation_starts && epoch <= options.modulation_ends;
}

}  // namespace

PmrCoefMode parse_pmr_coef_mode(const std::string& name) {
  if (name == "constant") return PmrCoefMode::Constant;
  if (name == "ratio_scaled") return PmrCoefMode::RatioScaled;
  throw Error(str("parse_pmr_coef_mode: unknown coef_mode \"", name,
                  "\"; expected \"constant\" or \"ratio_scaled\""));
}

std::string to_string(PmrCoefMode mode) {
  return mode == PmrCoefMode::Constant ? "constant" : "ratio_scaled";
}

double Pmr::coefficient_scale(PmrCoefMode mode, double ratio) {
  if (mode == PmrCoefMode::Constant) return 1;
  return std::tanh(std::max(ratio, 1 / ratio) - 1);
}

Pmr::Pmr(PmrOptions options) : options_(options) {
  MG_CHECK(options_.prototype_batches > 0, "Pmr: prototype_batches must be > 0, got ",
           options_.prototype_batches);
  MG_CHECK(options_.alpha >= 0, "Pmr: alpha must be >= 0, got ", options_.alpha);
  MG_CHECK(options_.prototype_momentum >= 0 && options_.prototype_momentum <= 1,
           "Pmr: prototype_momentum must be in [0, 1], got ", options_.prototype_momentum);
  MG_CHECK(options_.per_mu >= 0, "Pmr: per_mu must be >= 0, got ", options_.per_mu);
  MG_CHECK(options_.modulation_starts <= options_.modulation_ends, "Pmr: empty modulation window [",
           options_.modulation_starts, ", ", options_.modulation_ends, "]");
}

void Pmr::on_epoch_start(nn::MultimodalClassifier& model, std::int64_t epoch,
                         const BatchSource& data) {
  const std::int64_t modalities = model.num_modalities();
  MG_CHECK(modalities == 2, "Pmr: needs 2 modalities, the model has ", modalities);
  const std::int64_t classes = model.fusion_head().num_classes();
  const auto& dims = model.fusion_head().feature_dims();

  std::vector<std::vector<double>> sums(modalities);
  for (std::int64_t m = 0; m < modalities; ++m) sums[m].assign(classes * dims[m], 0.0);
  std::vector<double> counts(classes, 0.0);
  DType dtype = kFloat32;
  Device device;
  {
    nn::TrainingModeGuard restore(model);
    model.eval();
    NoGradGuard no_grad;
    Batch batch;
    for (std::int64_t b = 0; b < options_.prototype_batches && data(batch); ++b) {
      const nn::MultimodalOutput out = model.forward(batch.inputs);
      const std::vector<std::int64_t> labels = batch.labels.to_vector<std::int64_t>();
      for (std::int64_t label : labels)
        MG_CHECK(label >= 0 && label < classes, "Pmr: label ", label, " outside [0, ", classes,
                 ")");
      for (std::int64_t label : labels) counts[label] += 1;
      for (std::int64_t m = 0; m < modalities; ++m) {
        dtype = out.features[m].dtype();
        device = out.features[m].device();
        const std::vector<double> f = to(out.features[m], kFloat64).to_vector<double>();
        for (std::size_t i = 0; i < labels.size(); ++i)
          for (std::int64_t j = 0; j < dims[m]; ++j)
            sums[m][labels[i] * dims[m] + j] += f[i * dims[m] + j];
      }
    }
  }

  const bool smooth = epoch >= 1 && !prototypes_.empty();
  const double mu = options_.prototype_momentum;
  std::vector<Tensor> next(modalities);
  for (std::int64_t m = 0; m < modalities; ++m) {
    std::vector<double> old(classes * dims[m], 0.0);
    if (!prototypes_.empty()) old = to(prototypes_[m], kFloat64).to_vector<double>();
    std::vector<double> c(classes * dims[m]);
    for (std::int64_t k = 0; k < classes; ++k)
      for (std::int64_t j = 0; j < dims[m]; ++j) {
        const std::int64_t at = k * dims[m] + j;
        if (counts[k] == 0) {
          c[at] = old[at];  // absent class: keep the previous prototype (see the header)
          continue;
        }
        const double fresh = sums[m][at] / counts[k];
        c[at] = smooth ? (1 - mu) * fresh + mu * old[at] : fresh;
      }
    next[m] = to(to(tensor(c, {classes, dims[m]}, kFloat64), dtype), device);
  }
  prototypes_ = std::move(next);
}

Tensor Pmr::prototype_logits(const Tensor& features, const Tensor& prototypes) {
  MG_CHECK(features.dim() == 2 && prototypes.dim() == 2 && features.size(1) == prototypes.size(1),
           "Pmr: features [B, d] and prototypes [C, d] expected, got ", describe(features), " and ",
           describe(prototypes));
  const Tensor diff = sub(unsqueeze(features, 1), unsqueeze(prototypes, 0));  // [B, C, d]
  return neg(norm(diff, 2, {2}));
}

double Pmr::imbalance_ratio(const Tensor& logits0, const Tensor& logits1, const Tensor& labels) {
  NoGradGuard no_grad;
  const Tensor index = unsqueeze(labels, 1);
  const double score0 = sum(gather(softmax(logits0, 1), 1, index)).item<double>();
  const double score1 = sum(gather(softmax(logits1, 1), 1, index)).item<double>();
  return score0 / score1;
}

Tensor Pmr::per_loss(const Tensor& logits) {
  return div(sum(mul(softmax(logits, 1), log_softmax(logits, 1))),
             static_cast<double>(logits.size(0)));
}

Tensor Pmr::loss(StepContext& context) {
  Tensor total = Rebalancer::loss(context);
  if (!in_window(options_, context.epoch)) return total;
  MG_CHECK(!prototypes_.empty(), "Pmr: no prototypes at epoch ", context.epoch,
           ": on_epoch_start must run before the first step");
  const auto& features = context.output.features;
  const Tensor& labels = context.batch.labels;
  const Tensor logits0 = prototype_logits(features[0], prototypes_[0]);
  const Tensor logits1 = prototype_logits(features[1], prototypes_[1]);
  const double ratio = imbalance_ratio(logits0, logits1, labels);
  context.log.emplace_back("pmr.ratio", ratio);

  std::int64_t slow = -1;
  if (ratio > 1) slow = 1;
  if (ratio < 1) slow = 0;
  context.log.emplace_back("pmr.pce_modality", static_cast<double>(slow));
  const bool per_active = options_.per_enable && context.epoch < options_.per_epochs && slow >= 0;
  context.log.emplace_back("pmr.per_reconstruction.active", per_active ? 1.0 : 0.0);
  if (slow < 0) return total;

  const double scale = coefficient_scale(options_.coef_mode, ratio);
  context.log.emplace_back("pmr.coefficient_scale", scale);
  const Tensor pce = cross_entropy(slow == 0 ? logits0 : logits1, labels);
  context.log.emplace_back("loss.pce", pce.item<double>());
  total = add(total, pce, options_.alpha * scale);
  if (per_active) {
    // RECONSTRUCTION (specs/peers.md §5.3): entropy regulariser on the leading modality.
    const Tensor per = per_loss(slow == 0 ? logits1 : logits0);
    context.log.emplace_back("loss.per_reconstruction", per.item<double>());
    total = add(total, per, options_.per_mu * scale);
  }
  return total;
}

nn::TensorList Pmr::state_dict() const {
  nn::TensorList state;
  for (std::size_t m = 0; m < prototypes_.size(); ++m)
    state.emplace_back("prototypes." + std::to_string(m), prototypes_[m]);
  return state;
}

void Pmr::load_state_dict(const nn::TensorList& state) {
  std::vector<Tensor> loaded;
  for (const auto& [name, value] : state) {
    MG_CHECK(name == "prototypes." + std::to_string(loaded.size()), "Pmr: unexpected entry '", name,
             "' in state_dict");
    MG_CHECK(value.dim() == 2, "Pmr: prototypes must be [C, d], got ", describe(value));
    loaded.push_back(clone(value));
  }
  prototypes_ = std::move(loaded);
}

}  // namespace mg::optim
