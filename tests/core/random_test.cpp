#include <cmath>
#include <set>

#include "test_util.h"

namespace mg {
namespace {

TEST(Random, PhiloxMatchesTheReferenceVectors) {
  // Known-answer tests from Random123 (kat_vectors, philox4x32_10).
  const auto zero = philox4x32(0, 0);
  EXPECT_EQ(zero[0], 0x6627e8d5u);
  EXPECT_EQ(zero[1], 0xe169c58du);
  EXPECT_EQ(zero[2], 0xbc57ac4cu);
  EXPECT_EQ(zero[3], 0x9b00dbd8u);
}

TEST(Random, SameSeedSameNumbers) {
  Generator g1(42), g2(42), g3(43);
  const Tensor a = randn({1000}, {}, &g1);
  const Tensor b = randn({1000}, {}, &g2);
  const Tensor c = randn({1000}, {}, &g3);
  EXPECT_TRUE(allclose(a, b, 0, 0));
  EXPECT_FALSE(allclose(a, c));
  // Consecutive draws differ: the generator advances.
  EXPECT_FALSE(allclose(randn({1000}, {}, &g1), a));
  manual_seed(7);
  const Tensor d = rand({5});
  manual_seed(7);
  EXPECT_TRUE(allclose(rand({5}), d, 0, 0));
}

TEST(Random, ResultsDoNotDependOnThreadCount) {
  const int threads = get_num_threads();
  Generator g1(5), g2(5);
  set_num_threads(1);
  const Tensor one = rand({200000}, kFloat64, &g1);
  set_num_threads(std::max(2, threads));
  const Tensor many = rand({200000}, kFloat64, &g2);
  set_num_threads(threads);
  EXPECT_TRUE(allclose(one, many, 0, 0));
}

TEST(Random, Moments) {
  Generator g(1);
  const Tensor u = rand({200000}, kFloat64, &g);
  EXPECT_NEAR(mean(u).item<double>(), 0.5, 0.005);
  EXPECT_NEAR(var(u).item<double>(), 1.0 / 12, 0.002);
  EXPECT_GE(min(u).item<double>(), 0.0);
  EXPECT_LT(max(u).item<double>(), 1.0);
  for (DType dtype : {kFloat32, kFloat64}) {
    const Tensor n = randn({200001}, dtype, &g);  // odd count: the last pair is cut
    EXPECT_NEAR(mean(n).item<double>(), 0.0, 0.01);
    EXPECT_NEAR(std(n).item<double>(), 1.0, 0.01);
  }
  Tensor scaled = empty({100000});
  normal_(scaled, 3, 2, &g);
  EXPECT_NEAR(mean(scaled).item<double>(), 3.0, 0.03);
  EXPECT_NEAR(std(scaled).item<double>(), 2.0, 0.03);
  const Tensor b = bernoulli({100000}, 0.3, {}, &g);
  EXPECT_NEAR(mean(b).item<double>(), 0.3, 0.01);
  const Tensor bp = bernoulli(tensor({0, 1, 0, 1}), &g);
  EXPECT_EQ(bp.to_vector<int>(), (std::vector<int>{0, 1, 0, 1}));
}

TEST(Random, IntegersAndPermutations) {
  Generator g(3);
  const Tensor r = randint(-2, 3, {10000}, kInt64, &g);
  EXPECT_EQ(r.dtype(), kInt64);
  EXPECT_EQ(min(r).item<std::int64_t>(), -2);
  EXPECT_EQ(max(r).item<std::int64_t>(), 2);
  const auto perm = randperm(50, kInt64, &g).to_vector<std::int64_t>();
  EXPECT_EQ(std::set<std::int64_t>(perm.begin(), perm.end()).size(), 50u);
  EXPECT_EQ(*std::min_element(perm.begin(), perm.end()), 0);
  EXPECT_EQ(*std::max_element(perm.begin(), perm.end()), 49);
  // Every position takes every value about equally often.
  std::vector<int> first(5, 0);
  for (int i = 0; i < 5000; ++i) ++first[randperm(5, kInt64, &g).to_vector<std::int64_t>()[0]];
  for (int count : first) EXPECT_NEAR(count, 1000, 120);
  EXPECT_MG_ERROR(randint(3, 3, {2}), "randint", "low < high");
  EXPECT_MG_ERROR(randint(0, 1000, {2}, kUInt8), "randint", "uint8");
  EXPECT_MG_ERROR(bernoulli(tensor({2, -1})), "bernoulli", "[0, 1]", "[-1, 2]");
}

TEST(Random, FillsNonContiguousTensors) {
  Generator g(9);
  Tensor m = zeros({4, 6});
  Tensor column = select(m, 1, 2);
  uniform_(column, 5, 6, &g);
  EXPECT_GE(min(column).item<double>(), 5.0);
  EXPECT_DOUBLE_EQ(sum(m).item<double>(), sum(column).item<double>());
}

}  // namespace
}  // namespace mg
