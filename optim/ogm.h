#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "optim/rebalancer.h"

// OGM and OGM-GE (Peng et al., CVPR 2022; specs/peers.md §4, GeWu-Lab/OGM-GE_CVPR2022 main.py),
// for two modalities (index 0 plays the code's audio, 1 its visual):
//   scores      s_m = Σ_i softmax(z_m,i)[y_i] on the slice logits (output.modality_logits);
//   ratios      ρ_1 = s_1/s_0, ρ_0 = 1/ρ_1;
//   coefficient ρ_1 > 1: k_1 = 1 − tanh(α·ReLU(ρ_1)), k_0 = 1; otherwise (a tie included)
//               k_0 = 1 − tanh(α·ReLU(ρ_0)), k_1 = 1 (the argument is ρ, not ρ − 1);
//   modulation  only when start_epoch ≤ epoch ≤ end_epoch, and only on the 4-d (and 5-d, conv3d)
//               weights of model.modality_parameters(m) (conv kernels; BN, biases and heads are
//               2-d or less and stay untouched), in after_backward:
//                 OGM     g ← k_m·g
//                 OGM-GE  g ← k_m·g + ε, ε ~ N(0, σ²) element-wise, σ = std(g) (unbiased, of the
//                         unscaled gradient) + 1e-8, drawn from the step's Generator; both
//                         modalities get noise, the one with k = 1 too.
// More than two modalities: an mg::Error (the official method is defined for two; the
// third-party generalisations of peers.md §4 differ from each other).
// Logs "score.<name>", "coefficient.<name>" (the computed coefficients, also outside the window)
// and "modulated" (1 inside the window, else 0).
namespace mg::optim {

struct OgmOptions {
  double alpha = 0.8;            // README: 0.1 VGGSound, 0.8 CREMA-D
  std::int64_t start_epoch = 0;  // modulation window, inclusive, 0-based epochs
  std::int64_t end_epoch = 50;
  bool gradient_enhancement = false;  // OGM-GE
};

// The coefficients k_m from the two modalities' slice logits [B, C] and labels int64 [B].
struct OgmCoefficients {
  std::vector<double> scores;
  std::vector<double> coefficients;
};
OgmCoefficients ogm_coefficients(const std::vector<Tensor>& modality_logits, const Tensor& labels,
                                 double alpha);

class Ogm : public Rebalancer {
 public:
  explicit Ogm(OgmOptions options = {});
  std::string name() const override { return options_.gradient_enhancement ? "ogm_ge" : "ogm"; }
  void after_backward(StepContext& context) override;
  const OgmOptions& options() const { return options_; }

 private:
  OgmOptions options_;
};

}  // namespace mg::optim
