#include "core/tensor.h"

#include <cmath>
#include <iomanip>
#include <sstream>

#include "core/autograd_meta.h"
#include "core/ops_copy.h"

namespace mg {

TensorOptions TensorOptions::dtype(DType dtype) const {
  TensorOptions copy = *this;
  copy.dtype_ = dtype;
  return copy;
}

TensorOptions TensorOptions::device(Device device) const {
  TensorOptions copy = *this;
  copy.device_ = device;
  return copy;
}

TensorOptions TensorOptions::requires_grad(bool requires_grad) const {
  TensorOptions copy = *this;
  copy.requires_grad_ = requires_grad;
  return copy;
}

TensorOptions TensorOptions::pinned_memory(bool pinned_memory) const {
  TensorOptions copy = *this;
  copy.pinned_memory_ = pinned_memory;
  return copy;
}

TensorImpl& Tensor::checked() const {
  MG_CHECK(impl_ != nullptr, "use of an undefined tensor");
  return *impl_;
}

std::int64_t Tensor::size(std::int64_t dim) const {
  return shape()[static_cast<std::size_t>(wrap_dim(dim, this->dim(), "size"))];
}

std::int64_t Tensor::stride(std::int64_t dim) const {
  return strides()[static_cast<std::size_t>(wrap_dim(dim, this->dim(), "stride"))];
}

void Tensor::check_cpu_dtype(DType expected, const char* what) const {
  MG_CHECK(device().is_cpu(), what, ": the tensor is on ", device(), ", copy it to the CPU first");
  MG_CHECK(dtype() == expected, what, ": requested ", expected, " elements from ", describe(*this));
}

namespace {

// Storage offset (in elements) of the row-major `index`-th element.
std::int64_t element_offset(const TensorImpl& impl, std::int64_t index) {
  std::int64_t offset = impl.offset();
  for (std::size_t d = impl.shape().size(); d-- > 0;) {
    const std::int64_t size = impl.shape()[d];
    offset += (index % size) * impl.strides()[d];
    index /= size;
  }
  return offset;
}

template <typename T>
T read_element(const TensorImpl& impl, std::int64_t index) {
  return visit_dtype(impl.dtype(), [&](auto zero) {
    using Stored = decltype(zero);
    const auto* base = static_cast<const Stored*>(impl.storage()->data());
    return static_cast<T>(base[element_offset(impl, index)]);
  });
}

}  // namespace

template <typename T>
T Tensor::item() const {
  MG_CHECK(numel() == 1, "item: expected a tensor with one element, got ", describe(*this));
  // As in PyTorch, a GPU tensor is copied to the CPU first (which waits for the GPU).
  if (!device().is_cpu()) return native::to(*this, Device::cpu()).item<T>();
  return read_element<T>(*impl_, 0);
}

template <typename T>
std::vector<T> Tensor::to_vector() const {
  if (!device().is_cpu()) return native::to(*this, Device::cpu()).to_vector<T>();
  std::vector<T> values(static_cast<std::size_t>(numel()));
  for (std::int64_t i = 0; i < numel(); ++i) values[i] = read_element<T>(*impl_, i);
  return values;
}

#define MG_INSTANTIATE_READERS(T)     \
  template T Tensor::item<T>() const; \
  template std::vector<T> Tensor::to_vector<T>() const;
MG_INSTANTIATE_READERS(bool)
MG_INSTANTIATE_READERS(std::uint8_t)
MG_INSTANTIATE_READERS(int)
MG_INSTANTIATE_READERS(std::int64_t)
MG_INSTANTIATE_READERS(float)
MG_INSTANTIATE_READERS(double)
#undef MG_INSTANTIATE_READERS

bool Tensor::requires_grad() const {
  const AutogradMeta* meta = autograd_meta();
  return meta != nullptr && (meta->requires_grad || meta->grad_fn != nullptr);
}

Tensor& Tensor::requires_grad_(bool requires_grad) {
  MG_CHECK(is_leaf(), "requires_grad_: only leaf tensors can change requires_grad; ",
           "detach() this one first");
  MG_CHECK(!requires_grad || is_floating(dtype()),
           "requires_grad_: only floating-point tensors can require gradients, got ",
           describe(*this));
  if (requires_grad || autograd_meta())
    checked().ensure_autograd_meta().requires_grad = requires_grad;
  return *this;
}

bool Tensor::is_leaf() const {
  const AutogradMeta* meta = autograd_meta();
  return meta == nullptr || meta->grad_fn == nullptr;
}

const Tensor& Tensor::grad() const {
  static const Tensor undefined;
  const AutogradMeta* meta = autograd_meta();
  return meta ? meta->grad : undefined;
}

Tensor& Tensor::mutable_grad() {
  return checked().ensure_autograd_meta().grad;
}

std::shared_ptr<autograd::Node> Tensor::grad_fn() const {
  const AutogradMeta* meta = autograd_meta();
  return meta ? meta->grad_fn : nullptr;
}

void Tensor::retain_grad() const {
  MG_CHECK(requires_grad(), "retain_grad: the tensor does not require gradients");
  if (!is_leaf()) checked().ensure_autograd_meta().retains_grad = true;
}

bool Tensor::retains_grad() const {
  const AutogradMeta* meta = autograd_meta();
  return meta != nullptr && meta->retains_grad;
}

void Tensor::add_hook(std::function<Tensor(const Tensor&)> hook) const {
  MG_CHECK(requires_grad(), "register_hook: the tensor does not require gradients");
  AutogradMeta& meta = checked().ensure_autograd_meta();
  if (!meta.hooks) meta.hooks = std::make_shared<GradHooks>();
  meta.hooks->push_back(std::move(hook));
}

Tensor Tensor::detach() const {
  const TensorImpl& self = checked();
  return Tensor(std::make_shared<TensorImpl>(self.storage(), self.shape(), self.strides(),
                                             self.offset(), self.dtype()));
}

void Tensor::set_data(const Tensor& source) const {
  MG_CHECK(source.defined(), "set_data: the source tensor is undefined");
  MG_CHECK(is_leaf() && !checked().is_view(),
           "set_data: only leaf tensors that are not views can take new data, got ",
           describe(*this));
  MG_CHECK(!requires_grad() || is_floating(source.dtype()),
           "set_data: a tensor that requires gradients needs floating-point data, got ",
           describe(source));
  checked().set_data(source.checked());
}

std::string describe(const Tensor& tensor) {
  if (!tensor.defined()) return "undefined tensor";
  std::ostringstream out;
  out << tensor.dtype() << tensor.shape();
  if (!tensor.device().is_cpu()) out << " on " << tensor.device();
  return out.str();
}

namespace {

void print_values(std::ostream& out, const TensorImpl& impl, std::size_t dim, std::int64_t& index,
                  int indent) {
  constexpr std::int64_t kEdgeItems = 3;
  constexpr std::int64_t kSummarizeAbove = 1000;
  const bool summarize = impl.numel() > kSummarizeAbove;
  if (dim == impl.shape().size()) {
    if (is_floating(impl.dtype())) {
      out << std::setprecision(4) << read_element<double>(impl, index);
    } else {
      out << read_element<std::int64_t>(impl, index);
    }
    ++index;
    return;
  }
  const std::int64_t size = impl.shape()[dim];
  const std::int64_t inner =
      numel(Shape(impl.shape().begin() + static_cast<long>(dim) + 1, impl.shape().end()));
  out << '[';
  for (std::int64_t i = 0; i < size; ++i) {
    if (summarize && size > 2 * kEdgeItems && i == kEdgeItems) {
      out << "...";
      index += (size - 2 * kEdgeItems) * inner;
      i = size - kEdgeItems - 1;
    } else {
      print_values(out, impl, dim + 1, index, indent + 1);
    }
    if (i + 1 < size) {
      out << ',';
      if (dim + 1 < impl.shape().size()) {
        out << '\n' << std::string(static_cast<std::size_t>(indent + 1), ' ');
      } else {
        out << ' ';
      }
    }
  }
  out << ']';
}

}  // namespace

std::ostream& operator<<(std::ostream& out, const Tensor& tensor) {
  if (!tensor.defined()) return out << "tensor(undefined)";
  out << "tensor(";
  const Tensor host = native::to(tensor, Device::cpu());
  std::int64_t index = 0;
  const std::streamsize precision = out.precision();
  print_values(out, *host.impl(), 0, index, 7);
  out.precision(precision);
  return out << ", " << describe(tensor) << ')';
}

}  // namespace mg
