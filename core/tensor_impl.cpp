#include "core/tensor_impl.h"

#include "core/autograd_meta.h"

namespace mg {

namespace {
bool strides_are_contiguous(const Shape& shape, const Shape& strides) {
  std::int64_t expected = 1;
  for (std::size_t i = shape.size(); i-- > 0;) {
    if (shape[i] == 1) continue;
    if (strides[i] != expected) return false;
    expected *= shape[i];
  }
  return true;
}
}  // namespace

TensorImpl::TensorImpl(std::shared_ptr<Storage> storage, Shape shape, Shape strides,
                       std::int64_t offset, DType dtype, std::shared_ptr<TensorImpl> view_base)
    : storage_(std::move(storage)),
      shape_(std::move(shape)),
      strides_(std::move(strides)),
      offset_(offset),
      numel_(mg::numel(shape_)),
      dtype_(dtype),
      is_contiguous_(strides_are_contiguous(shape_, strides_)),
      view_base_(std::move(view_base)),
      graph_version_(storage_->graph_version()) {}

void* TensorImpl::data() const {
  return static_cast<char*>(storage_->data()) +
         offset_ * static_cast<std::int64_t>(element_size(dtype_));
}

void TensorImpl::set_data(const TensorImpl& source) {
  storage_ = source.storage_;
  shape_ = source.shape_;
  strides_ = source.strides_;
  offset_ = source.offset_;
  numel_ = source.numel_;
  dtype_ = source.dtype_;
  is_contiguous_ = source.is_contiguous_;
  graph_version_ = storage_->graph_version();
}

AutogradMeta& TensorImpl::ensure_autograd_meta() {
  if (!autograd_meta_) autograd_meta_ = std::make_shared<AutogradMeta>();
  return *autograd_meta_;
}

}  // namespace mg
