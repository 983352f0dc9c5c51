#pragma once

#include <cstdint>
#include <memory>
#include <optional>

#include "layers/linear.h"
#include "layers/module.h"

namespace mg::nn {

struct MultiheadAttentionOptions {
  std::int64_t embed_dim = 0;
  std::int64_t num_heads = 1;
  double dropout = 0;  // on the attention probabilities, in training mode
  bool bias = true;    // in_proj_bias and out_proj.bias
  // Sizes of the key and value features; unset means embed_dim.
  std::optional<std::int64_t> kdim;
  std::optional<std::int64_t> vdim;
  // One packed in_proj_weight [3E, E] (true) or q/k/v_proj_weight (false). Unset follows
  // PyTorch: packed exactly when kdim == vdim == embed_dim. Packing needs those sizes equal.
  std::optional<bool> packed;
};

// What MultiheadAttention::forward returns. `weights` is undefined when need_weights is false.
struct MultiheadAttentionOutput {
  Tensor output;   // [B, L, E]
  Tensor weights;  // [B, L, S] averaged over heads, or [B, H, L, S]
};

// torch.nn.MultiheadAttention with batch_first=True (always): inputs are [B, L, E] (query) and
// [B, S, kdim] / [B, S, vdim] (key, value).
//
// Parameters, in PyTorch's names and registration order:
//   packed:   in_proj_weight [3E, E], in_proj_bias [3E], out_proj.weight [E, E], out_proj.bias;
//   separate: q_proj_weight [E, E], k_proj_weight [E, kdim], v_proj_weight [E, vdim],
//             in_proj_bias [3E], out_proj.weight, out_proj.bias.
// Initialisation as PyTorch: xavier_uniform_ on the in-projection weight(s) (the packed one as a
// whole), zero in_proj_bias and out_proj.bias, out_proj.weight as a Linear's.
// Mask units: one per head, i.e. in_proj_weight row_blocks(3·H) (the Q, K and V heads), each of
// q/k/v_proj_weight row_blocks(H), out_proj.weight column_blocks(H) (the columns that read
// head h's output); the biases element-wise.
//
// Computation (PyTorch 1.13's slow path, which training always takes): q, k, v projections;
// heads as views [B, H, L, D]; scores = (q / √D)·kᵀ; plus attn_mask; key_padding_mask → -inf;
// softmax; dropout; ·v; heads merged; out_proj. Returned weights are the probabilities after
// dropout, as in PyTorch. A query row whose keys are all masked gives NaN, as in PyTorch (its
// fast inference path differs there; this module has only the slow path).
// Not supported: add_bias_kv, add_zero_attn, unbatched (2-d) inputs.
class MultiheadAttention : public Module {
 public:
  explicit MultiheadAttention(const MultiheadAttentionOptions& options);
  MultiheadAttention(std::int64_t embed_dim, std::int64_t num_heads, double dropout = 0,
                     bool bias = true);

  // key_padding_mask: bool [B, S], true = ignore that key. attn_mask: [L, S] or [B·H, L, S],
  // bool (true = not allowed) or floating point (added to the scores). need_weights also returns
  // the attention probabilities, averaged over heads unless average_attn_weights is false.
  MultiheadAttentionOutput forward(const Tensor& query, const Tensor& key, const Tensor& value,
                                   const Tensor& key_padding_mask = {}, bool need_weights = true,
                                   const Tensor& attn_mask = {}, bool average_attn_weights = true);
  // Self-attention without masks, the output only (what Sequential calls).
  Tensor forward(const Tensor& input) override;

  std::int64_t embed_dim() const { return embed_dim_; }
  std::int64_t num_heads() const { return num_heads_; }
  std::int64_t head_dim() const { return embed_dim_ / num_heads_; }
  std::int64_t kdim() const { return kdim_; }
  std::int64_t vdim() const { return vdim_; }
  bool packed() const { return packed_; }

  Tensor in_proj_weight;  // packed only
  Tensor q_proj_weight;   // separate only
  Tensor k_proj_weight;
  Tensor v_proj_weight;
  Tensor in_proj_bias;  // undefined without bias
  std::shared_ptr<Linear> out_proj;

 private:
  void check_inputs(const Tensor& query, const Tensor& key, const Tensor& value,
                    const Tensor& key_padding_mask, const Tensor& attn_mask) const;

  std::int64_t embed_dim_;
  std::int64_t num_heads_;
  std::int64_t kdim_;
  std::int64_t vdim_;
  double dropout_;
  bool packed_;
};

}  // namespace mg::nn
