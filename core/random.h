#pragma once

#include <cstdint>

#include "core/generator.h"
#include "core/tensor.h"

// Random tensors, drawn from `generator` or, when it is null, from the default generator of the
// target device. None records autograd history.
namespace mg {

// Uniform on [0, 1).
Tensor rand(const Shape& shape, TensorOptions options = {}, Generator* generator = nullptr);
// Standard normal.
Tensor randn(const Shape& shape, TensorOptions options = {}, Generator* generator = nullptr);
Tensor rand_like(const Tensor& like, Generator* generator = nullptr);
Tensor randn_like(const Tensor& like, Generator* generator = nullptr);
// Integers uniform on [low, high).
Tensor randint(std::int64_t low, std::int64_t high, const Shape& shape,
               TensorOptions options = kInt64, Generator* generator = nullptr);
// A uniformly random permutation of 0 .. n-1.
Tensor randperm(std::int64_t n, TensorOptions options = kInt64, Generator* generator = nullptr);
// 1 with probability p[i], else 0; the result has p's shape and dtype.
Tensor bernoulli(const Tensor& p, Generator* generator = nullptr);
// 1 with probability p, else 0.
Tensor bernoulli(const Shape& shape, double p, TensorOptions options = {},
                 Generator* generator = nullptr);

// Refill an existing tensor in place (what parameter initialisation uses).
void uniform_(const Tensor& tensor, double low, double high, Generator* generator = nullptr);
void normal_(const Tensor& tensor, double mean, double std, Generator* generator = nullptr);

}  // namespace mg
