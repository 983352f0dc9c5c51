#include "optim/ogm.h"

#include <cmath>

#include "autograd/ops.h"
#include "core/checks.h"
#include "core/error.h"
#include "core/ops_copy.h"
#include "optim/ogm_noise.h"

namespace mg::optim {

OgmCoefficients ogm_coefficients(const std::vector<Tensor>& modality_logits, const Tensor& labels,
                                 double alpha) {
  MG_CHECK(modality_logits.size() == 2, "ogm_coefficients: OGM is defined for 2 modalities, got ",
           modality_logits.size());
  check_defined("ogm_coefficients", labels, "labels");
  MG_CHECK(labels.dim() == 1, "ogm_coefficients: labels must be int64 [B], got ", describe(labels));
  const Tensor y = native::contiguous(native::to(native::to(labels, Device::cpu()), kInt64));
  const std::int64_t* label = y.data_ptr<std::int64_t>();
  OgmCoefficients out;
  for (const Tensor& z : modality_logits) {
    check_defined("ogm_coefficients", z, "logits");
    MG_CHECK(z.dim() == 2 && z.shape()[0] == labels.numel(), "ogm_coefficients: logits must be [",
             labels.numel(), ", C], got ", describe(z));
    const Tensor values = native::contiguous(native::to(native::to(z, Device::cpu()), kFloat64));
    const double* v = values.data_ptr<double>();
    const std::int64_t classes = z.shape()[1];
    double score = 0;
    for (std::int64_t i = 0; i < labels.numel(); ++i) {
      const double* row = v + i * classes;
      MG_CHECK(label[i] >= 0 && label[i] < classes, "ogm_coefficients: label ", label[i],
               " outside [0, ", classes, ")");
      double top = row[0];
      for (std::int64_t c = 1; c < classes; ++c) top = std::max(top, row[c]);
      double sum = 0;
      for (std::int64_t c = 0; c < classes; ++c) sum += std::exp(row[c] - top);
      score += std::exp(row[label[i]] - top) / sum;
    }
    out.scores.push_back(score);
  }
  const double ratio_1 = out.scores[1] / out.scores[0];
  const double ratio_0 = 1 / ratio_1;
  auto damp = [alpha](double ratio) { return 1 - std::tanh(alpha * std::max(ratio, 0.0)); };
  out.coefficients = ratio_1 > 1 ? std::vector<double>{1.0, damp(ratio_1)}
                                 : std::vector<double>{damp(ratio_0), 1.0};
  return out;
}

Ogm::Ogm(OgmOptions options) : options_(options) {
  MG_CHECK(std::isfinite(options_.alpha) && options_.alpha >= 0,
           "Ogm: alpha must be finite and non-negative, got ", options_.alpha);
  MG_CHECK(options_.start_epoch <= options_.end_epoch, "Ogm: the modulation window [",
           options_.start_epoch, ", ", options_.end_epoch, "] is empty");
}

void Ogm::after_backward(StepContext& context) {
  nn::MultimodalClassifier& model = context.model;
  MG_CHECK(model.num_modalities() == 2, "Ogm: ", name(),
           " is defined for 2 modalities, the model has ", model.num_modalities());
  const OgmCoefficients k =
      ogm_coefficients(context.output.modality_logits, context.batch.labels, options_.alpha);
  const bool active = context.epoch >= options_.start_epoch && context.epoch <= options_.end_epoch;
  for (std::int64_t m = 0; m < 2; ++m) {
    context.log.emplace_back("score." + model.modality_name(m), k.scores[m]);
    context.log.emplace_back("coefficient." + model.modality_name(m), k.coefficients[m]);
  }
  context.log.emplace_back("modulated", active ? 1.0 : 0.0);
  if (!active) return;
  NoGradGuard no_grad;
  for (std::int64_t m = 0; m < 2; ++m) {
    for (nn::NamedParameter& p : model.modality_parameters(m)) {
      if (p.tensor.dim() != 4 && p.tensor.dim() != 5) continue;
      Tensor& grad = p.tensor.mutable_grad();
      if (!grad.defined()) continue;
      if (options_.gradient_enhancement) {
        const double sigma = std(grad).item<double>() + 1e-8;
        grad = scaled_plus_noise(grad, k.coefficients[m], sigma, context.generator);
      } else {
        grad = mul(grad, k.coefficients[m]);
      }
    }
  }
}

}  // namespace mg::optim
