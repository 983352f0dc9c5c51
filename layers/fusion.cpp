#include "layers/fusion.h"

#include <numeric>

#include "autograd/ops.h"
#include "core/error.h"

namespace mg::nn {
namespace {

// One Linear(d_m, C) per modality, named "0", "1", ...
std::shared_ptr<ModuleList> linear_per_modality(const std::vector<std::int64_t>& feature_dims,
                                                std::int64_t num_classes) {
  auto list = std::make_shared<ModuleList>();
  for (std::int64_t d : feature_dims) list->push_back(std::make_shared<Linear>(d, num_classes));
  return list;
}

std::vector<std::int64_t> two_of(std::int64_t feature_dim) {
  return {feature_dim, feature_dim};
}

}  // namespace

FusionHead::FusionHead(const char* type_name, std::vector<std::int64_t> feature_dims,
                       std::int64_t num_classes)
    : Module(type_name), feature_dims_(std::move(feature_dims)), num_classes_(num_classes) {
  MG_CHECK(!feature_dims_.empty(), type_name, ": needs at least one modality");
  for (std::int64_t d : feature_dims_)
    MG_CHECK(d > 0, type_name, ": feature sizes must be positive, got ", Shape(feature_dims_));
  MG_CHECK(num_classes > 0, type_name, ": num_classes must be positive, got ", num_classes);
}

void FusionHead::check_features(const std::vector<Tensor>& features) const {
  MG_CHECK(static_cast<std::int64_t>(features.size()) == num_modalities(), type_name(),
           ": expected ", num_modalities(), " modality feature tensors, got ", features.size());
  for (std::size_t m = 0; m < features.size(); ++m) {
    const Tensor& f = features[m];
    MG_CHECK(f.defined() && f.dim() == 2 && f.size(1) == feature_dims_[m] &&
                 f.size(0) == features[0].size(0),
             type_name(), ": expected features of modality ", m, " as [B, ", feature_dims_[m], "]",
             m > 0 && features[0].defined() && features[0].dim() > 0
                 ? str(" with B = ", features[0].size(0))
                 : std::string(),
             ", got ", describe(f));
  }
}

void FusionHead::check_modality(std::int64_t m) const {
  MG_CHECK(m >= 0 && m < num_modalities(), type_name(), ": modality ", m, " out of range for ",
           num_modalities(), " modalities");
}

std::vector<NamedParameter> FusionHead::modality_parameters(std::int64_t m) const {
  check_modality(m);
  return {};
}

SumFusion::SumFusion(std::vector<std::int64_t> feature_dims, std::int64_t num_classes)
    : FusionHead("SumFusion", std::move(feature_dims), num_classes) {
  fc = register_module("fc", linear_per_modality(this->feature_dims(), num_classes));
}

FusionOutput SumFusion::forward(const std::vector<Tensor>& features) {
  check_features(features);
  FusionOutput out;
  for (std::size_t m = 0; m < features.size(); ++m) {
    out.modality_logits.push_back((*fc)[m]->forward(features[m]));
    out.logits = m == 0 ? out.modality_logits[0] : add(out.logits, out.modality_logits[m]);
  }
  return out;
}

ConcatFusion::ConcatFusion(std::vector<std::int64_t> feature_dims, std::int64_t num_classes)
    : FusionHead("ConcatFusion", std::move(feature_dims), num_classes) {
  const std::int64_t total =
      std::accumulate(this->feature_dims().begin(), this->feature_dims().end(), std::int64_t{0});
  fc_out = register_module("fc_out", std::make_shared<Linear>(total, num_classes));
}

FusionOutput ConcatFusion::forward(const std::vector<Tensor>& features) {
  check_features(features);
  FusionOutput out;
  // The fused logits come from the one matmul PyTorch does, not from Σ z_m, so that they match
  // an nn.Linear over the concatenation to the last bit of the algorithm.
  out.logits = fc_out->forward(features.size() == 1 ? features[0] : cat(features, 1));
  const Tensor shared_bias = div(fc_out->bias, static_cast<double>(features.size()));
  std::int64_t offset = 0;
  for (std::size_t m = 0; m < features.size(); ++m) {
    const std::int64_t d = feature_dims()[m];
    out.modality_logits.push_back(
        linear(features[m], narrow(fc_out->weight, 1, offset, d), shared_bias));
    offset += d;
  }
  return out;
}

FiLM::FiLM(std::int64_t feature_dim, std::int64_t num_classes, bool x_film)
    : FusionHead("FiLM", two_of(feature_dim), num_classes), x_film_(x_film) {
  fc = register_module("fc", std::make_shared<Linear>(feature_dim, 2 * feature_dim));
  fc_out = register_module("fc_out", std::make_shared<Linear>(feature_dim, num_classes));
}

Tensor FiLM::fuse(const Tensor& x, const Tensor& y) {
  const Tensor& film = x_film_ ? x : y;
  const Tensor& to_be_film = x_film_ ? y : x;
  const std::vector<Tensor> gamma_beta = split(fc->forward(film), feature_dims()[0], 1);
  return fc_out->forward(add(mul(gamma_beta[0], to_be_film), gamma_beta[1]));
}

FusionOutput FiLM::forward(const std::vector<Tensor>& features) {
  check_features(features);
  const Tensor& x = features[0];
  const Tensor& y = features[1];
  return {fuse(x, y), {fuse(x, zeros_like(y)), fuse(zeros_like(x), y)}};
}

GatedFusion::GatedFusion(std::int64_t feature_dim, std::int64_t num_classes, bool x_gate,
                         std::int64_t hidden_dim)
    : FusionHead("GatedFusion", two_of(feature_dim), num_classes), x_gate_(x_gate) {
  MG_CHECK(hidden_dim >= 0, "GatedFusion: hidden_dim must be non-negative, got ", hidden_dim);
  const std::int64_t hidden = hidden_dim > 0 ? hidden_dim : feature_dim;
  fc_x = register_module("fc_x", std::make_shared<Linear>(feature_dim, hidden));
  fc_y = register_module("fc_y", std::make_shared<Linear>(feature_dim, hidden));
  fc_out = register_module("fc_out", std::make_shared<Linear>(hidden, num_classes));
}

Tensor GatedFusion::fuse(const Tensor& x, const Tensor& y) {
  const Tensor out_x = fc_x->forward(x);
  const Tensor out_y = fc_y->forward(y);
  return fc_out->forward(x_gate_ ? mul(sigmoid(out_x), out_y) : mul(out_x, sigmoid(out_y)));
}

FusionOutput GatedFusion::forward(const std::vector<Tensor>& features) {
  check_features(features);
  const Tensor& x = features[0];
  const Tensor& y = features[1];
  return {fuse(x, y), {fuse(x, zeros_like(y)), fuse(zeros_like(x), y)}};
}

LateFusion::LateFusion(std::vector<std::int64_t> feature_dims, std::int64_t num_classes)
    : FusionHead("LateFusion", std::move(feature_dims), num_classes) {
  heads = register_module("heads", linear_per_modality(this->feature_dims(), num_classes));
}

FusionOutput LateFusion::forward(const std::vector<Tensor>& features) {
  check_features(features);
  FusionOutput out;
  for (std::size_t m = 0; m < features.size(); ++m) {
    out.modality_logits.push_back((*heads)[m]->forward(features[m]));
    out.logits = m == 0 ? out.modality_logits[0] : add(out.logits, out.modality_logits[m]);
  }
  if (features.size() > 1) out.logits = div(out.logits, static_cast<double>(features.size()));
  return out;
}

std::vector<NamedParameter> LateFusion::modality_parameters(std::int64_t m) const {
  check_modality(m);
  std::vector<NamedParameter> out;
  const std::string prefix = "heads." + std::to_string(m) + ".";
  for (NamedParameter p : (*heads)[static_cast<std::size_t>(m)]->named_parameters()) {
    p.name = prefix + p.name;
    out.push_back(std::move(p));
  }
  return out;
}

FusionKind parse_fusion_kind(const std::string& name) {
  if (name == "sum") return FusionKind::Sum;
  if (name == "concat") return FusionKind::Concat;
  if (name == "film") return FusionKind::FiLM;
  if (name == "gated") return FusionKind::Gated;
  if (name == "late") return FusionKind::Late;
  throw Error(str("fusion: unknown kind \"", name, "\" (expected sum, concat, film, gated, late)"));
}

std::string to_string(FusionKind kind) {
  switch (kind) {
    case FusionKind::Sum:
      return "sum";
    case FusionKind::Concat:
      return "concat";
    case FusionKind::FiLM:
      return "film";
    case FusionKind::Gated:
      return "gated";
    case FusionKind::Late:
      return "late";
  }
  return "?";
}

std::shared_ptr<FusionHead> make_fusion(const FusionOptions& options) {
  const auto& dims = options.feature_dims;
  if (options.kind == FusionKind::FiLM || options.kind == FusionKind::Gated) {
    MG_CHECK(dims.size() == 2 && dims[0] == dims[1], "make_fusion: ", to_string(options.kind),
             " fusion needs 2 modalities of equal feature size, got ", Shape(dims));
    if (options.kind == FusionKind::FiLM)
      return std::make_shared<FiLM>(dims[0], options.num_classes, options.x_film);
    return std::make_shared<GatedFusion>(dims[0], options.num_classes, options.x_gate,
                                         options.hidden_dim);
  }
  if (options.kind == FusionKind::Sum)
    return std::make_shared<SumFusion>(dims, options.num_classes);
  if (options.kind == FusionKind::Late)
    return std::make_shared<LateFusion>(dims, options.num_classes);
  return std::make_shared<ConcatFusion>(dims, options.num_classes);
}

}  // namespace mg::nn
