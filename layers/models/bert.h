#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "layers/dropout.h"
#include "layers/embedding.h"
#include "layers/layer_norm.h"
#include "layers/linear.h"
#include "layers/module.h"

// A BERT text encoder with Hugging Face transformers' BertModel parameter names and computation
// (modeling_bert, "eager" attention, absolute positions, checked against transformers 4.39).
//
// Pretrained checkpoints: bert-base-uncased's pytorch_model.bin (converted to safetensors) holds
// BertForPreTraining's state dict, so loading it into BertModel needs this name map:
//   - drop the "bert." prefix of every key;
//   - old checkpoints name LayerNorm parameters "LayerNorm.gamma" / "LayerNorm.beta": rename them
//     "LayerNorm.weight" / "LayerNorm.bias";
//   - skip the pre-training heads ("cls.predictions.*", "cls.seq_relationship.*") and the
//     "embeddings.position_ids" buffer some checkpoints carry (here positions are computed);
// then load_state_dict(strict). Without the pooler (add_pooling_layer false) also skip
// "pooler.*".
namespace mg::nn {

enum class BertActivation { GELU, GELUTanh, ReLU };  // HF "gelu" (erf), "gelu_new", "relu"

// transformers.BertConfig; the defaults are bert-base-uncased's. Small configurations with
// designated initialisers: BertConfig{.vocab_size = 100, .hidden_size = 32, ...}.
struct BertConfig {
  std::int64_t vocab_size = 30522;
  std::int64_t hidden_size = 768;
  std::int64_t num_hidden_layers = 12;
  std::int64_t num_attention_heads = 12;
  std::int64_t intermediate_size = 3072;
  BertActivation hidden_act = BertActivation::GELU;
  double hidden_dropout_prob = 0.1;
  double attention_probs_dropout_prob = 0.1;
  std::int64_t max_position_embeddings = 512;
  std::int64_t type_vocab_size = 2;
  double initializer_range = 0.02;
  double layer_norm_eps = 1e-12;
  std::int64_t pad_token_id = 0;
  bool add_pooling_layer = true;

  // The number of parameters of BertModel(config), without building it (bert-base-uncased:
  // 109,482,240).
  std::int64_t parameter_count() const;
  // Throws mg::Error naming the bad field.
  void validate() const;
};

class BertEmbeddings : public Module {
 public:
  explicit BertEmbeddings(const BertConfig& config);
  // input_ids, token_type_ids: int64 [B, L]; token_type_ids undefined means all 0.
  Tensor forward(const Tensor& input_ids, const Tensor& token_type_ids);
  Tensor forward(const Tensor& input_ids) override { return forward(input_ids, Tensor()); }

  std::shared_ptr<Embedding> word_embeddings;
  std::shared_ptr<Embedding> position_embeddings;
  std::shared_ptr<Embedding> token_type_embeddings;
  std::shared_ptr<nn::LayerNorm> LayerNorm;  // HF's name
  std::shared_ptr<Dropout> dropout;
};

// Mask units: query/key/value.weight row_blocks(heads).
class BertSelfAttention : public Module {
 public:
  explicit BertSelfAttention(const BertConfig& config);
  // hidden [B, L, H]; additive_mask [B, 1, 1, L] (added to the scores) or undefined.
  Tensor forward(const Tensor& hidden, const Tensor& additive_mask);

  std::shared_ptr<Linear> query;
  std::shared_ptr<Linear> key;
  std::shared_ptr<Linear> value;
  std::shared_ptr<Dropout> dropout;

 private:
  std::int64_t heads_;
};

// dense → dropout → LayerNorm(· + residual). Mask units: dense.weight column_blocks(heads).
class BertSelfOutput : public Module {
 public:
  explicit BertSelfOutput(const BertConfig& config);
  Tensor forward(const Tensor& hidden, const Tensor& residual);

  std::shared_ptr<Linear> dense;
  std::shared_ptr<nn::LayerNorm> LayerNorm;
  std::shared_ptr<Dropout> dropout;
};

class BertAttention : public Module {
 public:
  explicit BertAttention(const BertConfig& config);
  Tensor forward(const Tensor& hidden, const Tensor& additive_mask);

  std::shared_ptr<BertSelfAttention> self;
  std::shared_ptr<BertSelfOutput> output;
};

class BertIntermediate : public Module {
 public:
  explicit BertIntermediate(const BertConfig& config);
  Tensor forward(const Tensor& hidden) override;

  std::shared_ptr<Linear> dense;

 private:
  BertActivation activation_;
};

// The feed-forward output: dense → dropout → LayerNorm(· + residual).
class BertOutput : public Module {
 public:
  explicit BertOutput(const BertConfig& config);
  Tensor forward(const Tensor& hidden, const Tensor& residual);

  std::shared_ptr<Linear> dense;
  std::shared_ptr<nn::LayerNorm> LayerNorm;
  std::shared_ptr<Dropout> dropout;
};

class BertLayer : public Module {
 public:
  explicit BertLayer(const BertConfig& config);
  Tensor forward(const Tensor& hidden, const Tensor& additive_mask);

  std::shared_ptr<BertAttention> attention;
  std::shared_ptr<BertIntermediate> intermediate;
  std::shared_ptr<BertOutput> output;
};

// The layers, named layer.0, layer.1, ... as HF's ModuleList.
class BertEncoder : public Module {
 public:
  explicit BertEncoder(const BertConfig& config);
  Tensor forward(const Tensor& hidden, const Tensor& additive_mask);

  std::vector<std::shared_ptr<BertLayer>> layer;
};

// tanh(dense(hidden[:, 0])).
class BertPooler : public Module {
 public:
  explicit BertPooler(const BertConfig& config);
  Tensor forward(const Tensor& hidden) override;

  std::shared_ptr<Linear> dense;
};

struct BertModelOutput {
  Tensor sequence_output;  // [B, L, H]: the last layer's hidden states
  Tensor pooled_output;    // [B, H]; undefined without the pooling layer
};

// transformers.BertModel: embeddings, encoder, pooler. Initialisation as HF's _init_weights:
// linear and embedding weights N(0, initializer_range²), biases 0, the padding row of
// word_embeddings 0, LayerNorm weight 1 and bias 0.
//
// The attention mask becomes HF's additive extended mask (1 − mask)·m with m the lowest finite
// value of the model's dtype (torch.finfo(dtype).min, as transformers >= 4.21; old versions used
// -10000). A masked key's score is therefore exactly m (a score's magnitude is far below m's
// rounding step), so its probability is 0, and a row whose keys are all masked gets uniform
// weights, not NaN. The mask is built once per forward and shared by the layers.
class BertModel : public Module {
 public:
  explicit BertModel(const BertConfig& config = {});

  // input_ids: int64 [B, L], L <= max_position_embeddings. attention_mask: [B, L] of 1 (attend)
  // and 0 (padding), int64, bool or floating point; undefined attends everywhere.
  // token_type_ids: int64 [B, L]; undefined means all 0.
  BertModelOutput forward(const Tensor& input_ids, const Tensor& attention_mask,
                          const Tensor& token_type_ids = {});
  // sequence_output without masks.
  Tensor forward(const Tensor& input_ids) override;

  const BertConfig& config() const { return config_; }

  std::shared_ptr<BertEmbeddings> embeddings;
  std::shared_ptr<BertEncoder> encoder;
  std::shared_ptr<BertPooler> pooler;  // null without add_pooling_layer

 private:
  BertConfig config_;
};

}  // namespace mg::nn
