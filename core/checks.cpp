#include "core/checks.h"

namespace mg {

void check_defined(const char* op, const Tensor& tensor, const char* name) {
  MG_CHECK(tensor.defined(), op, ": ", name, " is an undefined tensor");
}

void check_same_device(const char* op, std::initializer_list<const Tensor*> tensors) {
  const Tensor* first = nullptr;
  for (const Tensor* tensor : tensors) {
    if (!tensor->defined()) continue;
    if (first == nullptr) {
      first = tensor;
      continue;
    }
    // describe() leaves out "cpu", which this message must name.
    MG_CHECK(tensor->device() == first->device(), op, ": expected tensors on one device, got ",
             first->dtype(), first->shape(), " on ", first->device(), " and ", tensor->dtype(),
             tensor->shape(), " on ", tensor->device());
  }
}

void check_same_dtype(const char* op, const Tensor& a, const Tensor& b) {
  MG_CHECK(a.dtype() == b.dtype(), op, ": expected tensors of one dtype, got ", describe(a),
           " and ", describe(b));
}

void check_dtype(const char* op, const Tensor& tensor, DType expected, const char* name) {
  MG_CHECK(tensor.dtype() == expected, op, ": expected ", name, " to be ", expected, ", got ",
           describe(tensor));
}

void check_floating(const char* op, const Tensor& tensor) {
  MG_CHECK(is_floating(tensor.dtype()), op, ": expected a floating-point tensor, got ",
           describe(tensor));
}

void check_dim(const char* op, const Tensor& tensor, std::int64_t expected, const char* name) {
  MG_CHECK(tensor.dim() == expected, op, ": expected ", name, " to be ", expected, "-d, got ",
           describe(tensor));
}

void check_writable(const char* op, const Tensor& tensor) {
  for (std::int64_t d = 0; d < tensor.dim(); ++d) {
    MG_CHECK(tensor.stride(d) != 0 || tensor.size(d) <= 1, op,
             ": cannot write in place into a broadcast view ", describe(tensor),
             " (stride 0 in dimension ", d, "): several of its elements share one memory location");
  }
}

}  // namespace mg
