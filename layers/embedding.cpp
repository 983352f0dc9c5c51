#include "layers/embedding.h"

#include "autograd/ops.h"
#include "core/error.h"
#include "layers/init.h"

namespace mg::nn {

Embedding::Embedding(std::int64_t num_embeddings, std::int64_t embedding_dim,
                     std::optional<std::int64_t> padding_idx)
    : Module("Embedding"), padding_idx_(padding_idx) {
  MG_CHECK(num_embeddings > 0 && embedding_dim > 0, "Embedding: sizes must be positive, got ",
           num_embeddings, " × ", embedding_dim);
  if (padding_idx_) {
    MG_CHECK(*padding_idx_ >= -num_embeddings && *padding_idx_ < num_embeddings,
             "Embedding: padding_idx ", *padding_idx_, " is outside [", -num_embeddings, ", ",
             num_embeddings, ")");
    if (*padding_idx_ < 0) *padding_idx_ += num_embeddings;
  }
  weight = register_parameter("weight", empty({num_embeddings, embedding_dim}));
  init::normal_(weight);
  if (padding_idx_) {
    NoGradGuard no_grad;
    fill_(select(weight, 0, *padding_idx_), 0.0);
  }
}

Tensor Embedding::forward(const Tensor& indices) {
  MG_CHECK(indices.defined() && indices.dtype() == kInt64, "Embedding(", weight.size(0), ", ",
           weight.size(1), "): expected int64 indices, got ", describe(indices));
  return embedding(weight, indices, padding_idx_);
}

}  // namespace mg::nn
