#include <cmath>
#include <limits>

#include "test_util.h"

namespace mg {
namespace {

using testing::expect_values;

TEST(Elementwise, ArithmeticBroadcasts) {
  const Tensor a = tensor({1, 2, 3, 4, 5, 6}, {2, 3});
  const Tensor row = tensor({10, 20, 30});
  const Tensor col = tensor({100, 200}, {2, 1});
  expect_values(a + row, {11, 22, 33, 14, 25, 36}, {2, 3});
  expect_values(a - col, {-99, -98, -97, -196, -195, -194}, {2, 3});
  expect_values(row * col, {1000, 2000, 3000, 2000, 4000, 6000}, {2, 3});
  expect_values(a / 2.0, {0.5, 1, 1.5, 2, 2.5, 3}, {2, 3});
  expect_values(1.0 / tensor({2, 4}), {0.5, 0.25}, {2});
  expect_values(3.0 - tensor({1, 2}), {2, 1}, {2});
  expect_values(add(a, row, 0.5), {6, 12, 18, 9, 15, 21}, {2, 3});
  expect_values(pow(tensor({2, 3}), 2.0), {4, 9}, {2});
  expect_values(pow(tensor({2, 3}), tensor({3, 0.5})), {8, std::sqrt(3.0)}, {2});
  expect_values(maximum(tensor({1, 5}), tensor({3, 2})), {3, 5}, {2});
  expect_values(minimum(tensor({1, 5}), tensor({3, 2})), {1, 2}, {2});
}

TEST(Elementwise, NonContiguousOperands) {
  const Tensor m = reshape(arange(6, kFloat64), {2, 3});
  const Tensor tr = transpose(m, 0, 1);  // [[0, 3], [1, 4], [2, 5]]
  expect_values(tr + tr, {0, 6, 2, 8, 4, 10}, {3, 2});
  expect_values(exp(tr),
                {1, std::exp(3.0), std::exp(1.0), std::exp(4.0), std::exp(2.0), std::exp(5.0)},
                {3, 2});
  const Tensor big = reshape(arange(100000, kFloat64), {1000, 100});
  const Tensor big_t = transpose(big, 0, 1);
  const Tensor sum_t = big_t + big_t;
  EXPECT_EQ(sum_t.shape(), (Shape{100, 1000}));
  EXPECT_DOUBLE_EQ(select(select(sum_t, 0, 7), 0, 300).item<double>(), 2 * (300 * 100 + 7));
}

TEST(Elementwise, TypePromotion) {
  const Tensor i = tensor({1, 2}, {}, kInt64);
  const Tensor f = tensor({0.5, 0.5});
  const Tensor d = tensor({1, 1}, {}, kFloat64);
  EXPECT_EQ((i + f).dtype(), kFloat32);
  EXPECT_EQ((f + d).dtype(), kFloat64);
  EXPECT_EQ((i + i).dtype(), kInt64);
  EXPECT_EQ((i * 2.0).dtype(), kInt64);
  EXPECT_EQ((i * 2.5).dtype(), kFloat32);
  EXPECT_EQ((i / i).dtype(), kFloat32);  // true division
  expect_values(i * 2.5, {2.5, 5}, {2});
  // A 0-d tensor decides the dtype only when its kind is higher (PyTorch's rule).
  EXPECT_EQ((f * scalar_tensor(2, kFloat64)).dtype(), kFloat32);
  EXPECT_EQ((i * scalar_tensor(2, kFloat64)).dtype(), kFloat64);
  EXPECT_EQ((scalar_tensor(2, kFloat64) * scalar_tensor(2)).dtype(), kFloat64);
}

TEST(Elementwise, UnaryFunctions) {
  const Tensor x = tensor({-2, -0.5, 0, 1.5}, {}, kFloat64);
  expect_values(neg(x), {2, 0.5, 0, -1.5}, {4});
  expect_values(abs(x), {2, 0.5, 0, 1.5}, {4});
  expect_values(sign(x), {-1, -1, 0, 1}, {4});
  expect_values(relu(x), {0, 0, 0, 1.5}, {4});
  expect_values(sigmoid(x),
                {1 / (1 + std::exp(2.0)), 1 / (1 + std::exp(0.5)), 0.5, 1 / (1 + std::exp(-1.5))},
                {4});
  expect_values(tanh(x), {std::tanh(-2.0), std::tanh(-0.5), 0, std::tanh(1.5)}, {4});
  expect_values(square(x), {4, 0.25, 0, 2.25}, {4});
  const Tensor p = tensor({0.25, 1, 4}, {}, kFloat64);
  expect_values(sqrt(p), {0.5, 1, 2}, {3});
  expect_values(rsqrt(p), {2, 1, 0.5}, {3});
  expect_values(log(p), {std::log(0.25), 0, std::log(4.0)}, {3});
  expect_values(log1p(p), {std::log1p(0.25), std::log(2.0), std::log(5.0)}, {3});
  // gelu(x) = x·Φ(x); its tanh form is PyTorch's approximate="tanh".
  const Tensor g = tensor({-1, 0, 1, 2}, {}, kFloat64);
  auto phi = [](double v) { return 0.5 * (1 + std::erf(v / std::sqrt(2.0))); };
  expect_values(gelu(g), {-phi(-1), 0, phi(1), 2 * phi(2)}, {4}, 1e-12);
  auto gelu_tanh = [](double v) {
    return 0.5 * v * (1 + std::tanh(std::sqrt(2 / M_PI) * (v + 0.044715 * v * v * v)));
  };
  expect_values(gelu(g, GeluApproximate::Tanh), {gelu_tanh(-1), 0, gelu_tanh(1), gelu_tanh(2)}, {4},
                1e-12);
  expect_values(clamp(x, -1.0, 1.0), {-1, -0.5, 0, 1}, {4});
  expect_values(clamp(x, std::nullopt, 0.0), {-2, -0.5, 0, 0}, {4});
}

// float32 GELU and its gradient use a rational erf (core/cpu/fast_erf.h) instead of std::erf.
TEST(Elementwise, Float32GeluMatchesTheExactFormula) {
  const Tensor x64 = linspace(-7, 7, 20001, kFloat64);
  const Tensor x32 = to(x64, kFloat32);
  const auto exact = gelu(to(x32, kFloat64)).to_vector<double>();
  const auto fast = gelu(x32).to_vector<double>();
  const auto exact_grad =
      native::binary(BinaryOp::GeluErfBackward, ones_like(x64), to(x32, kFloat64))
          .to_vector<double>();
  const auto fast_grad =
      native::binary(BinaryOp::GeluErfBackward, ones_like(x32), x32).to_vector<double>();
  const auto xs = x32.to_vector<double>();
  for (std::size_t i = 0; i < xs.size(); ++i) {
    const double scale = std::max(1.0, std::abs(xs[i]));
    ASSERT_NEAR(fast[i], exact[i], 1e-6 * scale) << "gelu at " << xs[i];
    ASSERT_NEAR(fast_grad[i], exact_grad[i], 2e-6) << "gelu' at " << xs[i];
  }
}

TEST(Elementwise, NaNPropagates) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const Tensor x = tensor({nan, 1}, {}, kFloat64);
  EXPECT_TRUE(std::isnan(relu(x).to_vector<double>()[0]));
  EXPECT_TRUE(std::isnan(maximum(x, zeros({2}, kFloat64)).to_vector<double>()[0]));
  EXPECT_TRUE(std::isnan(clamp(x, 0.0, 0.5).to_vector<double>()[0]));
}

TEST(Elementwise, NaNInEitherOperandOfMaximumAndMinimum) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const Tensor a = tensor({1, nan}, {}, kFloat64);
  const Tensor b = tensor({nan, 1}, {}, kFloat64);
  for (const Tensor& r : {maximum(a, b), minimum(a, b), maximum(b, a)}) {
    const auto v = r.to_vector<double>();
    EXPECT_TRUE(std::isnan(v[0]) && std::isnan(v[1])) << r;
  }
}

TEST(Elementwise, IntegerPowerAndClampFollowPyTorch) {
  const Tensor base = tensor({1, -1, 2, 3}, {}, kInt64);
  expect_values(pow(base, tensor({-1, -1, -1, 4}, {}, kInt64)), {1, -1, 0, 81}, {4});
  expect_values(pow(tensor({-1}, {}, kInt64), tensor({-2}, {}, kInt64)), {1}, {1});
  // Exponentiation by squaring: a huge exponent takes no time.
  EXPECT_EQ(
      pow(tensor({1}, {}, kInt64), tensor({1099511627776.0}, {}, kInt64)).item<std::int64_t>(), 1);
  EXPECT_EQ(pow(tensor({2}, {}, kInt64), 40.0).item<std::int64_t>(), std::int64_t{1} << 40);
  // low > high: every value becomes high, as min(max(x, low), high).
  expect_values(clamp(tensor({0, 2, 5}), 3.0, 1.0), {1, 1, 1}, {3});
  expect_values(clamp(tensor({0, 2, 5}, {}, kInt64), 3.0, 1.0), {1, 1, 1}, {3});
  expect_values(clamp(tensor({-5, 0, 5}, {}, kInt64), -2.5, 2.5), {-2, 0, 2}, {3});
}

TEST(Elementwise, FloatResultsDoNotSilentlyTruncateIntoIntegers) {
  Tensor i = tensor({3, 5}, {}, kInt64);
  NoGradGuard no_grad;
  EXPECT_MG_ERROR(mul_(i, 2.5), "mul_", "floating point", "int64");
  EXPECT_MG_ERROR(add_(i, tensor({0.5, 0.7})), "add_", "float32[2]", "int64[2]");
  EXPECT_MG_ERROR(add(i, i, 0.5), "add", "alpha 0.5", "int64");
  mul_(i, 2.0);
  expect_values(i, {6, 10}, {2});
  // Scalars are compared in a type that holds them.
  expect_values(eq(tensor({1}, {}, kBool), 2.0), {0}, {1});
  expect_values(lt(tensor({1, 3}, {}, kInt64), 2.5), {1, 0}, {2});
  EXPECT_MG_ERROR(add(tensor({1}, {}, kUInt8), 300.0), "300", "uint8");
}

TEST(Elementwise, ComparisonsAndWhere) {
  const Tensor a = tensor({1, 2, 3});
  const Tensor b = tensor({3, 2, 1});
  EXPECT_EQ(lt(a, b).dtype(), kBool);
  expect_values(lt(a, b), {1, 0, 0}, {3});
  expect_values(le(a, b), {1, 1, 0}, {3});
  expect_values(eq(a, b), {0, 1, 0}, {3});
  expect_values(ne(a, 2.0), {1, 0, 1}, {3});
  expect_values(gt(a, 1.5), {0, 1, 1}, {3});
  expect_values(ge(a, b), {0, 1, 1}, {3});
  expect_values(logical_and(lt(a, b), ge(a, 1.0)), {1, 0, 0}, {3});
  expect_values(logical_or(lt(a, b), gt(a, b)), {1, 0, 1}, {3});
  expect_values(logical_not(lt(a, b)), {0, 1, 1}, {3});
  expect_values(where(gt(a, 1.5), a, tensor({-1.0}, {})), {-1, 2, 3}, {3});
  EXPECT_TRUE(allclose(a, tensor({1, 2, 3.000001})));
  EXPECT_FALSE(allclose(a, b));
}

TEST(Elementwise, InPlaceVariants) {
  Tensor x = tensor({1, 2, 3});
  add_(x, tensor({1, 1, 1}), 2);
  expect_values(x, {3, 4, 5}, {3});
  sub_(x, 1.0);
  mul_(x, tensor({2.0}, {}));
  div_(x, 4.0);
  expect_values(x, {1, 1.5, 2}, {3});
  clamp_(x, std::nullopt, 1.6);
  expect_values(x, {1, 1.5, 1.6}, {3});
  Tensor y = zeros({2, 3});
  copy_(y, tensor({1, 2, 3}));  // broadcasts
  expect_values(y, {1, 2, 3, 1, 2, 3}, {2, 3});
  copy_(y, transpose(reshape(arange(6), {3, 2}), 0, 1));
  expect_values(y, {0, 2, 4, 1, 3, 5}, {2, 3});
  // A copy between overlapping layouts of one storage reads the source before writing.
  Tensor sq = reshape(arange(4), {2, 2});
  copy_(sq, transpose(sq, 0, 1));
  expect_values(sq, {0, 2, 1, 3}, {2, 2});
  Tensor z = zeros({3}, kInt64);
  fill_(z, 7);
  expect_values(z, {7, 7, 7}, {3});
  EXPECT_MG_ERROR(add_(zeros({3}), zeros({2, 3})), "add_", "float32[2, 3]", "float32[3]");
}

TEST(Elementwise, ErrorsNameOpShapesAndDtypes) {
  EXPECT_MG_ERROR(add(zeros({2, 3}), zeros({4})), "add", "[2, 3]", "[4]", "broadcast");
  EXPECT_MG_ERROR(mul(zeros({2}), zeros({3})), "mul", "[2]", "[3]");
  EXPECT_MG_ERROR(exp(zeros({2}, kInt64)), "exp", "floating-point", "int64[2]");
  EXPECT_MG_ERROR(sub(zeros({2}, kBool), zeros({2}, kBool)), "sub", "numeric", "bool[2]");
  EXPECT_MG_ERROR(where(zeros({2}), zeros({2}), zeros({2})), "where", "bool", "float32[2]");
  EXPECT_MG_ERROR(logical_and(zeros({2}), zeros({2}, kBool)), "logical_and", "bool", "float32[2]");
  EXPECT_MG_ERROR(clamp(zeros({2}), std::nullopt, std::nullopt), "clamp", "min and max");
  EXPECT_MG_ERROR(add(Tensor(), zeros({2})), "add", "undefined");
}

}  // namespace
}  // namespace mg
