#pragma once

#include <cstdint>
#include <string>

#include "core/tensor.h"
#include "optim/masks/sampler.h"

// Part 4 of the mask pipeline (specs/amss.md §10): the per-unit factors the optimizer applies
// in the next step, a float64 [N] tensor that is 0 on every unit not in the sample, ready for
// the optimizer's set_mask (which expands it with MaskUnits::expand):
//   None              1 on sampled units: AMSS;
//   InverseInclusion  1/π_u on sampled units: AMSS+ as in the paper (supp. Eq. 17); unbiased,
//                     E[factor_u] = 1 for every unit with π_u > 0. Throws when the sample's π is
//                     an approximation (Successive with N > 16) or when a unit with a positive
//                     score has π_u = 0 (TopK): the estimate could not be unbiased (§10.3);
//   Reference         1/(q_u + 1/n + bias) on sampled units, q = s/Σs: the reference code's
//                     AMSS+ factor (§10.2; bias 0 AV/NV, 0.2 IT). Biased (the tests show it).
//                     `n` defaults to N; the IT classifier uses n = number of classes and q
//                     normalised over the whole modality block: pass that block's Σs as
//                     `score_total`. The code's `--isbias 2` form 1/(q + b) is not provided.
//                     All-zero scores use q = 1/N (the uniform fallback).
namespace mg::optim {

enum class RescaleKind { None, InverseInclusion, Reference };

// "none", "inverse_inclusion", "reference" (alias "code"); anything else is an mg::Error.
RescaleKind parse_rescale_kind(const std::string& name);
std::string to_string(RescaleKind kind);

struct RescaleOptions {
  double bias = 0;         // Reference: b
  std::int64_t n = 0;      // Reference: the 1/n term; 0 = the number of units
  double score_total = 0;  // Reference: normaliser of q; 0 = Σ scores
};

// `scores` are the importances the sample was drawn from (1-d, N).
Tensor rescale_factors(const Sample& sample, const Tensor& scores, RescaleKind kind,
                       const RescaleOptions& options = {});

}  // namespace mg::optim
