#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "core/tensor.h"

// Differentiable joining, splitting and indexing, with PyTorch's semantics (core/ops_index.h
// has the argument rules of the indexing ops). Indices are int64 tensors and get no gradient.
namespace mg {

// Constant padding, torch.nn.functional.pad(x, pads, value=value): `pads` lists (before, after)
// pairs from the last dim; negative pads crop (core/ops_pad.h has the rules).
Tensor pad(const Tensor& x, const std::vector<std::int64_t>& pads, double value = 0);

// Joins tensors along `dim`; their other sizes must match.
Tensor cat(const std::vector<Tensor>& tensors, std::int64_t dim = 0);
// Joins tensors of one shape along a new dim `dim`.
Tensor stack(const std::vector<Tensor>& tensors, std::int64_t dim = 0);
// Views of consecutive pieces of x along `dim`, each of split_size (the last may be shorter).
std::vector<Tensor> split(const Tensor& x, std::int64_t split_size, std::int64_t dim = 0);
// Views of consecutive pieces of x along `dim` with the given sizes, which must add up to
// x.size(dim).
std::vector<Tensor> split_with_sizes(const Tensor& x, const std::vector<std::int64_t>& split_sizes,
                                     std::int64_t dim = 0);
// split() into pieces of ceil(size / chunks): as in PyTorch, there may be fewer than `chunks`.
std::vector<Tensor> chunk(const Tensor& x, std::int64_t chunks, std::int64_t dim = 0);

Tensor index_select(const Tensor& x, std::int64_t dim, const Tensor& index);
Tensor index_add(const Tensor& x, std::int64_t dim, const Tensor& index, const Tensor& src);
Tensor gather(const Tensor& x, std::int64_t dim, const Tensor& index);
Tensor scatter_add(const Tensor& x, std::int64_t dim, const Tensor& index, const Tensor& src);

// x with `value` where the bool `mask` is true; mask and x broadcast together. No gradient
// flows through the filled elements.
Tensor masked_fill(const Tensor& x, const Tensor& mask, double value);

// Rows of `weight` [num_embeddings, embedding_dim] picked by int64 `indices` of any shape; the
// result has shape indices.shape + [embedding_dim]. The row padding_idx (negative counts from the
// end) receives no gradient, as in torch.nn.functional.embedding.
Tensor embedding(const Tensor& weight, const Tensor& indices,
                 std::optional<std::int64_t> padding_idx = std::nullopt);

}  // namespace mg
