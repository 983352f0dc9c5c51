#include <array>
#include <cmath>
#include <limits>

#include "test_util.h"

namespace mg {
namespace {

using testing::expect_values;

TEST(Reduction, SumMeanOverDims) {
  const Tensor x = reshape(arange(24, kFloat64), {2, 3, 4});
  expect_values(sum(x), {276}, {});
  expect_values(mean(x), {11.5}, {});
  expect_values(sum(x, {2}), {6, 22, 38, 54, 70, 86}, {2, 3});
  expect_values(sum(x, {0}), {12, 14, 16, 18, 20, 22, 24, 26, 28, 30, 32, 34}, {3, 4});
  expect_values(sum(x, {1}, true), {12, 15, 18, 21, 48, 51, 54, 57}, {2, 1, 4});
  expect_values(mean(x, {0, 2}), {7.5, 11.5, 15.5}, {3});
  expect_values(sum(x, {-1, 0}), {60, 92, 124}, {3});
  // Strided input: the transpose of x's last two dims.
  expect_values(sum(transpose(x, 1, 2), {2}), {12, 15, 18, 21, 48, 51, 54, 57}, {2, 4});
  // Big enough to run on several threads.
  const Tensor big = ones({300, 1000});
  expect_values(sum(big, {1}), std::vector<double>(300, 1000), {300});
  expect_values(sum(big, {0}), std::vector<double>(1000, 300), {1000});
  EXPECT_DOUBLE_EQ(sum(big).item<double>(), 300000);
}

TEST(Reduction, IntegerAndBoolSumsGiveInt64) {
  EXPECT_EQ(sum(arange(4, kInt64)).dtype(), kInt64);
  EXPECT_EQ(sum(gt(arange(5), 1.5)).item<std::int64_t>(), 3);
  EXPECT_MG_ERROR(mean(arange(4, kInt64)), "mean", "floating-point", "int64[4]");
}

TEST(Reduction, MaxMinArgmax) {
  const Tensor x = tensor({3, 7, 1, 9, 2, 5}, {2, 3});
  expect_values(max(x), {9}, {});
  expect_values(min(x), {1}, {});
  expect_values(max(x, 1), {7, 9}, {2});
  expect_values(min(x, 0, true), {3, 2, 1}, {1, 3});
  expect_values(amax(x, {0, 1}), {9}, {});
  EXPECT_EQ(argmax(x).item<std::int64_t>(), 3);
  expect_values(argmax(x, 1), {1, 0}, {2});
  expect_values(argmin(x, 0), {0, 1, 0}, {3});
  expect_values(argmax(x, 1, true), {1, 0}, {2, 1});
  // Ties: the first index wins.
  EXPECT_EQ(argmax(tensor({2, 5, 5})).item<std::int64_t>(), 1);
  EXPECT_MG_ERROR(max(zeros({0})), "max", "empty");
  EXPECT_MG_ERROR(argmax(zeros({2, 0}), 1), "argmax", "empty");
}

TEST(Reduction, VarStdLogsumexpNorm) {
  const Tensor x = tensor({1, 2, 3, 4}, {}, kFloat64);
  expect_values(var(x), {5.0 / 3}, {});
  expect_values(var(x, {}, 0), {1.25}, {});
  expect_values(std(x), {std::sqrt(5.0 / 3)}, {});
  expect_values(logsumexp(x, {0}),
                {std::log(std::exp(1.0) + std::exp(2.0) + std::exp(3.0) + std::exp(4.0))}, {});
  // Stable for large values.
  expect_values(logsumexp(tensor({1000, 1000}, {}, kFloat64), {0}), {1000 + std::log(2.0)}, {});
  expect_values(norm(x), {std::sqrt(30.0)}, {});
  expect_values(norm(x, 1), {10}, {});
  expect_values(norm(x, kInfinity), {4}, {});
  expect_values(norm(reshape(x, {2, 2}), 2, {1}), {std::sqrt(5.0), 5}, {2});
}

TEST(Reduction, InfinitiesAndEmptyKeptDims) {
  const double inf = std::numeric_limits<double>::infinity();
  expect_values(max(tensor({-inf, -inf}, {}, kFloat64)), {-inf}, {});
  expect_values(min(tensor({inf}, {}, kFloat64)), {inf}, {});
  expect_values(amax(tensor({-inf, -inf, 1, 2}, {2, 2}), {1}), {-inf, 2}, {2});
  // Reducing a non-empty dim of a tensor that has an empty one.
  EXPECT_EQ(max(zeros({5, 0, 2, 4}), 2).shape(), (Shape{5, 0, 4}));
  EXPECT_EQ(argmax(zeros({0, 3}), 1).shape(), (Shape{0}));
  EXPECT_MG_ERROR(max(zeros({5, 0, 2}), 1), "max", "empty dimension 1");
}

TEST(Reduction, LargeAndTransposedInputsMatchASerialSum) {
  // 2^22 values: the full reduction is split between threads and merged.
  const Tensor x = reshape(arange(1 << 22, kFloat64), {2048, 2048});
  const double expected = 2048.0 * 2048 * (2048.0 * 2048 - 1) / 2;
  for (int threads : {1, 2}) {
    set_num_threads(threads);
    EXPECT_DOUBLE_EQ(sum(x).item<double>(), expected);
    EXPECT_DOUBLE_EQ(sum(transpose(x, 0, 1)).item<double>(), expected);
    EXPECT_DOUBLE_EQ(max(transpose(x, 0, 1)).item<double>(), 2048.0 * 2048 - 1);
    expect_values(narrow(sum(transpose(x, 0, 1), {1}), 0, 0, 2),
                  {2048.0 * 2047 * 2048 / 2, 2048.0 * 2047 * 2048 / 2 + 2048}, {2});
  }
  set_num_threads(2);
}

TEST(Reduction, BadDims) {
  EXPECT_MG_ERROR(sum(zeros({2, 3}), {2}), "sum", "dimension 2 out of range", "2-d");
  EXPECT_MG_ERROR(sum(zeros({2, 3}), {1, -1}), "sum", "listed twice");
}

TEST(Matmul, ShapesAndValues) {
  const Tensor a = tensor({1, 2, 3, 4, 5, 6}, {2, 3});
  const Tensor b = tensor({1, 0, 0, 1, 1, 1}, {3, 2});
  expect_values(matmul(a, b), {4, 5, 10, 11}, {2, 2});
  expect_values(matmul(t(b), t(a)), {4, 10, 5, 11}, {2, 2});  // transposed operands
  expect_values(matmul(tensor({1, 1, 1}), b), {2, 2}, {2});   // vector · matrix
  expect_values(matmul(a, tensor({1, 1, 1})), {6, 15}, {2});  // matrix · vector
  expect_values(matmul(tensor({1, 2}), tensor({3, 4})), {11}, {});
  // Batch broadcasting: [2, 1, 2, 3] × [3, 3, 2] → [2, 3, 2, 2].
  const Tensor batch_a = expand(reshape(a, {1, 1, 2, 3}), {2, 1, 2, 3});
  const Tensor batch_b = tensor({1, 0, 0, 1, 1, 1, 2, 0, 0, 2, 2, 2, 3, 0, 0, 3, 3, 3}, {3, 3, 2});
  const Tensor out = matmul(batch_a, batch_b);
  EXPECT_EQ(out.shape(), (Shape{2, 3, 2, 2}));
  expect_values(select(select(out, 0, 1), 0, 2), {12, 15, 30, 33}, {2, 2});
  expect_values(bmm(zeros({4, 2, 0}), zeros({4, 0, 5})), std::vector<double>(40, 0), {4, 2, 5});
}

TEST(Matmul, BatchesOfSmallMatricesMatchOneByOne) {
  Generator g(4);
  const Tensor a = randn({37, 5, 6}, kFloat64, &g);
  const Tensor b = randn({37, 6, 3}, kFloat64, &g);
  const Tensor out = bmm(a, b);
  for (std::int64_t i : {0, 17, 36}) {
    EXPECT_TRUE(allclose(select(out, 0, i), mm(select(a, 0, i), select(b, 0, i)), 1e-12, 1e-12));
  }
}

// Above 2^18 multiply-adds one GEMM is split over the OpenMP threads, by rows of the output when
// it is taller than wide, by columns otherwise; every split must match a naive loop.
TEST(Matmul, GemmsSplitOverThreadsMatchNaiveLoop) {
  const int threads = get_num_threads();
  set_num_threads(3);
  Generator g(5);
  for (const auto& [m, n, k] :
       {std::array<std::int64_t, 3>{301, 97, 64}, std::array<std::int64_t, 3>{67, 203, 80}}) {
    const Tensor a = randn({k, m}, kFloat64, &g), b = randn({n, k}, kFloat64, &g);
    const Tensor out = matmul(t(a), t(b));  // both operands transposed
    const Tensor batched = matmul(expand(reshape(t(a), {1, m, k}), {2, m, k}), t(b));
    const auto* pa = static_cast<const double*>(a.raw_data());
    const auto* pb = static_cast<const double*>(b.raw_data());
    std::vector<double> expected(m * n, 0.0);
    for (std::int64_t i = 0; i < m; ++i)
      for (std::int64_t j = 0; j < n; ++j)
        for (std::int64_t p = 0; p < k; ++p) expected[i * n + j] += pa[p * m + i] * pb[j * k + p];
    expect_values(out, expected, {m, n}, 1e-10);
    expect_values(select(batched, 0, 1), expected, {m, n}, 1e-10);
  }
  set_num_threads(threads);
}

TEST(Matmul, Errors) {
  EXPECT_MG_ERROR(matmul(zeros({2, 3}), zeros({4, 2})), "matmul", "float32[2, 3]", "float32[4, 2]");
  EXPECT_MG_ERROR(matmul(zeros({2, 3}), zeros({3, 2}, kFloat64)), "matmul", "one dtype",
                  "float64[3, 2]");
  EXPECT_MG_ERROR(matmul(zeros({2, 3}, kInt64), zeros({3, 2}, kInt64)), "matmul", "floating-point");
  EXPECT_MG_ERROR(bmm(zeros({2, 3}), zeros({3, 2})), "bmm", "3-d");
  EXPECT_MG_ERROR(linear(zeros({4, 3}), zeros({5, 2})), "linear", "float32[4, 3]", "float32[5, 2]");
}

}  // namespace
}  // namespace mg
