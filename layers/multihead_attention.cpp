#include "layers/multihead_attention.h"

#include <cmath>
#include <limits>

#include "autograd/ops.h"
#include "core/error.h"
#include "layers/init.h"

namespace mg::nn {

namespace {

MultiheadAttentionOptions make_options(std::int64_t embed_dim, std::int64_t num_heads,
                                       double dropout, bool bias) {
  MultiheadAttentionOptions options;
  options.embed_dim = embed_dim;
  options.num_heads = num_heads;
  options.dropout = dropout;
  options.bias = bias;
  return options;
}

// [B, T, E] → [B, H, T, D] as a view (no copy): BLAS reads each head's [T, D] with row stride E.
Tensor split_heads(const Tensor& x, std::int64_t heads) {
  const std::int64_t batch = x.size(0), length = x.size(1);
  return permute(view(x, {batch, length, heads, x.size(2) / heads}), {0, 2, 1, 3});
}

Tensor bias_part(const Tensor& bias, std::int64_t index, std::int64_t size) {
  return bias.defined() ? narrow(bias, 0, index * size, size) : Tensor();
}

}  // namespace

MultiheadAttention::MultiheadAttention(std::int64_t embed_dim, std::int64_t num_heads,
                                       double dropout, bool bias)
    : MultiheadAttention(make_options(embed_dim, num_heads, dropout, bias)) {}

MultiheadAttention::MultiheadAttention(const MultiheadAttentionOptions& options)
    : Module("MultiheadAttention"),
      embed_dim_(options.embed_dim),
      num_heads_(options.num_heads),
      kdim_(options.kdim.value_or(options.embed_dim)),
      vdim_(options.vdim.value_or(options.embed_dim)),
      dropout_(options.dropout) {
  const std::int64_t e = embed_dim_, h = num_heads_;
  MG_CHECK(e > 0 && h > 0 && e % h == 0, "MultiheadAttention: embed_dim (", e,
           ") must be a positive multiple of num_heads (", h, ")");
  MG_CHECK(kdim_ > 0 && vdim_ > 0, "MultiheadAttention: kdim and vdim must be positive, got ",
           kdim_, " and ", vdim_);
  MG_CHECK(dropout_ >= 0 && dropout_ <= 1, "MultiheadAttention: dropout must be in [0, 1], got ",
           dropout_);
  const bool same_dims = kdim_ == e && vdim_ == e;
  packed_ = options.packed.value_or(same_dims);
  MG_CHECK(!packed_ || same_dims,
           "MultiheadAttention: packed projections need kdim == vdim == embed_dim (", e,
           "), got kdim ", kdim_, " and vdim ", vdim_, "; use packed = false");

  if (packed_) {
    in_proj_weight =
        register_parameter("in_proj_weight", empty({3 * e, e}), true, MaskUnits::row_blocks(3 * h));
  } else {
    q_proj_weight =
        register_parameter("q_proj_weight", empty({e, e}), true, MaskUnits::row_blocks(h));
    k_proj_weight =
        register_parameter("k_proj_weight", empty({e, kdim_}), true, MaskUnits::row_blocks(h));
    v_proj_weight =
        register_parameter("v_proj_weight", empty({e, vdim_}), true, MaskUnits::row_blocks(h));
  }
  if (options.bias) in_proj_bias = register_parameter("in_proj_bias", zeros({3 * e}));
  out_proj = register_module("out_proj", std::make_shared<Linear>(e, e, options.bias));
  set_mask_units("out_proj.weight", MaskUnits::column_blocks(h));

  if (packed_) {
    init::xavier_uniform_(in_proj_weight);
  } else {
    init::xavier_uniform_(q_proj_weight);
    init::xavier_uniform_(k_proj_weight);
    init::xavier_uniform_(v_proj_weight);
  }
  if (options.bias) init::zeros_(out_proj->bias);
}

void MultiheadAttention::check_inputs(const Tensor& query, const Tensor& key, const Tensor& value,
                                      const Tensor& key_padding_mask,
                                      const Tensor& attn_mask) const {
  MG_CHECK(query.defined() && key.defined() && value.defined(),
           "MultiheadAttention: query, key and value must be defined");
  MG_CHECK(query.dim() == 3 && query.size(2) == embed_dim_,
           "MultiheadAttention: expected query [B, L, ", embed_dim_, "], got ", describe(query));
  const std::int64_t batch = query.size(0);
  MG_CHECK(key.dim() == 3 && key.size(0) == batch && key.size(2) == kdim_,
           "MultiheadAttention: expected key [", batch, ", S, ", kdim_, "], got ", describe(key),
           " for query ", describe(query));
  const std::int64_t source = key.size(1);
  MG_CHECK(value.dim() == 3 && value.size(0) == batch && value.size(1) == source &&
               value.size(2) == vdim_,
           "MultiheadAttention: expected value [", batch, ", ", source, ", ", vdim_, "], got ",
           describe(value), " for key ", describe(key));
  if (key_padding_mask.defined()) {
    MG_CHECK(key_padding_mask.dtype() == kBool && key_padding_mask.dim() == 2 &&
                 key_padding_mask.size(0) == batch && key_padding_mask.size(1) == source,
             "MultiheadAttention: expected key_padding_mask bool[", batch, ", ", source,
             "] (true = ignore), got ", describe(key_padding_mask));
  }
  if (attn_mask.defined()) {
    const std::int64_t target = query.size(1);
    const bool shape_ok =
        (attn_mask.dim() == 2 && attn_mask.size(0) == target && attn_mask.size(1) == source) ||
        (attn_mask.dim() == 3 && attn_mask.size(0) == batch * num_heads_ &&
         attn_mask.size(1) == target && attn_mask.size(2) == source);
    MG_CHECK(shape_ok, "MultiheadAttention: expected attn_mask [", target, ", ", source, "] or [",
             batch * num_heads_, ", ", target, ", ", source, "], got ", describe(attn_mask));
    MG_CHECK(attn_mask.dtype() == kBool || attn_mask.dtype() == query.dtype(),
             "MultiheadAttention: attn_mask must be bool or ", query.dtype(),
             " like the query, got ", describe(attn_mask));
  }
}

MultiheadAttentionOutput MultiheadAttention::forward(const Tensor& query, const Tensor& key,
                                                     const Tensor& value,
                                                     const Tensor& key_padding_mask,
                                                     bool need_weights, const Tensor& attn_mask,
                                                     bool average_attn_weights) {
  check_inputs(query, key, value, key_padding_mask, attn_mask);
  const std::int64_t e = embed_dim_, h = num_heads_;
  const std::int64_t batch = query.size(0), target = query.size(1), source = key.size(1);

  Tensor q, k, v;  // [B, H, T, D] views
  if (packed_ && query.is_same(key) && key.is_same(value)) {
    // Self-attention: one GEMM for the three projections, the heads cut out as views.
    const Tensor qkv =
        view(linear(query, in_proj_weight, in_proj_bias), {batch, target, 3, h, head_dim()});
    q = permute(select(qkv, 2, 0), {0, 2, 1, 3});
    k = permute(select(qkv, 2, 1), {0, 2, 1, 3});
    v = permute(select(qkv, 2, 2), {0, 2, 1, 3});
  } else {
    const Tensor wq = packed_ ? narrow(in_proj_weight, 0, 0, e) : q_proj_weight;
    const Tensor wk = packed_ ? narrow(in_proj_weight, 0, e, e) : k_proj_weight;
    const Tensor wv = packed_ ? narrow(in_proj_weight, 0, 2 * e, e) : v_proj_weight;
    q = split_heads(linear(query, wq, bias_part(in_proj_bias, 0, e)), h);
    k = split_heads(linear(key, wk, bias_part(in_proj_bias, 1, e)), h);
    v = split_heads(linear(value, wv, bias_part(in_proj_bias, 2, e)), h);
  }

  // Scaling q (B·L·E entries) is cheaper than scaling the scores (B·H·L·S) whenever S > D.
  q = mul(q, 1.0 / std::sqrt(static_cast<double>(head_dim())));
  Tensor scores = matmul(q, transpose(k, -1, -2));  // [B, H, L, S]
  if (attn_mask.defined()) {
    const Tensor mask =
        attn_mask.dim() == 3 ? view(attn_mask, {batch, h, target, source}) : attn_mask;
    scores = mask.dtype() == kBool
                 ? masked_fill(scores, mask, -std::numeric_limits<double>::infinity())
                 : add(scores, mask);
  }
  if (key_padding_mask.defined()) {
    scores = masked_fill(scores, view(key_padding_mask, {batch, 1, 1, source}),
                         -std::numeric_limits<double>::infinity());
  }
  Tensor probs = softmax(scores, -1);
  if (dropout_ > 0 && is_training()) probs = dropout(probs, dropout_, true);

  // The merge of the heads is the one copy: out_proj needs [B, L, H·D] contiguous in H·D.
  const Tensor context = reshape(permute(matmul(probs, v), {0, 2, 1, 3}), {batch, target, e});
  MultiheadAttentionOutput result;
  result.output = linear(context, out_proj->weight, out_proj->bias);
  if (need_weights) result.weights = average_attn_weights ? mean(probs, {1}) : probs;
  return result;
}

Tensor MultiheadAttention::forward(const Tensor& input) {
  return forward(input, input, input, {}, false).output;
}

}  // namespace mg::nn
