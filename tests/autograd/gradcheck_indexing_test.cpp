#include <cstdint>
#include <initializer_list>
#include <vector>

#include "test_util.h"

namespace mg {
namespace {

using testing::leaf;
using testing::transposed_leaf;
using Inputs = std::vector<Tensor>;

// An int64 index tensor.
Tensor indices(std::initializer_list<std::int64_t> values, const Shape& shape = {}) {
  return from_vector<std::int64_t>(std::vector<std::int64_t>(values), shape);
}

TEST(GradcheckIndexing, CatAndStack) {
  const Tensor a = leaf({2, 3}, 1);
  const Tensor b = leaf({2, 1}, 2);
  const Tensor c = transposed_leaf({2, 2}, 3);
  EXPECT_GRADCHECK([](const Inputs& x) { return cat({x[0], x[1], x[2]}, 1); }, {a, b, c});
  EXPECT_GRADCHECK([](const Inputs& x) { return cat({x[1], x[0] * 2.0}, -1); }, {a, c});
  EXPECT_GRADCHECK([](const Inputs& x) { return cat({x[0], x[1]}, 0); }, {a, leaf({1, 3}, 4)});
  // The same tensor twice: both gradients add up.
  EXPECT_GRADCHECK([](const Inputs& x) { return cat({x[0], x[0]}, 0); }, {c});
  EXPECT_GRADCHECK([](const Inputs& x) { return stack({x[0], x[1]}, 1); }, {a, leaf({2, 3}, 5)});
  EXPECT_GRADCHECK(
      [](const Inputs& x) {
        return stack({x[0], exp(x[1])}, -1);
      },
      {c, transposed_leaf({2, 2}, 6)});
}

TEST(GradcheckIndexing, SplitAndChunk) {
  const Tensor x = leaf({3, 5}, 7);
  EXPECT_GRADCHECK(
      [](const Inputs& in) {
        const auto p = split(in[0], 2, 1);
        return cat({p[2] * 3.0, p[0], exp(p[1])}, 1);
      },
      {x});
  // Unused pieces get zero gradient.
  EXPECT_GRADCHECK([](const Inputs& in) { return split(in[0], 2, 0)[1] * 2.0; }, {x});
  EXPECT_GRADCHECK(
      [](const Inputs& in) {
        const auto p = split_with_sizes(in[0], {1, 0, 4}, -1);
        return cat({p[2], p[1], square(p[0])}, 1);
      },
      {x});
  EXPECT_GRADCHECK(
      [](const Inputs& in) {
        const auto p = chunk(in[0], 2, 0);
        return p[0] * p[1];
      },
      {transposed_leaf({4, 3}, 8)});
}

TEST(GradcheckIndexing, IndexSelectAndIndexAdd) {
  const Tensor repeated = indices({2, 0, 2, 2});
  EXPECT_GRADCHECK([repeated](const Inputs& x) { return index_select(x[0], 0, repeated); },
                   {leaf({3, 2}, 9)});
  EXPECT_GRADCHECK([repeated](const Inputs& x) { return index_select(x[0], -1, repeated); },
                   {transposed_leaf({2, 3}, 10)});
  const Tensor rows = indices({1, 0, 1});
  EXPECT_GRADCHECK([rows](const Inputs& x) { return index_add(x[0], 0, rows, x[1]); },
                   {leaf({2, 3}, 11), transposed_leaf({3, 3}, 12)});
  EXPECT_GRADCHECK([rows](const Inputs& x) { return index_add(x[0], 1, rows, x[1]); },
                   {transposed_leaf({3, 2}, 13), leaf({3, 3}, 14)});
}

TEST(GradcheckIndexing, GatherAndScatterAdd) {
  // index smaller than x outside dim, with repeats along dim.
  const Tensor index = indices({0, 2, 2, 1, 1, 1}, {2, 3});
  EXPECT_GRADCHECK([index](const Inputs& x) { return gather(x[0], 1, index); }, {leaf({3, 4}, 15)});
  EXPECT_GRADCHECK([index](const Inputs& x) { return gather(x[0], -2, index); },
                   {transposed_leaf({3, 3}, 16)});
  // index smaller than src: the unused part of src gets zero gradient.
  EXPECT_GRADCHECK([index](const Inputs& x) { return scatter_add(x[0], 1, index, x[1]); },
                   {leaf({2, 3}, 17), transposed_leaf({3, 4}, 18)});
  EXPECT_GRADCHECK([index](const Inputs& x) { return scatter_add(x[0], 0, index, x[1]); },
                   {transposed_leaf({3, 3}, 19), leaf({2, 3}, 20)});
}

TEST(GradcheckIndexing, MaskedFill) {
  const Tensor mask = from_vector<bool>({true, false, false, true, true, false}, {2, 3});
  EXPECT_GRADCHECK([mask](const Inputs& x) { return masked_fill(x[0], mask, 0.5); },
                   {transposed_leaf({2, 3}, 21)});
  // x broadcast to the mask's shape: its gradient sums the unfilled positions.
  EXPECT_GRADCHECK([mask](const Inputs& x) { return masked_fill(x[0], mask, -2); },
                   {leaf({3}, 22)});
  const Tensor x = leaf({2, 3}, 23);
  backward(sum(masked_fill(x, mask, 1)));
  testing::expect_values(x.grad(), {0, 1, 1, 0, 0, 1}, {2, 3}, 0);
}

TEST(GradcheckIndexing, Embedding) {
  const Tensor ids = indices({3, 0, 3, 1, 4, 3}, {2, 3});
  EXPECT_GRADCHECK([ids](const Inputs& x) { return embedding(x[0], ids); }, {leaf({5, 2}, 24)});
  EXPECT_GRADCHECK([ids](const Inputs& x) { return embedding(x[0], ids); },
                   {transposed_leaf({5, 2}, 25)});
}

TEST(GradcheckIndexing, EmbeddingPaddingRowGetsNoGradient) {
  const Tensor ids = indices({3, 0, 3, 1, 4, 3}, {2, 3});
  for (std::int64_t padding : {3, -2}) {  // -2 is row 3 of 5
    const Tensor weight = leaf({5, 2}, 26);
    const Tensor out = embedding(weight, ids, padding);
    // The forward pass still reads the padding row.
    testing::expect_values(select(select(out, 0, 0), 0, 0),
                           select(weight, 0, 3).to_vector<double>(), {2}, 0);
    backward(sum(out * 2.0));
    // Row i gets 2 per use; the padding row gets exactly zero.
    testing::expect_values(weight.grad(), {2, 2, 2, 2, 0, 0, 0, 0, 2, 2}, {5, 2}, 0);
  }
}

}  // namespace
}  // namespace mg
