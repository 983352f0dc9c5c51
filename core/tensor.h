#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <ostream>
#include <string>
#include <type_traits>
#include <vector>

#include "core/device.h"
#include "core/dtype.h"
#include "core/shape.h"
#include "core/tensor_impl.h"

namespace mg {

namespace autograd {
class Node;
}
struct AutogradMeta;

// How to create a tensor: dtype, device and whether it requires gradients. Converts implicitly
// from a DType or a Device, so `zeros({2, 3}, kFloat64)` reads naturally.
class TensorOptions {
 public:
  TensorOptions() = default;
  TensorOptions(DType dtype) : dtype_(dtype) {}
  TensorOptions(Device device) : device_(device) {}

  DType dtype() const { return dtype_; }
  Device device() const { return device_; }
  bool requires_grad() const { return requires_grad_; }
  // Page-locked CPU memory, which GPUs read directly (see Storage). Never set by
  // Tensor::options(): ops on a pinned tensor give ordinary tensors.
  bool pinned_memory() const { return pinned_memory_; }
  TensorOptions dtype(DType dtype) const;
  TensorOptions device(Device device) const;
  TensorOptions requires_grad(bool requires_grad) const;
  TensorOptions pinned_memory(bool pinned_memory) const;

 private:
  DType dtype_ = kFloat32;
  Device device_ = Device::cpu();
  bool requires_grad_ = false;
  bool pinned_memory_ = false;
};

// A cheap, shared handle to a TensorImpl. Copying a Tensor copies the handle, not the data.
// Ops are free functions (core/ops_*.h for the raw kernels, autograd/ops.h for the
// differentiable ones); the members here only describe the tensor and its autograd state.
class Tensor {
 public:
  Tensor() = default;
  explicit Tensor(std::shared_ptr<TensorImpl> impl) : impl_(std::move(impl)) {}

  bool defined() const { return impl_ != nullptr; }
  TensorImpl* impl() const { return impl_.get(); }
  const std::shared_ptr<TensorImpl>& impl_ptr() const { return impl_; }
  // True when both handles point to the same TensorImpl.
  bool is_same(const Tensor& other) const { return impl_ == other.impl_; }

  const Shape& shape() const { return checked().shape(); }
  std::int64_t size(std::int64_t dim) const;
  std::int64_t dim() const { return static_cast<std::int64_t>(shape().size()); }
  std::int64_t numel() const { return checked().numel(); }
  const Shape& strides() const { return checked().strides(); }
  std::int64_t stride(std::int64_t dim) const;
  std::int64_t storage_offset() const { return checked().offset(); }
  DType dtype() const { return checked().dtype(); }
  Device device() const { return checked().device(); }
  TensorOptions options() const { return TensorOptions(dtype()).device(device()); }
  bool is_contiguous() const { return checked().is_contiguous(); }
  bool is_pinned() const { return storage()->pinned(); }
  const std::shared_ptr<Storage>& storage() const { return checked().storage(); }
  // The storage's version: bumped by every in-place op on this tensor or any view of it.
  std::uint64_t version() const { return storage()->version(); }
  void bump_version() const { storage()->bump_version(); }

  // Pointer to the first element of a CPU tensor whose dtype is T.
  template <typename T>
  T* data_ptr() const;
  // Address of the first element on any device.
  void* raw_data() const { return checked().data(); }
  // The value of a one-element tensor, converted to T (bool, uint8_t, int, int64_t, float,
  // double). A GPU tensor is copied to the CPU first, which waits for the GPU's queued work.
  template <typename T>
  T item() const;
  // The elements in row-major order, converted to T (a GPU tensor is copied to the CPU first).
  template <typename T>
  std::vector<T> to_vector() const;

  // Autograd state.
  bool requires_grad() const;
  // Marks a leaf as requiring gradients; only floating-point leaves can.
  Tensor& requires_grad_(bool requires_grad = true);
  bool is_leaf() const;
  // The accumulated gradient (undefined until a backward pass reaches this tensor).
  const Tensor& grad() const;
  Tensor& mutable_grad();
  std::shared_ptr<autograd::Node> grad_fn() const;
  // Keeps the gradient of a non-leaf tensor in grad() after backward.
  void retain_grad() const;
  bool retains_grad() const;
  // Calls `hook` with the gradient flowing into this tensor, before it is used. A hook that
  // returns a Tensor replaces the gradient; one that returns void only observes it.
  template <typename Hook>
  void register_hook(Hook hook) const;
  // A tensor on the same storage that autograd does not track.
  Tensor detach() const;
  // Swaps in `source`'s data (storage, shape, dtype, device) while keeping this tensor's identity
  // and autograd state; only for leaves that are not views (libtorch's set_data).
  void set_data(const Tensor& source) const;
  AutogradMeta* autograd_meta() const { return checked().autograd_meta(); }

 private:
  TensorImpl& checked() const;
  void add_hook(std::function<Tensor(const Tensor&)> hook) const;
  void check_cpu_dtype(DType expected, const char* what) const;

  std::shared_ptr<TensorImpl> impl_;
};

// "float32[2, 3]", with the device when it is not the CPU: how errors name a tensor.
std::string describe(const Tensor& tensor);
// Prints the values, PyTorch style.
std::ostream& operator<<(std::ostream& out, const Tensor& tensor);

template <typename T>
T* Tensor::data_ptr() const {
  check_cpu_dtype(dtype_of<T>(), "data_ptr");
  return static_cast<T*>(raw_data());
}

template <typename Hook>
void Tensor::register_hook(Hook hook) const {
  if constexpr (std::is_void_v<std::invoke_result_t<Hook, const Tensor&>>) {
    add_hook([hook = std::move(hook)](const Tensor& grad) {
      hook(grad);
      return Tensor();
    });
  } else {
    add_hook(std::move(hook));
  }
}

}  // namespace mg
