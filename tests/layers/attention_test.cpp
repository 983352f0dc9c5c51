#include <cmath>
#include <string>
#include <vector>

#include "layers/models/bert.h"
#include "layers/multihead_attention.h"
#include "layers/transformer.h"
#include "test_util.h"

// Parameter counts marked "PyTorch" were read from torch 1.13 / transformers 4.39.3:
// sum(p.numel() for p in module.parameters()).
namespace mg::nn {
namespace {

std::vector<std::string> parameter_names(const Module& module) {
  std::vector<std::string> names;
  for (const auto& parameter : module.named_parameters()) names.push_back(parameter.name);
  return names;
}

double max_abs_diff(const Tensor& a, const Tensor& b) {
  NoGradGuard no_grad;
  return max(abs(sub(a, b))).item<double>();
}

Tensor padding_mask(const std::vector<bool>& padded, std::int64_t batch, std::int64_t length) {
  return from_vector(padded, {batch, length});
}

// ---- MultiheadAttention ----------------------------------------------------------------------

TEST(MultiheadAttention, PackedNamesCountsAndMaskUnitsMatchPyTorch) {
  MultiheadAttention mha(8, 2);
  EXPECT_TRUE(mha.packed());
  EXPECT_EQ(parameter_names(mha), (std::vector<std::string>{"in_proj_weight", "in_proj_bias",
                                                            "out_proj.weight", "out_proj.bias"}));
  EXPECT_EQ(mha.parameter_count(), 288);  // PyTorch
  EXPECT_EQ(mha.mask_units("in_proj_weight"), MaskUnits::row_blocks(6));
  EXPECT_EQ(mha.mask_units("in_proj_weight").count(mha.in_proj_weight.shape()), 6);
  EXPECT_EQ(mha.mask_units("out_proj.weight"), MaskUnits::column_blocks(2));
  EXPECT_EQ(mha.mask_units("in_proj_bias"), MaskUnits::element());
  EXPECT_EQ(mha.mask_units("out_proj.bias"), MaskUnits::element());
  EXPECT_EQ(MultiheadAttention(8, 2, 0, false).parameter_count(), 256);  // PyTorch
}

TEST(MultiheadAttention, SeparateProjectionsWhenKeyAndValueSizesDiffer) {
  MultiheadAttentionOptions options;
  options.embed_dim = 8;
  options.num_heads = 2;
  options.kdim = 6;
  options.vdim = 10;
  MultiheadAttention mha(options);
  EXPECT_FALSE(mha.packed());
  EXPECT_EQ(parameter_names(mha),
            (std::vector<std::string>{"q_proj_weight", "k_proj_weight", "v_proj_weight",
                                      "in_proj_bias", "out_proj.weight", "out_proj.bias"}));
  EXPECT_EQ(mha.parameter_count(), 288);  // PyTorch
  EXPECT_EQ(mha.k_proj_weight.shape(), (Shape{8, 6}));
  EXPECT_EQ(mha.v_proj_weight.shape(), (Shape{8, 10}));
  for (const char* name : {"q_proj_weight", "k_proj_weight", "v_proj_weight"})
    EXPECT_EQ(mha.mask_units(name), MaskUnits::row_blocks(2)) << name;
  const Tensor out = mha.forward(randn({3, 4, 8}), randn({3, 5, 6}), randn({3, 5, 10})).output;
  EXPECT_EQ(out.shape(), (Shape{3, 4, 8}));

  options.packed = true;
  EXPECT_MG_ERROR(MultiheadAttention{options}, "MultiheadAttention", "packed", "kdim 6");
}

TEST(MultiheadAttention, InitialisationFollowsPyTorch) {
  MultiheadAttention mha(64, 4);
  const double bound = std::sqrt(6.0 / (64 + 3 * 64));  // xavier_uniform_ on [3E, E]
  const double largest = max(abs(mha.in_proj_weight)).item<double>();
  EXPECT_LE(largest, bound);
  EXPECT_GT(largest, 0.95 * bound);
  EXPECT_EQ(max(abs(mha.in_proj_bias)).item<double>(), 0.0);
  EXPECT_EQ(max(abs(mha.out_proj->bias)).item<double>(), 0.0);
  // out_proj.weight keeps Linear's U(-1/√E, 1/√E).
  EXPECT_LE(max(abs(mha.out_proj->weight)).item<double>(), 1.0 / 8.0);
}

TEST(MultiheadAttention, ShapesAndWeights) {
  MultiheadAttention mha(8, 2);
  const Tensor q = randn({2, 3, 8}), kv = randn({2, 5, 8});
  const MultiheadAttentionOutput averaged = mha.forward(q, kv, kv);
  EXPECT_EQ(averaged.output.shape(), (Shape{2, 3, 8}));
  ASSERT_EQ(averaged.weights.shape(), (Shape{2, 3, 5}));
  for (float row : sum(averaged.weights, {2}).to_vector<float>()) EXPECT_NEAR(row, 1.0, 1e-6);
  const MultiheadAttentionOutput per_head = mha.forward(q, kv, kv, {}, true, {}, false);
  EXPECT_EQ(per_head.weights.shape(), (Shape{2, 2, 3, 5}));
  EXPECT_LE(max_abs_diff(mean(per_head.weights, {1}), averaged.weights), 1e-7);
  EXPECT_FALSE(mha.forward(q, kv, kv, {}, false).weights.defined());
}

TEST(MultiheadAttention, SelfAttentionFastPathEqualsGeneralPath) {
  MultiheadAttention mha(8, 2);
  const Tensor x = randn({2, 4, 8});
  const Tensor padding = padding_mask({false, false, false, false, false, false, true, true}, 2, 4);
  const MultiheadAttentionOutput fused = mha.forward(x, x, x, padding);
  const MultiheadAttentionOutput general = mha.forward(x, clone(x), clone(x), padding);
  EXPECT_LE(max_abs_diff(fused.output, general.output), 1e-6);
  EXPECT_LE(max_abs_diff(fused.weights, general.weights), 1e-6);
  EXPECT_LE(max_abs_diff(mha.forward(x), mha.forward(x, x, x).output), 0.0);
}

TEST(MultiheadAttention, MaskedKeysGetZeroWeightAndAFullyMaskedRowIsNaNAsInPyTorch) {
  MultiheadAttention mha(4, 2);
  const Tensor x = randn({1, 3, 4});
  const Tensor padding = padding_mask({false, false, true}, 1, 3);
  const std::vector<float> weights = mha.forward(x, x, x, padding).weights.to_vector<float>();
  for (int row = 0; row < 3; ++row) EXPECT_EQ(weights[row * 3 + 2], 0.0f);

  // Query 0 may see only key 2, which the padding hides: PyTorch's softmax over all -inf.
  const Tensor causal = from_vector(
      std::vector<bool>{true, true, false, false, false, false, false, false, false}, {3, 3});
  const std::vector<float> out =
      mha.forward(x, x, x, padding, false, causal).output.to_vector<float>();
  for (int i = 0; i < 4; ++i) EXPECT_TRUE(std::isnan(out[i])) << i;
  for (int i = 4; i < 12; ++i) EXPECT_FALSE(std::isnan(out[i])) << i;
}

TEST(MultiheadAttention, DropoutActsOnTheWeightsInTrainingOnly) {
  MultiheadAttention mha(8, 2, 0.5);
  const Tensor x = randn({4, 6, 8});
  mha.eval();
  const Tensor first = mha.forward(x, x, x).weights;
  EXPECT_LE(max_abs_diff(first, mha.forward(x, x, x).weights), 0.0);
  mha.train();
  const Tensor dropped = mha.forward(x, x, x, {}, true, {}, false).weights;
  int zeros = 0;
  for (float w : dropped.to_vector<float>()) zeros += w == 0.0f;
  EXPECT_GT(zeros, 100);  // about half of 4·2·6·6 = 288
  EXPECT_LT(zeros, 190);
}

TEST(MultiheadAttention, RejectsBadShapesAndMasks) {
  EXPECT_MG_ERROR(MultiheadAttention(10, 3), "MultiheadAttention", "embed_dim (10)",
                  "num_heads (3)");
  MultiheadAttention mha(8, 2);
  const Tensor q = randn({2, 3, 8}), kv = randn({2, 5, 8});
  EXPECT_MG_ERROR(mha.forward(randn({2, 3, 7}), kv, kv), "MultiheadAttention", "query [B, L, 8]",
                  "float32[2, 3, 7]");
  EXPECT_MG_ERROR(mha.forward(randn({3, 8}), kv, kv), "MultiheadAttention", "float32[3, 8]");
  EXPECT_MG_ERROR(mha.forward(q, randn({3, 5, 8}), kv), "MultiheadAttention", "key [2, S, 8]",
                  "float32[3, 5, 8]");
  EXPECT_MG_ERROR(mha.forward(q, kv, randn({2, 4, 8})), "MultiheadAttention", "value [2, 5, 8]",
                  "float32[2, 4, 8]");
  EXPECT_MG_ERROR(mha.forward(q, kv, kv, zeros({5, 2}, kBool)), "key_padding_mask", "bool[2, 5]",
                  "bool[5, 2]");
  EXPECT_MG_ERROR(mha.forward(q, kv, kv, zeros({2, 5})), "key_padding_mask", "float32[2, 5]");
  EXPECT_MG_ERROR(mha.forward(q, kv, kv, {}, true, zeros({5, 3}, kBool)), "attn_mask", "[3, 5]",
                  "[4, 3, 5]", "bool[5, 3]");
  EXPECT_MG_ERROR(mha.forward(q, kv, kv, {}, true, zeros({3, 5}, kInt64)), "attn_mask",
                  "int64[3, 5]");
}

// ---- Transformer -----------------------------------------------------------------------------

TransformerEncoderLayerOptions small_layer(bool norm_first = false) {
  TransformerEncoderLayerOptions options;
  options.d_model = 8;
  options.nhead = 2;
  options.dim_feedforward = 16;
  options.norm_first = norm_first;
  return options;
}

TEST(TransformerEncoderLayer, NamesAndCountMatchPyTorch) {
  TransformerEncoderLayer layer(small_layer());
  EXPECT_EQ(parameter_names(layer),
            (std::vector<std::string>{
                "self_attn.in_proj_weight", "self_attn.in_proj_bias", "self_attn.out_proj.weight",
                "self_attn.out_proj.bias", "linear1.weight", "linear1.bias", "linear2.weight",
                "linear2.bias", "norm1.weight", "norm1.bias", "norm2.weight", "norm2.bias"}));
  EXPECT_EQ(layer.parameter_count(), 600);  // PyTorch
  EXPECT_EQ(layer.mask_units("self_attn.in_proj_weight"), MaskUnits::row_blocks(6));
  EXPECT_EQ(layer.mask_units("self_attn.out_proj.weight"), MaskUnits::column_blocks(2));
  EXPECT_EQ(layer.mask_units("linear1.weight"), MaskUnits::element());
  std::vector<std::string> children;
  for (const auto& [name, child] : layer.named_children()) children.push_back(name);
  EXPECT_EQ(children, (std::vector<std::string>{"self_attn", "linear1", "dropout", "linear2",
                                                "norm1", "norm2", "dropout1", "dropout2"}));
}

TEST(TransformerEncoderLayer, PaddedPositionsDoNotReachOtherTokens) {
  for (bool norm_first : {false, true}) {
    TransformerEncoderLayer layer(small_layer(norm_first));
    layer.eval();
    Tensor x = randn({1, 4, 8});
    const Tensor padding = padding_mask({false, false, false, true}, 1, 4);
    const Tensor before = layer.forward(x, padding);
    EXPECT_EQ(before.shape(), (Shape{1, 4, 8}));
    Tensor changed = clone(x);
    copy_(select(changed, 1, 3), randn({1, 8}));
    const Tensor after = layer.forward(changed, padding);
    EXPECT_LE(max_abs_diff(narrow(before, 1, 0, 3), narrow(after, 1, 0, 3)), 1e-6) << norm_first;
  }
}

TEST(TransformerEncoderLayer, RejectsBadInput) {
  TransformerEncoderLayer layer(small_layer());
  EXPECT_MG_ERROR(layer.forward(randn({2, 4, 6})), "TransformerEncoderLayer", "[B, L, 8]",
                  "float32[2, 4, 6]");
  EXPECT_MG_ERROR(layer.forward(randn({2, 4, 8}), zeros({2, 3}, kBool)), "key_padding_mask",
                  "bool[2, 4]", "bool[2, 3]");
}

TEST(TransformerEncoder, NamesCountAndClonedInitialValuesMatchPyTorch) {
  TransformerEncoder encoder(small_layer(), 2, std::make_shared<LayerNorm>(Shape{8}));
  const std::vector<std::string> names = parameter_names(encoder);
  ASSERT_EQ(names.size(), 26u);
  EXPECT_EQ(names.front(), "layers.0.self_attn.in_proj_weight");
  EXPECT_EQ(names[12], "layers.1.self_attn.in_proj_weight");
  EXPECT_EQ(names[24], "norm.weight");
  EXPECT_EQ(names[25], "norm.bias");
  EXPECT_EQ(encoder.parameter_count(), 1216);  // PyTorch
  EXPECT_EQ(encoder.mask_units("layers.1.self_attn.out_proj.weight"), MaskUnits::column_blocks(2));
  // PyTorch deep-copies one layer: both start equal, and stay separate tensors.
  EXPECT_LE(
      max_abs_diff(encoder.layers()[0]->linear1->weight, encoder.layers()[1]->linear1->weight),
      0.0);
  EXPECT_FALSE(encoder.layers()[0]->linear1->weight.is_same(encoder.layers()[1]->linear1->weight));
  EXPECT_EQ(encoder.forward(randn({2, 3, 8})).shape(), (Shape{2, 3, 8}));
  TransformerEncoder bare(small_layer(), 3);
  EXPECT_EQ(bare.norm, nullptr);
  EXPECT_EQ(bare.parameter_count(), 1800);
}

// ---- BERT ------------------------------------------------------------------------------------

BertConfig tiny_bert() {
  return BertConfig{.vocab_size = 100,
                    .hidden_size = 32,
                    .num_hidden_layers = 2,
                    .num_attention_heads = 4,
                    .intermediate_size = 64,
                    .max_position_embeddings = 16};
}

TEST(Bert, ParameterCountsMatchTransformers) {
  EXPECT_EQ(BertConfig{}.parameter_count(), 109482240);  // bert-base-uncased BertModel
  EXPECT_EQ(tiny_bert().parameter_count(), 21984);       // transformers
  BertModel bert(tiny_bert());
  EXPECT_EQ(bert.parameter_count(), 21984);
  BertConfig no_pooler = tiny_bert();
  no_pooler.add_pooling_layer = false;
  EXPECT_EQ(BertModel(no_pooler).parameter_count(), no_pooler.parameter_count());
  EXPECT_EQ(no_pooler.parameter_count(), 21984 - 32 * 32 - 32);
}

TEST(Bert, NamesFollowHuggingFaceInOrder) {
  BertModel bert(tiny_bert());
  std::vector<std::string> expected = {"embeddings.word_embeddings.weight",
                                       "embeddings.position_embeddings.weight",
                                       "embeddings.token_type_embeddings.weight",
                                       "embeddings.LayerNorm.weight", "embeddings.LayerNorm.bias"};
  for (int i = 0; i < 2; ++i) {
    const std::string prefix = "encoder.layer." + std::to_string(i) + ".";
    for (const char* name : {"attention.self.query", "attention.self.key", "attention.self.value",
                             "attention.output.dense", "attention.output.LayerNorm",
                             "intermediate.dense", "output.dense", "output.LayerNorm"}) {
      expected.push_back(prefix + name + ".weight");
      expected.push_back(prefix + name + ".bias");
    }
  }
  expected.push_back("pooler.dense.weight");
  expected.push_back("pooler.dense.bias");
  EXPECT_EQ(parameter_names(bert), expected);
  EXPECT_TRUE(bert.named_buffers().empty());  // HF's position_ids is not persistent
}

TEST(Bert, MaskUnitsPerHeadOnAttentionWeightsOnly) {
  BertModel bert(tiny_bert());
  for (const char* name : {"query", "key", "value"}) {
    EXPECT_EQ(bert.mask_units(std::string("encoder.layer.1.attention.self.") + name + ".weight"),
              MaskUnits::row_blocks(4))
        << name;
    EXPECT_EQ(bert.mask_units(std::string("encoder.layer.1.attention.self.") + name + ".bias"),
              MaskUnits::element());
  }
  EXPECT_EQ(bert.mask_units("encoder.layer.0.attention.output.dense.weight"),
            MaskUnits::column_blocks(4));
  for (const char* name :
       {"encoder.layer.0.intermediate.dense.weight", "encoder.layer.0.output.dense.weight",
        "pooler.dense.weight", "embeddings.word_embeddings.weight"})
    EXPECT_EQ(bert.mask_units(name), MaskUnits::element()) << name;
}

TEST(Bert, InitialisationFollowsHuggingFace) {
  BertConfig config = tiny_bert();
  config.vocab_size = 2000;
  BertModel bert(config);
  const Tensor words = bert.embeddings->word_embeddings->weight;
  EXPECT_NEAR(std(words).item<double>(), 0.02, 0.001);
  EXPECT_EQ(max(abs(select(words, 0, 0))).item<double>(), 0.0);  // pad_token_id row
  EXPECT_EQ(max(abs(bert.pooler->dense->bias)).item<double>(), 0.0);
  EXPECT_EQ(min(bert.embeddings->LayerNorm->weight).item<double>(), 1.0);
  EXPECT_NEAR(std(bert.encoder->layer[0]->intermediate->dense->weight).item<double>(), 0.02, 0.002);
}

TEST(Bert, ShapesAndPaddingIsIgnored) {
  BertModel bert(tiny_bert());
  bert.eval();
  Tensor ids = randint(1, 100, {2, 6});
  const Tensor mask =
      from_vector(std::vector<std::int64_t>{1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0}, {2, 6});
  const BertModelOutput out = bert.forward(ids, mask);
  EXPECT_EQ(out.sequence_output.shape(), (Shape{2, 6, 32}));
  EXPECT_EQ(out.pooled_output.shape(), (Shape{2, 32}));
  // Other tokens at the padded positions change nothing at the kept ones.
  Tensor other = clone(ids);
  copy_(narrow(select(other, 0, 1), 0, 4, 2), full({2}, 7, kInt64));
  const BertModelOutput again = bert.forward(other, mask);
  EXPECT_LE(
      max_abs_diff(narrow(again.sequence_output, 1, 0, 4), narrow(out.sequence_output, 1, 0, 4)),
      1e-6);
  EXPECT_LE(max_abs_diff(again.pooled_output, out.pooled_output), 1e-6);
  // A bool mask means the same; no mask equals an all-ones mask.
  const BertModelOutput with_bool = bert.forward(ids, to(mask, kBool));
  EXPECT_LE(max_abs_diff(with_bool.sequence_output, out.sequence_output), 0.0);
  EXPECT_LE(
      max_abs_diff(bert.forward(ids), bert.forward(ids, ones({2, 6}, kInt64)).sequence_output),
      1e-6);
  // Token types: undefined means all 0.
  EXPECT_LE(max_abs_diff(bert.forward(ids, mask, zeros({2, 6}, kInt64)).sequence_output,
                         out.sequence_output),
            1e-6);
}

TEST(Bert, RejectsBadInput) {
  BertModel bert(tiny_bert());
  const Tensor ids = randint(0, 100, {2, 6});
  EXPECT_MG_ERROR(bert.forward(to(ids, kFloat32)), "BertEmbeddings", "input_ids int64[B, L]",
                  "float32[2, 6]");
  EXPECT_MG_ERROR(bert.forward(randint(0, 100, {2, 17})), "BertEmbeddings", "17",
                  "max_position_embeddings 16");
  EXPECT_MG_ERROR(bert.forward(ids, ones({2, 5}, kInt64)), "BertModel", "attention_mask", "[2, 6]",
                  "int64[2, 5]");
  EXPECT_MG_ERROR(bert.forward(ids, {}, zeros({6, 2}, kInt64)), "BertEmbeddings", "token_type_ids",
                  "int64[6, 2]");
  BertConfig bad = tiny_bert();
  bad.num_attention_heads = 5;
  EXPECT_MG_ERROR(BertModel{bad}, "BertConfig", "hidden_size (32)", "num_attention_heads (5)");
}

}  // namespace
}  // namespace mg::nn
