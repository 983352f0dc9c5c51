#pragma once

#include <initializer_list>

#include "core/tensor.h"

// Argument checks shared by the ops; each error names the op and the tensors involved.
namespace mg {

void check_defined(const char* op, const Tensor& tensor, const char* name);
void check_same_device(const char* op, std::initializer_list<const Tensor*> tensors);
void check_same_dtype(const char* op, const Tensor& a, const Tensor& b);
void check_dtype(const char* op, const Tensor& tensor, DType expected, const char* name);
void check_floating(const char* op, const Tensor& tensor);
void check_dim(const char* op, const Tensor& tensor, std::int64_t expected, const char* name);
// In-place ops write each element once: a broadcast view (stride 0 along a dim of size > 1)
// has several elements on one memory location.
void check_writable(const char* op, const Tensor& tensor);

}  // namespace mg
