#include "layers/transformer.h"

#include <string>

#include "autograd/ops.h"
#include "core/error.h"
#include "layers/module_list.h"

namespace mg::nn {

TransformerEncoderLayer::TransformerEncoderLayer(const TransformerEncoderLayerOptions& options)
    : Module("TransformerEncoderLayer"), options_(options) {
  const std::int64_t d = options.d_model;
  MG_CHECK(d > 0 && options.dim_feedforward > 0,
           "TransformerEncoderLayer: d_model and dim_feedforward must be positive, got ", d,
           " and ", options.dim_feedforward);
  self_attn = register_module(
      "self_attn", std::make_shared<MultiheadAttention>(d, options.nhead, options.dropout));
  linear1 = register_module("linear1", std::make_shared<Linear>(d, options.dim_feedforward));
  dropout = register_module("dropout", std::make_shared<Dropout>(options.dropout));
  linear2 = register_module("linear2", std::make_shared<Linear>(options.dim_feedforward, d));
  norm1 = register_module("norm1", std::make_shared<LayerNorm>(Shape{d}, options.layer_norm_eps));
  norm2 = register_module("norm2", std::make_shared<LayerNorm>(Shape{d}, options.layer_norm_eps));
  dropout1 = register_module("dropout1", std::make_shared<Dropout>(options.dropout));
  dropout2 = register_module("dropout2", std::make_shared<Dropout>(options.dropout));
}

Tensor TransformerEncoderLayer::self_attention_block(const Tensor& x,
                                                     const Tensor& key_padding_mask,
                                                     const Tensor& attn_mask) {
  return dropout1->forward(self_attn->forward(x, x, x, key_padding_mask, false, attn_mask).output);
}

Tensor TransformerEncoderLayer::feed_forward_block(const Tensor& x) {
  Tensor hidden = linear1->forward(x);
  hidden = options_.activation == TransformerActivation::ReLU ? relu(hidden) : gelu(hidden);
  return dropout2->forward(linear2->forward(dropout->forward(hidden)));
}

Tensor TransformerEncoderLayer::forward(const Tensor& src, const Tensor& src_key_padding_mask,
                                        const Tensor& src_mask) {
  MG_CHECK(src.defined() && src.dim() == 3 && src.size(2) == options_.d_model,
           "TransformerEncoderLayer: expected src [B, L, ", options_.d_model, "], got ",
           src.defined() ? describe(src) : std::string("an undefined tensor"));
  Tensor x = src;
  if (options_.norm_first) {
    x = add(x, self_attention_block(norm1->forward(x), src_key_padding_mask, src_mask));
    return add(x, feed_forward_block(norm2->forward(x)));
  }
  x = norm1->forward(add(x, self_attention_block(x, src_key_padding_mask, src_mask)));
  return norm2->forward(add(x, feed_forward_block(x)));
}

TransformerEncoder::TransformerEncoder(const LayerFactory& make_layer, std::int64_t num_layers,
                                       std::shared_ptr<Module> final_norm)
    : Module("TransformerEncoder") {
  MG_CHECK(num_layers > 0, "TransformerEncoder: num_layers must be positive, got ", num_layers);
  auto list = register_module("layers", std::make_shared<ModuleList>());
  for (std::int64_t i = 0; i < num_layers; ++i) {
    auto layer = make_layer();
    MG_CHECK(layer != nullptr, "TransformerEncoder: the layer factory returned null");
    if (i > 0) layer->load_state_dict(layers_[0]->state_dict());
    layers_.push_back(list->push_back(layer));
  }
  if (final_norm) norm = register_module("norm", final_norm);
}

TransformerEncoder::TransformerEncoder(const TransformerEncoderLayerOptions& layer,
                                       std::int64_t num_layers, std::shared_ptr<Module> final_norm)
    : TransformerEncoder([&] { return std::make_shared<TransformerEncoderLayer>(layer); },
                         num_layers, std::move(final_norm)) {}

Tensor TransformerEncoder::forward(const Tensor& src, const Tensor& src_key_padding_mask,
                                   const Tensor& mask) {
  Tensor x = src;
  for (const auto& layer : layers_) x = layer->forward(x, src_key_padding_mask, mask);
  return norm ? norm->forward(x) : x;
}

}  // namespace mg::nn
