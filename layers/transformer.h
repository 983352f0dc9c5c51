#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "layers/dropout.h"
#include "layers/layer_norm.h"
#include "layers/linear.h"
#include "layers/module.h"
#include "layers/multihead_attention.h"

namespace mg::nn {

enum class TransformerActivation { ReLU, GELU };

struct TransformerEncoderLayerOptions {
  std::int64_t d_model = 0;
  std::int64_t nhead = 1;
  std::int64_t dim_feedforward = 2048;
  double dropout = 0.1;
  TransformerActivation activation = TransformerActivation::ReLU;
  double layer_norm_eps = 1e-5;
  bool norm_first = false;
};

// torch.nn.TransformerEncoderLayer with batch_first=True (always): src [B, L, d_model].
// Submodules in PyTorch's names and order: self_attn (packed MultiheadAttention), linear1,
// dropout, linear2, norm1, norm2, dropout1, dropout2. Post-norm (default):
//   x = norm1(x + dropout1(self_attn(x))); x = norm2(x +
//   dropout2(linear2(dropout(act(linear1(x))))))
// pre-norm (norm_first): x = x + sa(norm1(x)); x = x + ff(norm2(x)). GELU is the erf form.
// Always PyTorch's slow path (the one training takes); see MultiheadAttention for masks.
class TransformerEncoderLayer : public Module {
 public:
  explicit TransformerEncoderLayer(const TransformerEncoderLayerOptions& options);

  // src_key_padding_mask: bool [B, L], true = padding; src_mask: the self-attention attn_mask
  // ([L, L] or [B·nhead, L, L], bool or additive float). The order differs from PyTorch's
  // forward(src, src_mask, src_key_padding_mask) because the padding mask is the common one.
  Tensor forward(const Tensor& src, const Tensor& src_key_padding_mask,
                 const Tensor& src_mask = {});
  Tensor forward(const Tensor& src) override { return forward(src, Tensor()); }

  const TransformerEncoderLayerOptions& options() const { return options_; }

  std::shared_ptr<MultiheadAttention> self_attn;
  std::shared_ptr<Linear> linear1;
  std::shared_ptr<Dropout> dropout;
  std::shared_ptr<Linear> linear2;
  std::shared_ptr<LayerNorm> norm1;
  std::shared_ptr<LayerNorm> norm2;
  std::shared_ptr<Dropout> dropout1;
  std::shared_ptr<Dropout> dropout2;

 private:
  Tensor self_attention_block(const Tensor& x, const Tensor& key_padding_mask,
                              const Tensor& attn_mask);
  Tensor feed_forward_block(const Tensor& x);

  TransformerEncoderLayerOptions options_;
};

// torch.nn.TransformerEncoder: `num_layers` layers named layers.0, layers.1, ..., then the
// optional final `norm`. Like PyTorch, which deep-copies one layer, every layer starts from the
// first layer's initial values (the factory's layers are overwritten with layer 0's state).
class TransformerEncoder : public Module {
 public:
  using LayerFactory = std::function<std::shared_ptr<TransformerEncoderLayer>()>;

  TransformerEncoder(const LayerFactory& make_layer, std::int64_t num_layers,
                     std::shared_ptr<Module> norm = nullptr);
  TransformerEncoder(const TransformerEncoderLayerOptions& layer, std::int64_t num_layers,
                     std::shared_ptr<Module> norm = nullptr);

  Tensor forward(const Tensor& src, const Tensor& src_key_padding_mask, const Tensor& mask = {});
  Tensor forward(const Tensor& src) override { return forward(src, Tensor()); }

  const std::vector<std::shared_ptr<TransformerEncoderLayer>>& layers() const { return layers_; }
  std::shared_ptr<Module> norm;  // null without a final norm

 private:
  std::vector<std::shared_ptr<TransformerEncoderLayer>> layers_;
};

}  // namespace mg::nn
