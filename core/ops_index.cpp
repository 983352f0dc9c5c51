#include "core/ops_index.h"

#include "core/backend.h"
#include "core/checks.h"
#include "core/creation.h"
#include "core/ops_copy.h"
#include "core/ops_view.h"

namespace mg::native {

void check_index_range(const char* op, const Tensor& index, const Tensor& x, std::int64_t dim) {
  check_dtype(op, index, kInt64, "index");
  const std::int64_t size = x.size(dim);
  // Checked on the CPU, before any kernel runs: kernels cannot throw.
  const Tensor values = contiguous(to(index, Device::cpu()));
  const std::int64_t* data = values.data_ptr<std::int64_t>();
  for (std::int64_t i = 0; i < values.numel(); ++i) {
    MG_CHECK(data[i] >= 0 && data[i] < size, op, ": index ", data[i],
             " is out of range for dimension ", dim, " of size ", size, " (input ", describe(x),
             ")");
  }
}

namespace {

// The checks every indexing op starts with; returns `dim` wrapped into [0, x.dim()).
std::int64_t check_indexing(const char* op, const Tensor& x, std::int64_t dim, const Tensor& index,
                            const Tensor& src = Tensor()) {
  check_defined(op, x, "input");
  check_defined(op, index, "index");
  check_same_device(op, {&x, &index, &src});
  MG_CHECK(x.dim() > 0, op, ": expected an input with at least one dimension, got ", describe(x));
  check_dtype(op, index, kInt64, "index");
  if (src.defined()) {
    check_same_dtype(op, x, src);
    MG_CHECK(x.dtype() != kBool, op, ": cannot accumulate into ", describe(x));
  }
  return wrap_dim(dim, x.dim(), op);
}

void check_vector_index(const char* op, const Tensor& index) {
  MG_CHECK(index.dim() <= 1, op, ": expected a 0-d or 1-d index, got ", describe(index));
}

// gather and scatter_add: index has x's rank and fits inside x outside `dim`.
void check_same_rank_index(const char* op, const Tensor& x, std::int64_t dim, const Tensor& index) {
  MG_CHECK(index.dim() == x.dim(), op, ": expected index to have the rank of the input ",
           describe(x), ", got ", describe(index));
  for (std::int64_t d = 0; d < x.dim(); ++d) {
    MG_CHECK(d == dim || index.size(d) <= x.size(d), op, ": index ", describe(index),
             " is larger than the input ", describe(x), " in dimension ", d);
  }
}

}  // namespace

Tensor cat(const std::vector<Tensor>& tensors, std::int64_t dim) {
  MG_CHECK(!tensors.empty(), "cat: expected a non-empty list of tensors");
  const Tensor& first = tensors.front();
  for (std::size_t i = 0; i < tensors.size(); ++i) {
    const Tensor& t = tensors[i];
    MG_CHECK(t.defined(), "cat: tensor ", i, " is undefined");
    MG_CHECK(t.dim() > 0, "cat: tensor ", i, " is 0-d (", describe(t),
             "); 0-d tensors cannot be concatenated");
    MG_CHECK(t.dtype() == first.dtype() && t.device() == first.device(), "cat: tensor ", i, " is ",
             describe(t), " but tensor 0 is ", describe(first),
             "; expected one dtype and one device");
    MG_CHECK(t.dim() == first.dim(), "cat: tensor ", i, " is ", describe(t), " but tensor 0 is ",
             describe(first), "; expected tensors of one rank");
  }
  const std::int64_t d = wrap_dim(dim, first.dim(), "cat");
  Shape shape = first.shape();
  shape[d] = 0;
  for (std::size_t i = 0; i < tensors.size(); ++i) {
    const Tensor& t = tensors[i];
    for (std::int64_t k = 0; k < t.dim(); ++k) {
      MG_CHECK(k == d || t.size(k) == first.size(k), "cat: tensor ", i, " is ", describe(t),
               " but tensor 0 is ", describe(first), "; sizes must match except in dimension ", d);
    }
    shape[d] += t.size(d);
  }
  Tensor out = empty(shape, first.options());
  Backend& backend = backend_for(first.device());
  std::int64_t offset = 0;
  for (const Tensor& t : tensors) {
    if (t.numel() > 0) backend.copy(t, narrow(out, d, offset, t.size(d)));
    offset += t.size(d);
  }
  return out;
}

Tensor index_select(const Tensor& x, std::int64_t dim, const Tensor& index) {
  const std::int64_t d = check_indexing("index_select", x, dim, index);
  check_vector_index("index_select", index);
  check_index_range("index_select", index, x, d);
  Shape shape = x.shape();
  shape[d] = index.numel();
  Tensor out = empty(shape, x.options());
  backend_for(x.device()).index_select(x, d, index, out);
  return out;
}

namespace {

std::int64_t check_index_add(const char* op, const Tensor& x, std::int64_t dim, const Tensor& index,
                             const Tensor& src) {
  check_defined(op, src, "source");
  const std::int64_t d = check_indexing(op, x, dim, index, src);
  check_vector_index(op, index);
  Shape expected = x.shape();
  expected[d] = index.numel();
  MG_CHECK(src.shape() == expected, op, ": expected source of shape ", expected, " for input ",
           describe(x), " and index ", describe(index), ", got ", describe(src));
  check_index_range(op, index, x, d);
  return d;
}

std::int64_t check_scatter_add(const char* op, const Tensor& x, std::int64_t dim,
                               const Tensor& index, const Tensor& src) {
  check_defined(op, src, "source");
  const std::int64_t d = check_indexing(op, x, dim, index, src);
  check_same_rank_index(op, x, d, index);
  MG_CHECK(src.dim() == index.dim(), op, ": expected source to have the rank of index ",
           describe(index), ", got ", describe(src));
  for (std::int64_t k = 0; k < index.dim(); ++k) {
    MG_CHECK(index.size(k) <= src.size(k), op, ": index ", describe(index),
             " is larger than the source ", describe(src), " in dimension ", k);
  }
  check_index_range(op, index, x, d);
  return d;
}

// The kernels accumulate into every element of `self` from one thread only, which needs every
// position of self to be its own element.
// `t` itself, or a copy when it shares storage with `self`, so that the kernel never reads what
// it already overwrote.
Tensor apart_from(const Tensor& t, const Tensor& self) {
  return t.storage() == self.storage() ? clone(t) : t;
}

}  // namespace

Tensor index_add(const Tensor& x, std::int64_t dim, const Tensor& index, const Tensor& src) {
  const std::int64_t d = check_index_add("index_add", x, dim, index, src);
  Tensor out = clone(x);
  backend_for(x.device()).index_add(out, d, index, src);
  return out;
}

void index_add_(const Tensor& self, std::int64_t dim, const Tensor& index, const Tensor& src) {
  const std::int64_t d = check_index_add("index_add_", self, dim, index, src);
  check_writable("index_add_", self);
  backend_for(self.device()).index_add(self, d, apart_from(index, self), apart_from(src, self));
  self.bump_version();
}

Tensor gather(const Tensor& x, std::int64_t dim, const Tensor& index) {
  const std::int64_t d = check_indexing("gather", x, dim, index);
  check_same_rank_index("gather", x, d, index);
  check_index_range("gather", index, x, d);
  Tensor out = empty(index.shape(), x.options());
  backend_for(x.device()).gather(x, d, index, out);
  return out;
}

Tensor scatter_add(const Tensor& x, std::int64_t dim, const Tensor& index, const Tensor& src) {
  const std::int64_t d = check_scatter_add("scatter_add", x, dim, index, src);
  Tensor out = clone(x);
  backend_for(x.device()).scatter_add(out, d, index, src);
  return out;
}

void scatter_add_(const Tensor& self, std::int64_t dim, const Tensor& index, const Tensor& src) {
  const std::int64_t d = check_scatter_add("scatter_add_", self, dim, index, src);
  check_writable("scatter_add_", self);
  backend_for(self.device()).scatter_add(self, d, apart_from(index, self), apart_from(src, self));
  self.bump_version();
}

}  // namespace mg::native
