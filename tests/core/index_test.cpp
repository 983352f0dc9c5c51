#include <cstdint>
#include <initializer_list>
#include <vector>

#include "core/ops_index.h"
#include "test_util.h"

namespace mg {
namespace {

using testing::expect_values;

// An int64 index tensor.
Tensor indices(std::initializer_list<std::int64_t> values, const Shape& shape = {}) {
  return from_vector<std::int64_t>(std::vector<std::int64_t>(values), shape);
}

Tensor matrix(std::int64_t rows, std::int64_t cols, DType dtype = kFloat32) {
  return reshape(arange(static_cast<double>(rows * cols), dtype), {rows, cols});
}

TEST(Cat, JoinsAlongAnyDim) {
  const Tensor a = matrix(2, 3);                                 // [[0, 1, 2], [3, 4, 5]]
  const Tensor b = reshape(arange(6, 10, 1, kFloat32), {2, 2});  // [[6, 7], [8, 9]]
  expect_values(cat({a, b}, 1), {0, 1, 2, 6, 7, 3, 4, 5, 8, 9}, {2, 5});
  expect_values(cat({a, b}, -1), {0, 1, 2, 6, 7, 3, 4, 5, 8, 9}, {2, 5});
  expect_values(cat({a, tensor({7, 8, 9}, {1, 3}), a}, 0),
                {0, 1, 2, 3, 4, 5, 7, 8, 9, 0, 1, 2, 3, 4, 5}, {5, 3});
  expect_values(cat({a}, 0), {0, 1, 2, 3, 4, 5}, {2, 3});
  // Empty pieces contribute nothing.
  expect_values(cat({zeros({2, 0}), b, zeros({2, 0})}, 1), {6, 7, 8, 9}, {2, 2});
  const Tensor ints = cat({indices({1, 2}), indices({3})}, 0);
  EXPECT_EQ(ints.dtype(), kInt64);
  expect_values(ints, {1, 2, 3}, {3});
}

TEST(Cat, NonContiguousInputs) {
  const Tensor a = transpose(matrix(3, 2), 0, 1);  // [[0, 2, 4], [1, 3, 5]]
  ASSERT_FALSE(a.is_contiguous());
  const Tensor b = slice(matrix(2, 4), 1, 0, 4, 2);  // [[0, 2], [4, 6]]
  expect_values(cat({a, b}, 1), {0, 2, 4, 0, 2, 1, 3, 5, 4, 6}, {2, 5});
  expect_values(cat({b, a, b}, 1), {0, 2, 0, 2, 4, 0, 2, 4, 6, 1, 3, 5, 4, 6}, {2, 7});
}

TEST(Stack, AddsADim) {
  const Tensor a = tensor({1, 2, 3});
  const Tensor b = tensor({4, 5, 6});
  expect_values(stack({a, b}), {1, 2, 3, 4, 5, 6}, {2, 3});
  expect_values(stack({a, b}, -1), {1, 4, 2, 5, 3, 6}, {3, 2});
  expect_values(stack({a, b}, 1), {1, 4, 2, 5, 3, 6}, {3, 2});
  expect_values(stack({scalar_tensor(1), scalar_tensor(2)}), {1, 2}, {2});
}

TEST(Split, PiecesAreViews) {
  const Tensor x = matrix(2, 5);
  const auto pieces = split(x, 2, 1);
  ASSERT_EQ(pieces.size(), 3u);
  expect_values(pieces[0], {0, 1, 5, 6}, {2, 2});
  expect_values(pieces[1], {2, 3, 7, 8}, {2, 2});
  expect_values(pieces[2], {4, 9}, {2, 1});
  EXPECT_EQ(pieces[1].storage(), x.storage());
  const auto rows = split(x, 5, 0);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].shape(), x.shape());
  EXPECT_EQ(split(zeros({0, 3}), 2).size(), 1u);

  const auto sized = split_with_sizes(x, {1, 0, 4}, -1);
  ASSERT_EQ(sized.size(), 3u);
  expect_values(sized[0], {0, 5}, {2, 1});
  EXPECT_EQ(sized[1].shape(), (Shape{2, 0}));
  expect_values(sized[2], {1, 2, 3, 4, 6, 7, 8, 9}, {2, 4});
}

TEST(Split, ChunkMatchesPyTorchCounts) {
  const Tensor x = arange(5, kFloat32);
  // ceil(5 / 4) = 2 per piece: only 3 pieces, as in torch.chunk.
  const auto pieces = chunk(x, 4);
  ASSERT_EQ(pieces.size(), 3u);
  expect_values(pieces[2], {4}, {1});
  EXPECT_EQ(chunk(arange(6, kFloat32), 3).size(), 3u);
  EXPECT_EQ(chunk(zeros({0}), 3).size(), 3u);
  const auto columns = chunk(transpose(matrix(4, 2), 0, 1), 2, 1);
  ASSERT_EQ(columns.size(), 2u);
  expect_values(columns[1], {4, 6, 5, 7}, {2, 2});
}

TEST(IndexSelect, PicksSlices) {
  const Tensor x = matrix(3, 4);
  expect_values(index_select(x, 0, indices({2, 0, 2})), {8, 9, 10, 11, 0, 1, 2, 3, 8, 9, 10, 11},
                {3, 4});
  expect_values(index_select(x, -1, indices({3, 1})), {3, 1, 7, 5, 11, 9}, {3, 2});
  expect_values(index_select(x, 1, reshape(indices({2}), {})), {2, 6, 10}, {3, 1});
  EXPECT_EQ(index_select(x, 0, indices({}, {0})).shape(), (Shape{0, 4}));
  const Tensor ints = index_select(matrix(2, 2, kInt64), 0, indices({1}));
  EXPECT_EQ(ints.dtype(), kInt64);
  expect_values(ints, {2, 3}, {1, 2});
  const Tensor flags = from_vector<bool>({true, false, false}, {3});
  expect_values(index_select(flags, 0, indices({1, 0})), {0, 1}, {2});
}

TEST(IndexSelect, NonContiguousInputAndIndex) {
  const Tensor xt = transpose(matrix(4, 3), 0, 1);  // [[0, 3, 6, 9], [1, 4, 7, 10], [2, 5, 8, 11]]
  ASSERT_FALSE(xt.is_contiguous());
  expect_values(index_select(xt, 1, indices({3, 0})), {9, 0, 10, 1, 11, 2}, {3, 2});
  expect_values(index_select(xt, 0, indices({2, 0})), {2, 5, 8, 11, 0, 3, 6, 9}, {2, 4});
  const Tensor every_other = slice(indices({2, 9, 0, 9, 1}), 0, 0, 5, 2);  // [2, 0, 1]
  expect_values(index_select(xt, 0, every_other), {2, 5, 8, 11, 0, 3, 6, 9, 1, 4, 7, 10}, {3, 4});
}

TEST(IndexAdd, RepeatedIndicesAccumulate) {
  const Tensor x = ones({3, 2});
  const Tensor src = tensor({1, 2, 3, 4, 5, 6}, {3, 2});
  expect_values(index_add(x, 0, indices({0, 2, 0}), src), {7, 9, 1, 1, 4, 5}, {3, 2});
  expect_values(index_add(x, -1, indices({1, 1}), src), {1, 4, 1, 8, 1, 12}, {3, 2});
  // The input is not modified.
  expect_values(x, {1, 1, 1, 1, 1, 1}, {3, 2});
  const Tensor src_t = transpose(tensor({1, 2, 3, 4, 5, 6}, {2, 3}), 0, 1);  // [[1, 4], ...]
  expect_values(index_add(zeros({2, 2}), 0, indices({1, 1, 0}), src_t), {3, 6, 3, 9}, {2, 2});
  expect_values(index_add(matrix(2, 2, kInt64), 1, indices({0}), indices({5, 7}, {2, 1})),
                {5, 1, 9, 3}, {2, 2});
}

TEST(Gather, PicksAlongDim) {
  const Tensor x = tensor({1, 2, 3, 4}, {2, 2});
  expect_values(gather(x, 1, indices({0, 0, 1, 0}, {2, 2})), {1, 1, 4, 3}, {2, 2});
  expect_values(gather(x, 0, indices({1, 0, 1, 1, 0, 0}, {3, 2})), {3, 2, 3, 4, 1, 2}, {3, 2});
  // index smaller than x outside dim: only its extent is read.
  expect_values(gather(matrix(3, 4), -1, indices({3, 3, 0}, {1, 3})), {3, 3, 0}, {1, 3});
  const Tensor xt = transpose(matrix(3, 2), 0, 1);  // [[0, 2, 4], [1, 3, 5]]
  expect_values(gather(xt, 1, indices({2, 1, 0, 0}, {2, 2})), {4, 2, 1, 1}, {2, 2});
}

TEST(ScatterAdd, RepeatedIndicesAccumulate) {
  // torch.zeros(3, 3).scatter_add(0, tensor([[0, 1], [0, 0]]), torch.ones(3, 3)).
  expect_values(scatter_add(zeros({3, 3}), 0, indices({0, 1, 0, 0}, {2, 2}), ones({3, 3})),
                {2, 1, 0, 0, 1, 0, 0, 0, 0}, {3, 3});
  const Tensor src = tensor({1, 2, 3, 4, 5, 6}, {2, 3});
  expect_values(scatter_add(ones({2, 2}), -1, indices({1, 1, 0, 0, 0, 0}, {2, 3}), src),
                {4, 4, 16, 1}, {2, 2});
  const Tensor src_t = transpose(src, 0, 1);  // [[1, 4], [2, 5], [3, 6]]
  expect_values(scatter_add(zeros({2, 2}), 0, indices({1, 1, 1, 0}, {2, 2}), src_t), {0, 5, 3, 4},
                {2, 2});
}

TEST(IndexAdd, InPlaceRawOps) {
  const Tensor x = matrix(2, 2);  // [[0, 1], [2, 3]]
  const std::uint64_t version = x.version();
  native::index_add_(x, 0, indices({1, 1}), ones({2, 2}));
  expect_values(x, {0, 1, 4, 5}, {2, 2});
  EXPECT_GT(x.version(), version);
  // A source on self's storage is read as it was before the op.
  native::index_add_(x, 0, indices({1, 0}), x);
  expect_values(x, {4, 6, 4, 6}, {2, 2});
  const Tensor y = zeros({2, 3});
  native::scatter_add_(transpose(y, 0, 1), 1, indices({0, 0, 1}, {3, 1}),
                       tensor({1, 2, 3}, {3, 1}));
  expect_values(y, {1, 2, 0, 0, 0, 3}, {2, 3});
  EXPECT_MG_ERROR(native::index_add_(expand(zeros({1, 3}), {2, 3}), 0, indices({0}), ones({1, 3})),
                  "index_add_", "broadcast", "float32[2, 3]");
  EXPECT_MG_ERROR(native::scatter_add_(zeros({2}), 0, indices({2}), ones({1})),
                  "scatter_add_: index 2 is out of range for dimension 0 of size 2");
}

// Sizes big enough for the kernels to split work between threads, checked against naive loops.
TEST(ScatterAdd, LargeMatchesNaiveLoopAndRepeats) {
  const std::int64_t rows = 300, cols = 400, targets = 7;
  Generator generator(5);
  const Tensor src = transpose(randn({cols, rows}, kFloat64, &generator), 0, 1);
  const Tensor index = randint(0, targets, {rows, cols}, kInt64, &generator);
  const Tensor out = scatter_add(zeros({targets, cols}, kFloat64), 0, index, src);
  const auto s = src.to_vector<double>();
  const auto k = index.to_vector<std::int64_t>();
  std::vector<double> expected(targets * cols, 0.0);
  for (std::int64_t r = 0; r < rows; ++r) {
    for (std::int64_t c = 0; c < cols; ++c) expected[k[r * cols + c] * cols + c] += s[r * cols + c];
  }
  expect_values(out, expected, {targets, cols}, 1e-9);
  // Deterministic: the same bits again, on one thread or on several.
  const int threads = get_num_threads();
  for (int n : {1, 3}) {
    set_num_threads(n);
    EXPECT_EQ(scatter_add(zeros({targets, cols}, kFloat64), 0, index, src).to_vector<double>(),
              out.to_vector<double>())
        << n << " threads";
  }
  set_num_threads(threads);

  const Tensor row_index = select(index, 1, 0);  // [rows] in [0, targets)
  const Tensor summed = index_add(zeros({targets, cols}, kFloat64), 0, row_index, src);
  const auto ki = row_index.to_vector<std::int64_t>();
  std::fill(expected.begin(), expected.end(), 0.0);
  for (std::int64_t r = 0; r < rows; ++r) {
    for (std::int64_t c = 0; c < cols; ++c) expected[ki[r] * cols + c] += s[r * cols + c];
  }
  expect_values(summed, expected, {targets, cols}, 1e-9);
}

TEST(Gather, LargeMatchesNaiveLoop) {
  const std::int64_t rows = 200, cols = 300;
  Generator generator(6);
  const Tensor x = transpose(randn({cols, rows}, kFloat64, &generator), 0, 1);
  const Tensor index = randint(0, rows, {rows, cols}, kInt64, &generator);
  const auto xv = x.to_vector<double>();
  const auto k = index.to_vector<std::int64_t>();
  std::vector<double> expected(rows * cols);
  for (std::int64_t r = 0; r < rows; ++r) {
    for (std::int64_t c = 0; c < cols; ++c) expected[r * cols + c] = xv[k[r * cols + c] * cols + c];
  }
  expect_values(gather(x, 0, index), expected, {rows, cols}, 0);
  const Tensor picked = index_select(x, 1, select(index, 0, 0));
  ASSERT_EQ(picked.shape(), (Shape{rows, cols}));
  EXPECT_EQ(select(picked, 1, 3).to_vector<double>(), select(x, 1, k[3]).to_vector<double>());
}

TEST(MaskedFill, FillsWhereTrue) {
  const Tensor x = matrix(2, 3);
  const Tensor columns = from_vector<bool>({true, false, true}, {3});
  expect_values(masked_fill(x, columns, -1), {-1, 1, -1, -1, 4, -1}, {2, 3});
  const Tensor rows = from_vector<bool>({false, true}, {2, 1});
  expect_values(masked_fill(x, rows, 9), {0, 1, 2, 9, 9, 9}, {2, 3});
  const Tensor ints = masked_fill(matrix(1, 2, kInt64), from_vector<bool>({true, false}, {2}), 7);
  EXPECT_EQ(ints.dtype(), kInt64);
  expect_values(ints, {7, 1}, {1, 2});
}

TEST(Embedding, LooksUpRows) {
  const Tensor weight = matrix(4, 2);
  expect_values(embedding(weight, indices({1, 3, 0, 1}, {2, 2})), {2, 3, 6, 7, 0, 1, 2, 3},
                {2, 2, 2});
  expect_values(embedding(weight, reshape(indices({2}), {})), {4, 5}, {2});
  expect_values(embedding(weight, indices({3}), 3), {6, 7}, {1, 2});
}

TEST(Indexing, IndexErrors) {
  const Tensor x = zeros({5, 3});
  EXPECT_MG_ERROR(index_select(x, 0, tensor({1, 2})), "index_select", "expected index to be int64",
                  "float32[2]");
  EXPECT_MG_ERROR(index_select(x, 0, indices({1, 7})),
                  "index_select: index 7 is out of range for dimension 0 of size 5",
                  "float32[5, 3]");
  EXPECT_MG_ERROR(index_select(x, 1, indices({-1})), "index -1 is out of range for dimension 1");
  EXPECT_MG_ERROR(index_select(x, 2, indices({0})), "index_select");
  EXPECT_MG_ERROR(index_select(x, 0, indices({0, 1}, {1, 2})), "index_select", "0-d or 1-d",
                  "int64[1, 2]");
  EXPECT_MG_ERROR(index_select(scalar_tensor(1), 0, indices({0})), "index_select",
                  "at least one dimension", "float32[]");
  EXPECT_MG_ERROR(index_add(x, 0, indices({4}), ones({1, 3}, kFloat64)), "index_add", "one dtype",
                  "float32[5, 3]", "float64[1, 3]");
  EXPECT_MG_ERROR(index_add(x, 0, indices({4, 0}), ones({1, 3})), "index_add", "[2, 3]",
                  "float32[1, 3]");
  EXPECT_MG_ERROR(index_add(x, 0, indices({5}), ones({1, 3})),
                  "index_add: index 5 is out of range for dimension 0 of size 5");
  EXPECT_MG_ERROR(index_add(zeros({2}, kBool), 0, indices({0}), zeros({1}, kBool)), "index_add",
                  "cannot accumulate", "bool[2]");
  EXPECT_MG_ERROR(gather(x, 1, indices({0, 1})), "gather", "rank", "float32[5, 3]", "int64[2]");
  EXPECT_MG_ERROR(gather(x, 1, indices({0, 0, 0, 0, 0, 0}, {6, 1})), "gather", "int64[6, 1]",
                  "float32[5, 3]", "dimension 0");
  EXPECT_MG_ERROR(gather(x, 1, indices({0, 3}, {1, 2})),
                  "gather: index 3 is out of range for dimension 1 of size 3");
  EXPECT_MG_ERROR(gather(x, 0, tensor({0}, {1, 1}, kUInt8)), "gather", "int64", "uint8[1, 1]");
  EXPECT_MG_ERROR(scatter_add(x, 0, indices({0, 1}, {2, 1}), ones({1, 1})), "scatter_add",
                  "int64[2, 1]", "float32[1, 1]", "dimension 0");
  EXPECT_MG_ERROR(scatter_add(x, 0, indices({0, 0, 0, 0}, {1, 4}), ones({1, 4})), "scatter_add",
                  "int64[1, 4]", "float32[5, 3]", "dimension 1");
  EXPECT_MG_ERROR(scatter_add(x, 0, indices({9}, {1, 1}), ones({1, 1})),
                  "scatter_add: index 9 is out of range for dimension 0 of size 5");
  EXPECT_MG_ERROR(embedding(x, indices({5})), "embedding: index 5 is out of range",
                  "float32[5, 3]");
  EXPECT_MG_ERROR(embedding(x, tensor({1})), "embedding", "int64", "float32[1]");
  EXPECT_MG_ERROR(embedding(zeros({5}), indices({1})), "embedding", "2-d", "float32[5]");
  EXPECT_MG_ERROR(embedding(x, indices({1}), 5), "embedding", "padding_idx 5");
}

TEST(Indexing, JoinAndSplitErrors) {
  const Tensor a = zeros({2, 3});
  EXPECT_MG_ERROR(cat({}, 0), "cat", "non-empty");
  EXPECT_MG_ERROR(cat({a, a, zeros({2, 4})}, 0), "cat: tensor 2", "float32[2, 4]", "float32[2, 3]",
                  "except in dimension 0");
  EXPECT_MG_ERROR(cat({a, zeros({2, 3}, kFloat64)}, 0), "cat: tensor 1", "float64[2, 3]",
                  "one dtype");
  EXPECT_MG_ERROR(cat({a, zeros({6})}, 0), "cat: tensor 1", "float32[6]", "one rank");
  EXPECT_MG_ERROR(cat({scalar_tensor(1)}, 0), "cat", "0-d");
  EXPECT_MG_ERROR(cat({a, a}, 2), "cat");
  EXPECT_MG_ERROR(stack({a, zeros({3, 2})}), "stack: tensor 1", "float32[3, 2]", "float32[2, 3]");
  EXPECT_MG_ERROR(split(a, 0, 1), "split", "split_size", "float32[2, 3]");
  EXPECT_MG_ERROR(split_with_sizes(a, {1, 1}, 1), "split_with_sizes", "[1, 1]", "float32[2, 3]");
  EXPECT_MG_ERROR(split_with_sizes(a, {4, -1}, 1), "split_with_sizes", "non-negative");
  EXPECT_MG_ERROR(chunk(a, 0), "chunk", "positive");
  EXPECT_MG_ERROR(masked_fill(a, zeros({3}), 1), "masked_fill", "bool", "float32[3]");
  EXPECT_MG_ERROR(masked_fill(a, zeros({4}, kBool), 1), "masked_fill", "[2, 3]", "[4]");
}

}  // namespace
}  // namespace mg
