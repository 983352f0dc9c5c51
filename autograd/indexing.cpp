#include "autograd/indexing.h"

#include <algorithm>

#include "autograd/elementwise.h"
#include "autograd/record.h"
#include "autograd/views.h"
#include "core/checks.h"
#include "core/creation.h"
#include "core/ops_copy.h"
#include "core/ops_index.h"
#include "core/ops_pad.h"
#include "core/ops_view.h"

namespace mg {

using namespace autograd;

Tensor pad(const Tensor& x, const std::vector<std::int64_t>& pads, double value) {
  Tensor out = native::pad(x, pads, value);
  if (!needs_graph({x})) return out;
  // Padding with the negated pads is the exact inverse: it crops what was added and puts zero
  // gradient where x was cropped.
  std::vector<std::int64_t> inverse(pads.size());
  std::transform(pads.begin(), pads.end(), inverse.begin(), [](std::int64_t p) { return -p; });
  return record("PadBackward", out, {x},
                [inverse](const Tensor& g, const Needs&) { return Grads{pad(g, inverse)}; });
}

Tensor cat(const std::vector<Tensor>& tensors, std::int64_t dim) {
  Tensor out = native::cat(tensors, dim);
  if (!needs_graph(tensors)) return out;
  const std::int64_t d = wrap_dim(dim, tensors.front().dim(), "cat");
  std::vector<std::int64_t> sizes;
  for (const Tensor& t : tensors) sizes.push_back(t.size(d));
  return record("CatBackward", out, tensors, [d, sizes](const Tensor& g, const Needs& needs) {
    Grads grads(sizes.size());
    std::int64_t offset = 0;
    for (std::size_t i = 0; i < sizes.size(); ++i) {
      if (needs[i]) grads[i] = narrow(g, d, offset, sizes[i]);
      offset += sizes[i];
    }
    return grads;
  });
}

Tensor stack(const std::vector<Tensor>& tensors, std::int64_t dim) {
  MG_CHECK(!tensors.empty(), "stack: expected a non-empty list of tensors");
  for (std::size_t i = 0; i < tensors.size(); ++i) {
    MG_CHECK(tensors[i].defined(), "stack: tensor ", i, " is undefined");
    MG_CHECK(tensors[i].shape() == tensors[0].shape(), "stack: tensor ", i, " is ",
             describe(tensors[i]), " but tensor 0 is ", describe(tensors[0]),
             "; expected tensors of one shape");
  }
  const std::int64_t d = wrap_dim(dim, tensors[0].dim() + 1, "stack");
  std::vector<Tensor> unsqueezed;
  unsqueezed.reserve(tensors.size());
  for (const Tensor& t : tensors) unsqueezed.push_back(unsqueeze(t, d));
  return cat(unsqueezed, d);
}

std::vector<Tensor> split_with_sizes(const Tensor& x, const std::vector<std::int64_t>& split_sizes,
                                     std::int64_t dim) {
  check_defined("split", x, "input");
  MG_CHECK(x.dim() > 0, "split: cannot split a 0-d tensor");
  const std::int64_t d = wrap_dim(dim, x.dim(), "split");
  std::int64_t total = 0;
  for (std::int64_t size : split_sizes) {
    MG_CHECK(size >= 0, "split_with_sizes: split sizes must be non-negative, got ",
             Shape(split_sizes));
    total += size;
  }
  MG_CHECK(total == x.size(d), "split_with_sizes: split sizes ", Shape(split_sizes), " add up to ",
           total, " but dimension ", d, " of ", describe(x), " has size ", x.size(d));
  std::vector<Tensor> pieces;
  pieces.reserve(split_sizes.size());
  std::int64_t offset = 0;
  for (std::int64_t size : split_sizes) {
    pieces.push_back(narrow(x, d, offset, size));
    offset += size;
  }
  return pieces;
}

std::vector<Tensor> split(const Tensor& x, std::int64_t split_size, std::int64_t dim) {
  check_defined("split", x, "input");
  MG_CHECK(x.dim() > 0, "split: cannot split a 0-d tensor");
  const std::int64_t size = x.size(wrap_dim(dim, x.dim(), "split"));
  MG_CHECK(split_size > 0 || (split_size == 0 && size == 0),
           "split: split_size must be positive (0 only for an empty dimension), got ", split_size,
           " for dimension ", dim, " of ", describe(x));
  // An empty dimension still gives one (empty) piece, as in PyTorch.
  const std::int64_t count = size == 0 ? 1 : (size + split_size - 1) / split_size;
  std::vector<std::int64_t> sizes(static_cast<std::size_t>(count), split_size);
  sizes.back() = size - split_size * (count - 1);
  return split_with_sizes(x, sizes, dim);
}

std::vector<Tensor> chunk(const Tensor& x, std::int64_t chunks, std::int64_t dim) {
  check_defined("chunk", x, "input");
  MG_CHECK(chunks > 0, "chunk: expected a positive number of chunks, got ", chunks);
  MG_CHECK(x.dim() > 0, "chunk: cannot chunk a 0-d tensor");
  const std::int64_t size = x.size(wrap_dim(dim, x.dim(), "chunk"));
  // An empty dimension gives `chunks` empty pieces, as in PyTorch.
  if (size == 0) return split_with_sizes(x, std::vector<std::int64_t>(chunks, 0), dim);
  return split(x, (size + chunks - 1) / chunks, dim);
}

Tensor index_select(const Tensor& x, std::int64_t dim, const Tensor& index) {
  Tensor out = native::index_select(x, dim, index);
  if (!needs_graph({x})) return out;
  return record(
      "IndexSelectBackward", out, {x},
      [dim, shape = x.shape(), saved = SavedTensor(index)](const Tensor& g, const Needs&) {
        Tensor grad = zeros(shape, g.options());
        native::index_add_(grad, dim, saved.get(), g);
        return Grads{grad};
      });
}

Tensor index_add(const Tensor& x, std::int64_t dim, const Tensor& index, const Tensor& src) {
  Tensor out = native::index_add(x, dim, index, src);
  if (!needs_graph({x, src})) return out;
  return record("IndexAddBackward", out, {x, src},
                [dim, saved = SavedTensor(index)](const Tensor& g, const Needs& needs) {
                  return Grads{needs[0] ? g : Tensor(),
                               needs[1] ? index_select(g, dim, saved.get()) : Tensor()};
                });
}

Tensor gather(const Tensor& x, std::int64_t dim, const Tensor& index) {
  Tensor out = native::gather(x, dim, index);
  if (!needs_graph({x})) return out;
  return record(
      "GatherBackward", out, {x},
      [dim, shape = x.shape(), saved = SavedTensor(index)](const Tensor& g, const Needs&) {
        Tensor grad = zeros(shape, g.options());
        native::scatter_add_(grad, dim, saved.get(), g);
        return Grads{grad};
      });
}

namespace {
// `part` placed at the start of every dim of a zero tensor of `shape`.
Tensor zero_padded(const Tensor& part, const Shape& shape) {
  if (part.shape() == shape) return part;
  Tensor full = zeros(shape, part.options());
  Tensor window = full;
  for (std::int64_t d = 0; d < part.dim(); ++d) window = native::narrow(window, d, 0, part.size(d));
  native::copy_(window, part);
  return full;
}
}  // namespace

Tensor scatter_add(const Tensor& x, std::int64_t dim, const Tensor& index, const Tensor& src) {
  Tensor out = native::scatter_add(x, dim, index, src);
  if (!needs_graph({x, src})) return out;
  // src positions outside index's extent are not used, so their gradient is zero.
  return record("ScatterAddBackward", out, {x, src},
                [dim, src_shape = src.shape(), saved = SavedTensor(index)](const Tensor& g,
                                                                           const Needs& needs) {
                  return Grads{
                      needs[0] ? g : Tensor(),
                      needs[1] ? zero_padded(gather(g, dim, saved.get()), src_shape) : Tensor()};
                });
}

Tensor masked_fill(const Tensor& x, const Tensor& mask, double value) {
  check_defined("masked_fill", x, "input");
  check_defined("masked_fill", mask, "mask");
  check_dtype("masked_fill", mask, kBool, "mask");
  broadcast_shapes(x.shape(), mask.shape(), "masked_fill");
  return where(mask, scalar_tensor(value, x.options()), x);
}

Tensor embedding(const Tensor& weight, const Tensor& indices,
                 std::optional<std::int64_t> padding_idx) {
  check_defined("embedding", weight, "weight");
  check_defined("embedding", indices, "indices");
  check_dim("embedding", weight, 2, "weight");
  check_dtype("embedding", indices, kInt64, "indices");
  const std::int64_t rows = weight.size(0);
  if (padding_idx) {
    MG_CHECK(*padding_idx >= -rows && *padding_idx < rows, "embedding: padding_idx ", *padding_idx,
             " is out of range for ", describe(weight));
    if (*padding_idx < 0) *padding_idx += rows;
  }
  native::check_index_range("embedding", indices, weight, 0);
  const Tensor flat = native::reshape(indices, {-1});
  Shape shape = indices.shape();
  shape.push_back(weight.size(1));
  Tensor out = native::reshape(native::index_select(weight, 0, flat), shape);
  if (!needs_graph({weight})) return out;
  return record("EmbeddingBackward", out, {weight},
                [shape = weight.shape(), saved = SavedTensor(flat), padding_idx](const Tensor& g,
                                                                                 const Needs&) {
                  const Tensor& rows = saved.get();
                  Tensor grad = zeros(shape, g.options());
                  native::index_add_(grad, 0, rows, reshape(g, {rows.numel(), shape[1]}));
                  if (padding_idx) native::zero_(native::select(grad, 0, *padding_idx));
                  return Grads{grad};
                });
}

}  // namespace mg
