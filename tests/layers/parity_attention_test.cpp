#include "layers/models/bert.h"
#include "layers/multihead_attention.h"
#include "layers/transformer.h"
#include "parity_util.h"

// Fixtures from tools/reference/attention.py (PyTorch 1.13, transformers 4.39.3 for BERT), all in
// evaluation mode: outputs, attention weights, input and parameter gradients within 1e-4.
namespace mg::nn {
namespace {

using testing::expect_parity;
using testing::Fixture;

MultiheadAttentionOptions mha_options(const Json& config) {
  MultiheadAttentionOptions options;
  options.embed_dim = config.at("embed_dim").as_int();
  options.num_heads = config.at("num_heads").as_int();
  options.bias = config.at("bias").as_bool();
  if (const Json* kdim = config.find("kdim")) options.kdim = kdim->as_int();
  if (const Json* vdim = config.find("vdim")) options.vdim = vdim->as_int();
  return options;
}

std::vector<Tensor> both(const MultiheadAttentionOutput& result) {
  return {result.output, result.weights};
}

TEST(ParityAttention, MultiheadAttentionPackedSelfAttentionWithPadding) {
  const Fixture fixture("mha_packed_self_padding");
  MultiheadAttention mha(mha_options(fixture.config()));
  ASSERT_TRUE(mha.packed());
  expect_parity(mha, fixture, [&](const std::vector<Tensor>& in) {
    return both(mha.forward(in[0], in[0], in[0], in[1]));
  });
}

TEST(ParityAttention, MultiheadAttentionPackedCrossAttentionWithoutBias) {
  const Fixture fixture("mha_packed_cross_nobias");
  MultiheadAttention mha(mha_options(fixture.config()));
  expect_parity(mha, fixture, [&](const std::vector<Tensor>& in) {
    return both(mha.forward(in[0], in[1], in[2]));
  });
}

TEST(ParityAttention, MultiheadAttentionPackedBoolMaskAndPadding) {
  const Fixture fixture("mha_packed_bool_mask");
  MultiheadAttention mha(mha_options(fixture.config()));
  expect_parity(mha, fixture, [&](const std::vector<Tensor>& in) {
    return both(mha.forward(in[0], in[1], in[2], in[3], true, in[4]));
  });
}

TEST(ParityAttention, MultiheadAttentionSeparateProjectionsFloatMaskAndPadding) {
  const Fixture fixture("mha_separate_float_mask");
  MultiheadAttention mha(mha_options(fixture.config()));
  ASSERT_FALSE(mha.packed());
  expect_parity(mha, fixture, [&](const std::vector<Tensor>& in) {
    return both(mha.forward(in[0], in[1], in[2], in[3], true, in[4]));
  });
}

TransformerEncoderLayerOptions layer_options(const Json& config) {
  TransformerEncoderLayerOptions options;
  options.d_model = config.at("d_model").as_int();
  options.nhead = config.at("nhead").as_int();
  options.dim_feedforward = config.at("dim_feedforward").as_int();
  if (const Json* activation = config.find("activation"))
    options.activation = activation->as_string() == "gelu" ? TransformerActivation::GELU
                                                           : TransformerActivation::ReLU;
  if (const Json* norm_first = config.find("norm_first"))
    options.norm_first = norm_first->as_bool();
  return options;
}

template <typename M>
void expect_encoder_parity(M& module, const Fixture& fixture) {
  expect_parity(module, fixture, [&](const std::vector<Tensor>& in) {
    return std::vector<Tensor>{module.forward(in[0], in[1])};
  });
}

TEST(ParityAttention, TransformerEncoderLayerPostNormReLU) {
  const Fixture fixture("transformer_layer_post_relu");
  TransformerEncoderLayer layer(layer_options(fixture.config()));
  expect_encoder_parity(layer, fixture);
}

TEST(ParityAttention, TransformerEncoderLayerPreNormGELU) {
  const Fixture fixture("transformer_layer_pre_gelu");
  TransformerEncoderLayer layer(layer_options(fixture.config()));
  expect_encoder_parity(layer, fixture);
}

TEST(ParityAttention, TransformerEncoderTwoLayersFinalNorm) {
  const Fixture fixture("transformer_encoder_2_norm");
  const Json config = fixture.config();
  TransformerEncoder encoder(layer_options(config), config.at("num_layers").as_int(),
                             std::make_shared<LayerNorm>(Shape{config.at("d_model").as_int()}));
  expect_encoder_parity(encoder, fixture);
}

TEST(ParityAttention, BertModelTwoLayers) {
  const Fixture fixture("bert_tiny");
  const Json config = fixture.config();
  BertModel bert(
      BertConfig{.vocab_size = config.at("vocab_size").as_int(),
                 .hidden_size = config.at("hidden_size").as_int(),
                 .num_hidden_layers = config.at("num_hidden_layers").as_int(),
                 .num_attention_heads = config.at("num_attention_heads").as_int(),
                 .intermediate_size = config.at("intermediate_size").as_int(),
                 .max_position_embeddings = config.at("max_position_embeddings").as_int()});
  // The key bias's gradient is exactly 0 (softmax ignores a shift shared by a row): the
  // reference froze it, so both sides compare no rounding noise (tools/reference/attention.py).
  for (const auto& layer : bert.encoder->layer)
    layer->attention->self->key->bias.requires_grad_(false);
  expect_parity(bert, fixture, [&](const std::vector<Tensor>& in) {
    const BertModelOutput out = bert.forward(in[0], in[1], in[2]);
    return std::vector<Tensor>{out.sequence_output, out.pooled_output};
  });
}

}  // namespace
}  // namespace mg::nn
