#include "layers/models/bert.h"

#include <cmath>
#include <limits>
#include <string>

#include "autograd/ops.h"
#include "core/error.h"
#include "layers/init.h"
#include "layers/module_list.h"

namespace mg::nn {

namespace {

// HF's _init_weights for a Linear: N(0, range²) weight, zero bias.
std::shared_ptr<Linear> make_linear(std::int64_t in, std::int64_t out, const BertConfig& config) {
  auto layer = std::make_shared<Linear>(in, out);
  init::normal_(layer->weight, 0, config.initializer_range);
  init::zeros_(layer->bias);
  return layer;
}

std::shared_ptr<Embedding> make_embedding(std::int64_t rows, const BertConfig& config,
                                          std::optional<std::int64_t> padding_idx = {}) {
  auto layer = std::make_shared<Embedding>(rows, config.hidden_size, padding_idx);
  init::normal_(layer->weight, 0, config.initializer_range);
  if (padding_idx) {
    NoGradGuard no_grad;
    fill_(select(layer->weight, 0, *padding_idx), 0.0);
  }
  return layer;
}

std::shared_ptr<LayerNorm> make_layer_norm(const BertConfig& config) {
  return std::make_shared<LayerNorm>(Shape{config.hidden_size}, config.layer_norm_eps);
}

std::string shape_or_undefined(const Tensor& x) {
  return x.defined() ? describe(x) : std::string("an undefined tensor");
}

}  // namespace

// ---- config ---------------------------------------------------------------------------------

void BertConfig::validate() const {
  auto positive = [](std::int64_t value, const char* name) {
    MG_CHECK(value > 0, "BertConfig: ", name, " must be positive, got ", value);
  };
  positive(vocab_size, "vocab_size");
  positive(hidden_size, "hidden_size");
  positive(num_hidden_layers, "num_hidden_layers");
  positive(num_attention_heads, "num_attention_heads");
  positive(intermediate_size, "intermediate_size");
  positive(max_position_embeddings, "max_position_embeddings");
  positive(type_vocab_size, "type_vocab_size");
  MG_CHECK(hidden_size % num_attention_heads == 0, "BertConfig: hidden_size (", hidden_size,
           ") is not a multiple of num_attention_heads (", num_attention_heads, ")");
  MG_CHECK(pad_token_id >= 0 && pad_token_id < vocab_size, "BertConfig: pad_token_id ",
           pad_token_id, " is outside [0, ", vocab_size, ")");
}

std::int64_t BertConfig::parameter_count() const {
  const std::int64_t h = hidden_size, i = intermediate_size;
  const std::int64_t embeddings =
      (vocab_size + max_position_embeddings + type_vocab_size) * h + 2 * h;  // + LayerNorm
  const std::int64_t attention = 4 * (h * h + h) + 2 * h;  // q, k, v, output dense + LayerNorm
  const std::int64_t feed_forward = (h * i + i) + (i * h + h) + 2 * h;
  const std::int64_t pooler = add_pooling_layer ? h * h + h : 0;
  return embeddings + num_hidden_layers * (attention + feed_forward) + pooler;
}

// ---- embeddings ------------------------------------------------------------------------------

BertEmbeddings::BertEmbeddings(const BertConfig& config) : Module("BertEmbeddings") {
  word_embeddings = register_module("word_embeddings",
                                    make_embedding(config.vocab_size, config, config.pad_token_id));
  position_embeddings = register_module("position_embeddings",
                                        make_embedding(config.max_position_embeddings, config));
  token_type_embeddings =
      register_module("token_type_embeddings", make_embedding(config.type_vocab_size, config));
  LayerNorm = register_module("LayerNorm", make_layer_norm(config));
  dropout = register_module("dropout", std::make_shared<Dropout>(config.hidden_dropout_prob));
}

Tensor BertEmbeddings::forward(const Tensor& input_ids, const Tensor& token_type_ids) {
  MG_CHECK(input_ids.defined() && input_ids.dim() == 2 && input_ids.dtype() == kInt64,
           "BertEmbeddings: expected input_ids int64[B, L], got ", shape_or_undefined(input_ids));
  const std::int64_t length = input_ids.size(1);
  const Tensor& positions = position_embeddings->weight;
  MG_CHECK(length <= positions.size(0), "BertEmbeddings: sequence length ", length,
           " exceeds max_position_embeddings ", positions.size(0), " (input_ids ",
           describe(input_ids), ")");
  Tensor types;
  if (token_type_ids.defined()) {
    MG_CHECK(token_type_ids.dtype() == kInt64 && token_type_ids.shape() == input_ids.shape(),
             "BertEmbeddings: expected token_type_ids int64", input_ids.shape(), ", got ",
             describe(token_type_ids));
    types = token_type_embeddings->forward(token_type_ids);
  } else {
    // HF's default token types are all 0: row 0, broadcast.
    types = select(token_type_embeddings->weight, 0, 0);
  }
  // Positions 0..L-1 are the first L rows: a view, broadcast over the batch, instead of a
  // lookup. HF's order of the sums: (words + types) + positions.
  Tensor x = add(add(word_embeddings->forward(input_ids), types), narrow(positions, 0, 0, length));
  return dropout->forward(LayerNorm->forward(x));
}

// ---- attention -------------------------------------------------------------------------------

BertSelfAttention::BertSelfAttention(const BertConfig& config)
    : Module("BertSelfAttention"), heads_(config.num_attention_heads) {
  const std::int64_t h = config.hidden_size;
  query = register_module("query", make_linear(h, h, config));
  key = register_module("key", make_linear(h, h, config));
  value = register_module("value", make_linear(h, h, config));
  dropout =
      register_module("dropout", std::make_shared<Dropout>(config.attention_probs_dropout_prob));
  for (const char* name : {"query.weight", "key.weight", "value.weight"})
    set_mask_units(name, MaskUnits::row_blocks(heads_));
}

Tensor BertSelfAttention::forward(const Tensor& hidden, const Tensor& additive_mask) {
  const std::int64_t batch = hidden.size(0), length = hidden.size(1), width = hidden.size(2);
  const std::int64_t head_dim = width / heads_;
  // [B, L, H] → [B, heads, L, d] as views; BLAS reads each head with row stride H.
  auto split_heads = [&](const Tensor& x) {
    return permute(view(x, {batch, length, heads_, head_dim}), {0, 2, 1, 3});
  };
  // HF divides the scores by √d; scaling q instead is cheaper and equal up to rounding.
  const Tensor q = split_heads(mul(query->forward(hidden), 1.0 / std::sqrt(double(head_dim))));
  const Tensor k = split_heads(key->forward(hidden));
  const Tensor v = split_heads(value->forward(hidden));
  Tensor scores = matmul(q, transpose(k, -1, -2));
  if (additive_mask.defined()) scores = add(scores, additive_mask);
  const Tensor probs = dropout->forward(softmax(scores, -1));
  return reshape(permute(matmul(probs, v), {0, 2, 1, 3}), {batch, length, width});
}

BertSelfOutput::BertSelfOutput(const BertConfig& config) : Module("BertSelfOutput") {
  dense = register_module("dense", make_linear(config.hidden_size, config.hidden_size, config));
  LayerNorm = register_module("LayerNorm", make_layer_norm(config));
  dropout = register_module("dropout", std::make_shared<Dropout>(config.hidden_dropout_prob));
  set_mask_units("dense.weight", MaskUnits::column_blocks(config.num_attention_heads));
}

Tensor BertSelfOutput::forward(const Tensor& hidden, const Tensor& residual) {
  return LayerNorm->forward(add(dropout->forward(dense->forward(hidden)), residual));
}

BertAttention::BertAttention(const BertConfig& config) : Module("BertAttention") {
  self = register_module("self", std::make_shared<BertSelfAttention>(config));
  output = register_module("output", std::make_shared<BertSelfOutput>(config));
}

Tensor BertAttention::forward(const Tensor& hidden, const Tensor& additive_mask) {
  return output->forward(self->forward(hidden, additive_mask), hidden);
}

// ---- feed-forward ----------------------------------------------------------------------------

BertIntermediate::BertIntermediate(const BertConfig& config)
    : Module("BertIntermediate"), activation_(config.hidden_act) {
  dense =
      register_module("dense", make_linear(config.hidden_size, config.intermediate_size, config));
}

Tensor BertIntermediate::forward(const Tensor& hidden) {
  const Tensor x = dense->forward(hidden);
  switch (activation_) {
    case BertActivation::GELU:
      return gelu(x);
    case BertActivation::GELUTanh:
      return gelu(x, GeluApproximate::Tanh);
    case BertActivation::ReLU:
      return relu(x);
  }
  throw Error("BertIntermediate: unknown activation");
}

BertOutput::BertOutput(const BertConfig& config) : Module("BertOutput") {
  dense =
      register_module("dense", make_linear(config.intermediate_size, config.hidden_size, config));
  LayerNorm = register_module("LayerNorm", make_layer_norm(config));
  dropout = register_module("dropout", std::make_shared<Dropout>(config.hidden_dropout_prob));
}

Tensor BertOutput::forward(const Tensor& hidden, const Tensor& residual) {
  return LayerNorm->forward(add(dropout->forward(dense->forward(hidden)), residual));
}

BertLayer::BertLayer(const BertConfig& config) : Module("BertLayer") {
  attention = register_module("attention", std::make_shared<BertAttention>(config));
  intermediate = register_module("intermediate", std::make_shared<BertIntermediate>(config));
  output = register_module("output", std::make_shared<BertOutput>(config));
}

Tensor BertLayer::forward(const Tensor& hidden, const Tensor& additive_mask) {
  const Tensor attended = attention->forward(hidden, additive_mask);
  return output->forward(intermediate->forward(attended), attended);
}

BertEncoder::BertEncoder(const BertConfig& config) : Module("BertEncoder") {
  auto list = register_module("layer", std::make_shared<ModuleList>());
  for (std::int64_t i = 0; i < config.num_hidden_layers; ++i)
    layer.push_back(list->push_back(std::make_shared<BertLayer>(config)));
}

Tensor BertEncoder::forward(const Tensor& hidden, const Tensor& additive_mask) {
  Tensor x = hidden;
  for (const auto& block : layer) x = block->forward(x, additive_mask);
  return x;
}

BertPooler::BertPooler(const BertConfig& config) : Module("BertPooler") {
  dense = register_module("dense", make_linear(config.hidden_size, config.hidden_size, config));
}

Tensor BertPooler::forward(const Tensor& hidden) {
  return tanh(dense->forward(select(hidden, 1, 0)));
}

// ---- model -----------------------------------------------------------------------------------

BertModel::BertModel(const BertConfig& config) : Module("BertModel"), config_(config) {
  config.validate();
  embeddings = register_module("embeddings", std::make_shared<BertEmbeddings>(config));
  encoder = register_module("encoder", std::make_shared<BertEncoder>(config));
  if (config.add_pooling_layer)
    pooler = register_module("pooler", std::make_shared<BertPooler>(config));
}

BertModelOutput BertModel::forward(const Tensor& input_ids, const Tensor& attention_mask,
                                   const Tensor& token_type_ids) {
  const Tensor hidden = embeddings->forward(input_ids, token_type_ids);
  Tensor additive_mask;
  if (attention_mask.defined()) {
    MG_CHECK(attention_mask.shape() == input_ids.shape(), "BertModel: expected attention_mask ",
             input_ids.shape(), " like input_ids, got ", describe(attention_mask));
    const DType dtype = hidden.dtype();
    const double lowest = dtype == kFloat32 ? std::numeric_limits<float>::lowest()
                                            : std::numeric_limits<double>::lowest();
    const Tensor keep = mg::to(attention_mask.detach(), dtype);
    additive_mask = view(mul(1.0 - keep, lowest), {input_ids.size(0), 1, 1, input_ids.size(1)});
  }
  BertModelOutput result;
  result.sequence_output = encoder->forward(hidden, additive_mask);
  if (pooler) result.pooled_output = pooler->forward(result.sequence_output);
  return result;
}

Tensor BertModel::forward(const Tensor& input_ids) {
  return forward(input_ids, Tensor()).sequence_output;
}

}  // namespace mg::nn
