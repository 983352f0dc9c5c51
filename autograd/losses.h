#pragma once

#include <cstdint>

#include "core/backend.h"  // mg::Reduction { None, Mean, Sum }
#include "core/tensor.h"

// Differentiable losses, as torch.nn.functional (PyTorch 1.13 semantics). Class weights get no
// gradient from nll_loss (nor from cross_entropy with class-index targets), as in PyTorch.
namespace mg {

struct NllLossOptions {
  Tensor weight = {};  // [C] rescaling per class, or undefined (all ones)
  std::int64_t ignore_index = -100;
  Reduction reduction = Reduction::Mean;
};

// log_probs [N, C], [N, C, d1, ...] or [C]; target int64 class indices [N], [N, d1, ...] or [].
// Mean divides by the summed weights of the targets that are not ignored (NaN when all are).
Tensor nll_loss(const Tensor& log_probs, const Tensor& target, const NllLossOptions& options = {});

struct CrossEntropyOptions {
  Tensor weight = {};                // [C] rescaling per class, or undefined (all ones)
  std::int64_t ignore_index = -100;  // class-index targets only; must stay negative otherwise
  Reduction reduction = Reduction::Mean;
  double label_smoothing = 0;  // in [0, 1]
};

// log_softmax over the class dim (1, or 0 for unbatched [C] logits) followed by the NLL. The
// target is either int64 class indices (shaped as for nll_loss) or floating class
// probabilities of the logits' shape. Label smoothing ε mixes in the uniform distribution:
//  - class indices: (1 - ε)·nll + ε/C·smooth, where smooth = -Σ_c weight[c]·log p_c per
//    position, 0 at ignored targets, reduced like the loss (Mean divides by the same summed
//    weights as the NLL);
//  - probabilities: the target becomes (1 - ε)·target + ε/C, and the loss is
//    -Σ_c weight[c]·target_c·log p_c per position; Mean divides by the number of positions
//    (weights do not enter the denominator).
// Deviation: PyTorch silently ignores a negative label_smoothing; here it is an error.
Tensor cross_entropy(const Tensor& logits, const Tensor& target,
                     const CrossEntropyOptions& options = {});

}  // namespace mg
