#pragma once

#include <cstdint>
#include <optional>

#include "layers/module.h"

namespace mg::nn {

// A lookup table weight [num_embeddings, embedding_dim] drawn from N(0, 1), the padding_idx row
// zeroed and given no gradient, as in torch.nn.Embedding. Input: int64 indices of any shape.
class Embedding : public Module {
 public:
  Embedding(std::int64_t num_embeddings, std::int64_t embedding_dim,
            std::optional<std::int64_t> padding_idx = std::nullopt);
  Tensor forward(const Tensor& indices) override;

  Tensor weight;

 private:
  std::optional<std::int64_t> padding_idx_;
};

}  // namespace mg::nn
