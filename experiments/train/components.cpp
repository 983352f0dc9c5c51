#include "experiments/train/components.h"

#include <sstream>

#include "core/error.h"
#include "layers/models/av_classifier.h"
#include "layers/models/nvgesture_classifier.h"
#include "layers/models/text_image_classifier.h"
#include "optim/adam.h"
#include "optim/agm.h"
#include "optim/amss.h"
#include "optim/ogm.h"
#include "optim/pmr.h"
#include "optim/schedulers.h"
#include "optim/sgd.h"

namespace mg::train {

ModelBuild make_model(const TrainConfig& c, std::int64_t num_classes) {
  const nn::FusionKind fusion = nn::parse_fusion_kind(c.fusion);
  const nn::Activation activation =
      c.activation == "gelu" ? nn::Activation::GELU : nn::Activation::ReLU;
  ModelBuild build;
  if (c.dataset == "sarcasm" || c.dataset == "twitter2015") {
    nn::TextImageClassifierOptions o;
    o.num_classes = num_classes;
    o.fusion = fusion;
    o.image.activation = activation;
    build.model = std::make_shared<nn::TextImageClassifier>(o);
  } else if (c.dataset == "nvgesture") {
    nn::NVGestureClassifierOptions o;
    o.num_classes = num_classes;
    o.fusion = fusion;
    build.model = std::make_shared<nn::NVGestureClassifier>(o);
  } else {
    nn::AVClassifierOptions o;
    o.num_classes = num_classes;
    o.fusion = fusion;
    o.trunk.width = c.width;
    o.trunk.activation = activation;
    build.model = std::make_shared<nn::AVClassifier>(o);
  }
  if (!c.init_from.empty()) {
    const nn::LoadReport report = build.model->load(c.init_from, /*strict=*/false);
    MG_CHECK(report.mismatched.empty(), "mg-train: --init-from ", c.init_from,
             ": tensors of the wrong shape:\n", report.to_string());
    std::ostringstream out;
    out << "initialised from " << c.init_from << ": " << report.missing.size()
        << " model tensors not in the file (kept from initialisation), " << report.unexpected.size()
        << " file tensors not in the model";
    build.init_report = out.str();
  }
  return build;
}

std::unique_ptr<optim::Rebalancer> make_method(const TrainConfig& c) {
  if (c.method == "naive") return std::make_unique<optim::Naive>();
  if (c.method == "amss" || c.method == "amss_plus") {
    optim::AmssOptions o;
    o.plus = c.method == "amss_plus";
    o.mode = optim::parse_amss_mode(c.amss_mode);
    o.tau = c.tau;
    if (!c.amss_sampler.empty()) o.sampler = optim::parse_sampler_kind(c.amss_sampler);
    if (!c.amss_rescale.empty()) o.rescale = optim::parse_rescale_kind(c.amss_rescale);
    if (!c.amss_importance.empty()) o.importance = optim::parse_importance_kind(c.amss_importance);
    if (!c.amss_masking.empty()) o.masking = optim::parse_mask_mode(c.amss_masking);
    if (!c.amss_scope.empty()) o.scope = optim::parse_amss_scope(c.amss_scope);
    o.bug_it_ratio_swap = c.amss_bug_ratio_swap;
    o.bug_av_classifier_unmasked = c.amss_bug_classifier_unmasked;
    o.bug_bernoulli_code = c.amss_bug_bernoulli;
    return std::make_unique<optim::Amss>(o);
  }
  if (c.method == "ogm" || c.method == "ogm_ge") {
    return std::make_unique<optim::Ogm>(
        optim::OgmOptions{.alpha = c.ogm_alpha,
                          .start_epoch = c.ogm_start,
                          .end_epoch = c.ogm_end,
                          .gradient_enhancement = c.method == "ogm_ge"});
  }
  if (c.method == "pmr") {
    optim::PmrOptions o;
    o.alpha = c.pmr_alpha;
    o.prototype_momentum = c.pmr_momentum;
    o.prototype_batches = c.pmr_batches;
    o.modulation_starts = c.pmr_start;
    o.modulation_ends = c.pmr_end;
    o.coef_mode = optim::parse_pmr_coef_mode(c.pmr_coef);
    o.per_enable = c.pmr_per;
    o.per_mu = c.pmr_per_mu;
    o.per_epochs = c.pmr_per_epochs;
    return std::make_unique<optim::Pmr>(o);
  }
  MG_CHECK(c.method == "agm", "mg-train: unknown method '", c.method, "'");
  optim::AgmOptions o;
  o.alpha = c.agm_alpha;
  o.modulation_starts = c.agm_start;
  o.modulation_ends = c.agm_end;
  return std::make_unique<optim::Agm>(o);
}

std::unique_ptr<optim::Optimizer> make_optimizer(const TrainConfig& c,
                                                 const nn::MultimodalClassifier& model) {
  const std::vector<nn::NamedParameter> params = model.named_parameters();
  if (c.optimizer == "sgd")
    return std::make_unique<optim::SGD>(
        params,
        optim::SGDOptions{.lr = c.lr, .momentum = c.momentum, .weight_decay = c.weight_decay});
  if (c.optimizer == "adam")
    return std::make_unique<optim::Adam>(
        params,
        optim::AdamOptions{
            .lr = c.lr, .betas = {c.beta1, c.beta2}, .eps = c.eps, .weight_decay = c.weight_decay});
  MG_CHECK(c.optimizer == "adamw", "mg-train: unknown optimizer '", c.optimizer, "'");
  return std::make_unique<optim::AdamW>(
      params,
      optim::AdamWOptions{
          .lr = c.lr, .betas = {c.beta1, c.beta2}, .eps = c.eps, .weight_decay = c.weight_decay});
}

EpochSchedule make_schedule(const TrainConfig& c, optim::Optimizer& optimizer) {
  if (c.schedule == "none") return {};
  if (c.schedule == "step")
    return EpochSchedule(std::make_unique<optim::StepLR>(optimizer, c.step_size, c.gamma));
  if (c.schedule == "cosine")
    return EpochSchedule(std::make_unique<optim::CosineAnnealingLR>(optimizer, c.epochs));
  if (c.schedule == "plateau") {
    optim::ReduceLROnPlateau::Options o;
    o.factor = c.gamma;
    o.patience = c.patience;
    return EpochSchedule(std::make_unique<optim::ReduceLROnPlateau>(optimizer, o));
  }
  MG_CHECK(c.schedule == "multistep", "mg-train: unknown schedule '", c.schedule, "'");
  std::vector<std::int64_t> milestones;
  std::stringstream list(c.milestones);
  for (std::string item; std::getline(list, item, ',');) {
    std::size_t used = 0;
    std::int64_t epoch = -1;
    try {
      epoch = std::stoll(item, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    MG_CHECK(used == item.size() && epoch > 0, "mg-train: --milestones '", c.milestones,
             "': expected comma-separated positive epochs");
    milestones.push_back(epoch);
  }
  return EpochSchedule(std::make_unique<optim::MultiStepLR>(optimizer, milestones, c.gamma));
}

}  // namespace mg::train
