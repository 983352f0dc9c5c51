#pragma once

#include <gtest/gtest.h>

#include <initializer_list>
#include <string>
#include <vector>

#include "autograd/gradcheck.h"
#include "autograd/ops.h"

namespace mg::testing {

// Expects `statement` to throw mg::Error whose message contains every one of `parts`.
#define EXPECT_MG_ERROR(statement, ...)                                       \
  do {                                                                        \
    try {                                                                     \
      statement;                                                              \
      ADD_FAILURE() << "expected mg::Error from " #statement;                 \
    } catch (const ::mg::Error& error) {                                      \
      const std::string message = error.what();                               \
      for (const std::string& part : std::vector<std::string>{__VA_ARGS__}) { \
        EXPECT_NE(message.find(part), std::string::npos)                      \
            << "message \"" << message << "\" lacks \"" << part << "\"";      \
      }                                                                       \
    }                                                                         \
  } while (false)

// Expects `actual` to have `shape` and, elementwise, to be within tol of `expected`.
inline void expect_values(const Tensor& actual, const std::vector<double>& expected,
                          const Shape& shape, double tol = 1e-6) {
  ASSERT_TRUE(actual.defined());
  EXPECT_EQ(actual.shape(), shape) << describe(actual);
  const auto values = actual.to_vector<double>();
  ASSERT_EQ(values.size(), expected.size());
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (values[i] == expected[i]) continue;  // also equal infinities
    EXPECT_NEAR(values[i], expected[i], tol) << "element " << i << " of " << describe(actual);
  }
}

// A float64 leaf of normal values that requires gradients.
inline Tensor leaf(const Shape& shape, std::uint64_t seed, double scale = 1.0) {
  Generator generator(seed);
  Tensor x = mul(randn(shape, kFloat64, &generator), scale);
  x.requires_grad_(true);
  return x;
}

// A float64 leaf with values in [low, high).
inline Tensor uniform_leaf(const Shape& shape, std::uint64_t seed, double low, double high) {
  Generator generator(seed);
  Tensor x = empty(shape, kFloat64);
  uniform_(x, low, high, &generator);
  x.requires_grad_(true);
  return x;
}

// A float64 leaf that is a non-contiguous view (the transpose of a fresh tensor).
inline Tensor transposed_leaf(const Shape& shape, std::uint64_t seed) {
  Generator generator(seed);
  Shape swapped = shape;
  std::swap(swapped[swapped.size() - 1], swapped[swapped.size() - 2]);
  Tensor x = transpose(randn(swapped, kFloat64, &generator), -1, -2);
  x.requires_grad_(true);
  return x;
}

#define EXPECT_GRADCHECK(fn, ...)                                   \
  do {                                                              \
    const auto result = ::mg::autograd::gradcheck(fn, __VA_ARGS__); \
    EXPECT_TRUE(result.ok) << result.message;                       \
  } while (false)

}  // namespace mg::testing
