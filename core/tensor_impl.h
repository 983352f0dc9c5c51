#pragma once

#include <cstdint>
#include <memory>

#include "core/dtype.h"
#include "core/shape.h"
#include "core/storage.h"

namespace mg {

struct AutogradMeta;

// What a tensor is: a strided window (shape, strides in elements, offset) onto a Storage, with a
// dtype. The metadata never changes after construction (a view is a new TensorImpl on the same
// Storage), except through set_data, which moves a module's parameters to a new device or dtype.
// Autograd metadata is attached only to tensors that take part in autograd.
class TensorImpl {
 public:
  // `view_base` is the tensor a view was taken from (null for a tensor that owns its storage).
  TensorImpl(std::shared_ptr<Storage> storage, Shape shape, Shape strides, std::int64_t offset,
             DType dtype, std::shared_ptr<TensorImpl> view_base = nullptr);

  const std::shared_ptr<Storage>& storage() const { return storage_; }
  const Shape& shape() const { return shape_; }
  const Shape& strides() const { return strides_; }
  std::int64_t offset() const { return offset_; }
  DType dtype() const { return dtype_; }
  Device device() const { return storage_->device(); }
  std::int64_t numel() const { return numel_; }
  bool is_contiguous() const { return is_contiguous_; }
  // True when created by a view op from another tensor (they share storage); the base is the
  // tensor the first view in the chain was taken from.
  bool is_view() const { return view_base_ != nullptr; }
  const std::shared_ptr<TensorImpl>& view_base() const { return view_base_; }
  // The storage's graph version when this tensor got its autograd history (see Storage).
  std::uint64_t graph_version() const { return graph_version_; }
  void set_graph_version(std::uint64_t version) { graph_version_ = version; }
  // Address of the first element.
  void* data() const;
  // Makes this tensor a window onto `source`'s data, keeping its autograd metadata: every handle
  // to a parameter sees the parameter moved by Module::to.
  void set_data(const TensorImpl& source);

  AutogradMeta* autograd_meta() const { return autograd_meta_.get(); }
  // Creates the autograd metadata on first use.
  AutogradMeta& ensure_autograd_meta();
  // Lets autograd keep a non-owning reference to the metadata (hooks outlive no tensor).
  std::weak_ptr<AutogradMeta> weak_autograd_meta() { return autograd_meta_; }

 private:
  std::shared_ptr<Storage> storage_;
  Shape shape_;
  Shape strides_;
  std::int64_t offset_;
  std::int64_t numel_;
  DType dtype_;
  bool is_contiguous_;
  std::shared_ptr<TensorImpl> view_base_;
  std::uint64_t graph_version_;
  std::shared_ptr<AutogradMeta> autograd_meta_;
};

}  // namespace mg
