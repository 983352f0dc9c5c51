#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "layers/linear.h"
#include "layers/module.h"
#include "layers/module_list.h"

// Fusion heads over M modality feature vectors [B, d_m] (DESIGN.md section 4). Each forward
// returns the fused logits and one logit tensor per modality (the "unimodal" outputs that
// balancing methods score), all [B, C]:
//
//   SumFusion     fc.<m> = Linear(d_m, C) per modality; z = Σ_m fc.m(φ_m). (OGM-GE names its
//                 two layers fc_x and fc_y: map them to fc.0 and fc.1 to load its checkpoints.)
//                 z_m = fc.m(φ_m) (its own bias included: the OGM-GE fix of issue #33).
//   ConcatFusion  fc_out = Linear(Σ d_m, C) over the concatenation [φ_1; …; φ_M];
//                 z_m = φ_m W_mᵀ + b/M with W_m the columns of modality m (specs/peers.md §3),
//                 so Σ_m z_m = z.
//   FiLM          2 modalities (OGM-GE's FiLM): fc = Linear(d, 2d) maps the conditioning
//                 modality to (γ, β), z = fc_out(γ ⊙ φ_other + β), fc_out = Linear(d, C).
//                 x_film: modality 0 conditions (OGM-GE's default), else modality 1.
//   GatedFusion   2 modalities (OGM-GE's GatedFusion): fc_x = Linear(d, h), fc_y = Linear(d, h),
//                 z = fc_out(σ(fc_x(φ_0)) ⊙ fc_y(φ_1)) with x_gate, fc_out(fc_x(φ_0) ⊙
//                 σ(fc_y(φ_1))) without; fc_out = Linear(h, C).
//   LateFusion    heads.<m> = Linear(d_m, C) per modality; z_m = heads.m(φ_m), z = mean_m z_m.
//
// FiLM and GatedFusion are not linear in the features, so their z_m come from zero-feature
// passes (specs/peers.md §3, OGM-GE issue #21): z_0 = head(φ_0, 0), z_1 = head(0, φ_1), the same
// head with the other modality's features replaced by zeros (biases still act).
//
// Ownership (supplement C.2): with late fusion modality m's subnetwork includes its head
// heads.m; with every other head no head parameter belongs to a modality (only its encoder).
namespace mg::nn {

// What every multimodal classifier returns: the fused logits, each modality's logits (from its
// fusion head, see above) and each modality's encoder features, in the model's modality order.
struct MultimodalOutput {
  Tensor logits;                        // [B, C]
  std::vector<Tensor> modality_logits;  // M tensors [B, C]
  std::vector<Tensor> features;         // M tensors [B, d_m]
};

struct FusionOutput {
  Tensor logits;                        // [B, C]
  std::vector<Tensor> modality_logits;  // M tensors [B, C], in modality order
};

class FusionHead : public Module {
 public:
  // `features`: M tensors [B, d_m]. Throws mg::Error naming the head when the count, ranks,
  // feature sizes or batch sizes do not match.
  virtual FusionOutput forward(const std::vector<Tensor>& features) = 0;

  std::int64_t num_modalities() const { return static_cast<std::int64_t>(feature_dims_.size()); }
  const std::vector<std::int64_t>& feature_dims() const { return feature_dims_; }
  std::int64_t num_classes() const { return num_classes_; }
  // The parameters of this head that belong to modality m's subnetwork, named relative to the
  // head ("heads.0.weight"); empty except for late fusion.
  virtual std::vector<NamedParameter> modality_parameters(std::int64_t m) const;

 protected:
  FusionHead(const char* type_name, std::vector<std::int64_t> feature_dims,
             std::int64_t num_classes);
  void check_features(const std::vector<Tensor>& features) const;
  void check_modality(std::int64_t m) const;

 private:
  std::vector<std::int64_t> feature_dims_;
  std::int64_t num_classes_;
};

class SumFusion : public FusionHead {
 public:
  SumFusion(std::vector<std::int64_t> feature_dims, std::int64_t num_classes);
  FusionOutput forward(const std::vector<Tensor>& features) override;

  std::shared_ptr<ModuleList> fc;  // M Linear layers
};

class ConcatFusion : public FusionHead {
 public:
  ConcatFusion(std::vector<std::int64_t> feature_dims, std::int64_t num_classes);
  FusionOutput forward(const std::vector<Tensor>& features) override;

  std::shared_ptr<Linear> fc_out;
};

class FiLM : public FusionHead {
 public:
  FiLM(std::int64_t feature_dim, std::int64_t num_classes, bool x_film = true);
  FusionOutput forward(const std::vector<Tensor>& features) override;

  std::shared_ptr<Linear> fc;
  std::shared_ptr<Linear> fc_out;

 private:
  Tensor fuse(const Tensor& x, const Tensor& y);
  bool x_film_;
};

class GatedFusion : public FusionHead {
 public:
  // `hidden_dim` 0: the feature size (OGM-GE: 512 → 512).
  GatedFusion(std::int64_t feature_dim, std::int64_t num_classes, bool x_gate = true,
              std::int64_t hidden_dim = 0);
  FusionOutput forward(const std::vector<Tensor>& features) override;

  std::shared_ptr<Linear> fc_x;
  std::shared_ptr<Linear> fc_y;
  std::shared_ptr<Linear> fc_out;

 private:
  Tensor fuse(const Tensor& x, const Tensor& y);
  bool x_gate_;
};

class LateFusion : public FusionHead {
 public:
  LateFusion(std::vector<std::int64_t> feature_dims, std::int64_t num_classes);
  FusionOutput forward(const std::vector<Tensor>& features) override;
  std::vector<NamedParameter> modality_parameters(std::int64_t m) const override;

  std::shared_ptr<ModuleList> heads;  // M Linear layers
};

enum class FusionKind { Sum, Concat, FiLM, Gated, Late };

// "sum", "concat", "film", "gated", "late" (OGM-GE's --fusion_method names plus "late").
FusionKind parse_fusion_kind(const std::string& name);
std::string to_string(FusionKind kind);

struct FusionOptions {
  FusionKind kind = FusionKind::Concat;
  std::vector<std::int64_t> feature_dims;  // one per modality
  std::int64_t num_classes = 0;
  bool x_film = true;           // FiLM only
  bool x_gate = true;           // Gated only
  std::int64_t hidden_dim = 0;  // Gated only; 0 = the feature size
};

// Builds the head `options.kind` (FiLM and Gated need 2 modalities of equal size).
std::shared_ptr<FusionHead> make_fusion(const FusionOptions& options);

}  // namespace mg::nn
