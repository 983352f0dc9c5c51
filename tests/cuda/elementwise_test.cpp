#include <limits>

#include "test_util.h"
#include "tests/cuda/cuda_test_util.h"

namespace mg {
namespace {

using testing::expect_matches_cpu;
using testing::gpu_rtol;
using testing::to_gpu;

const UnaryOp kUnaryOps[] = {UnaryOp::Neg,     UnaryOp::Exp,     UnaryOp::Log,  UnaryOp::Log1p,
                             UnaryOp::Sqrt,    UnaryOp::Rsqrt,   UnaryOp::Abs,  UnaryOp::Sign,
                             UnaryOp::Relu,    UnaryOp::Sigmoid, UnaryOp::Tanh, UnaryOp::GeluErf,
                             UnaryOp::GeluTanh};
const BinaryOp kArithmeticOps[] = {BinaryOp::Add,
                                   BinaryOp::Sub,
                                   BinaryOp::Mul,
                                   BinaryOp::Div,
                                   BinaryOp::Pow,
                                   BinaryOp::Maximum,
                                   BinaryOp::Minimum,
                                   BinaryOp::ReluBackward,
                                   BinaryOp::GeluErfBackward,
                                   BinaryOp::GeluTanhBackward};
const BinaryOp kComparisons[] = {BinaryOp::Eq, BinaryOp::Ne, BinaryOp::Lt,
                                 BinaryOp::Le, BinaryOp::Gt, BinaryOp::Ge};

// Positive values for the ops whose domain needs them, normal values otherwise.
Tensor input_for(UnaryOp op, const Shape& shape, DType dtype, std::uint64_t seed) {
  Generator generator(seed);
  const bool positive =
      op == UnaryOp::Log || op == UnaryOp::Log1p || op == UnaryOp::Sqrt || op == UnaryOp::Rsqrt;
  if (positive) {
    Tensor x = empty(shape, dtype);
    uniform_(x, 0.1, 4.0, &generator);
    return x;
  }
  return mul(randn(shape, dtype, &generator), 2.0);
}

TEST(CudaElementwise, EveryUnaryOpMatchesCpu) {
  MG_REQUIRE_GPU();
  for (DType dtype : {kFloat32, kFloat64}) {
    for (UnaryOp op : kUnaryOps) {
      const Tensor x = input_for(op, {37, 29}, dtype, 1 + static_cast<int>(op));
      const std::string what = str("unary ", static_cast<int>(op), " ", dtype);
      expect_matches_cpu(native::unary(op, to_gpu(x)), native::unary(op, x), gpu_rtol(dtype), what);
      // A transposed (non-contiguous) input.
      const Tensor t = transpose(x, 0, 1);
      expect_matches_cpu(native::unary(op, transpose(to_gpu(x), 0, 1)), native::unary(op, t),
                         gpu_rtol(dtype), what + " transposed");
    }
  }
}

TEST(CudaElementwise, IntegerAndBoolUnaryOpsMatchCpu) {
  MG_REQUIRE_GPU();
  const Tensor ints = tensor({-3, -1, 0, 2, 7, -128}, {2, 3}, kInt64);
  const Tensor bytes = tensor({0, 1, 2, 200, 255, 9}, {2, 3}, kUInt8);
  for (UnaryOp op : {UnaryOp::Neg, UnaryOp::Abs, UnaryOp::Sign, UnaryOp::Relu}) {
    expect_matches_cpu(native::unary(op, to_gpu(ints)), native::unary(op, ints), 0, "int64");
    expect_matches_cpu(native::unary(op, to_gpu(bytes)), native::unary(op, bytes), 0, "uint8");
  }
  const Tensor flags = native::binary(BinaryOp::Gt, ints, 0.0);
  expect_matches_cpu(logical_not(to_gpu(flags)), logical_not(flags), 0, "logical_not");
}

TEST(CudaElementwise, SpecialValuesFollowTheCpu) {
  MG_REQUIRE_GPU();
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  const Tensor x = tensor({nan, inf, -inf, 0.0, -0.0, 1.0}, {6}, kFloat32);
  const Tensor y = tensor({1.0, nan, 2.0, -0.0, nan, 1.0}, {6}, kFloat32);
  for (UnaryOp op : {UnaryOp::Relu, UnaryOp::Sign, UnaryOp::Abs, UnaryOp::Sigmoid}) {
    const auto gpu = native::unary(op, to_gpu(x)).to_vector<float>();
    const auto cpu = native::unary(op, x).to_vector<float>();
    for (std::size_t i = 0; i < cpu.size(); ++i) {
      // Special values exactly; sigmoid(1) may differ in its last bits (the CPU's exp is a
      // polynomial).
      const bool close = std::isfinite(cpu[i]) && std::abs(gpu[i] - cpu[i]) <= 1e-6f;
      EXPECT_TRUE(gpu[i] == cpu[i] || close || (std::isnan(gpu[i]) && std::isnan(cpu[i])))
          << "op " << static_cast<int>(op) << " element " << i << ": " << gpu[i] << " vs "
          << cpu[i];
    }
  }
  for (BinaryOp op : {BinaryOp::Maximum, BinaryOp::Minimum}) {
    const auto gpu = native::binary(op, to_gpu(x), to_gpu(y)).to_vector<float>();
    const auto cpu = native::binary(op, x, y).to_vector<float>();
    for (std::size_t i = 0; i < cpu.size(); ++i) {
      EXPECT_TRUE(gpu[i] == cpu[i] || (std::isnan(gpu[i]) && std::isnan(cpu[i])))
          << "op " << static_cast<int>(op) << " element " << i;
    }
  }
}

TEST(CudaElementwise, EveryBinaryOpMatchesCpuWithBroadcasting) {
  MG_REQUIRE_GPU();
  for (DType dtype : {kFloat32, kFloat64}) {
    Generator generator(11);
    // a [5, 1, 7] against a transposed b [5, 6, 7]: broadcast and non-contiguous operands.
    const Tensor a = add(randn({5, 1, 7}, dtype, &generator), 0.5);
    const Tensor b_base = randn({5, 7, 6}, dtype, &generator);
    const Tensor b = transpose(b_base, 1, 2);
    const Tensor positive = add(native::unary(UnaryOp::Abs, a), 0.25);  // pow's base
    for (BinaryOp op : kArithmeticOps) {
      const Tensor lhs = op == BinaryOp::Pow ? positive : a;
      const Tensor gpu_b = transpose(to_gpu(b_base), 1, 2);
      const std::string what = str("binary ", static_cast<int>(op), " ", dtype);
      expect_matches_cpu(native::binary(op, to_gpu(lhs), gpu_b), native::binary(op, lhs, b),
                         gpu_rtol(dtype), what);
      // Swapped: b is the base, made positive for pow.
      const Tensor rhs = op == BinaryOp::Pow ? add(native::unary(UnaryOp::Abs, b), 0.25) : b;
      const Tensor gpu_rhs =
          op == BinaryOp::Pow ? add(native::unary(UnaryOp::Abs, gpu_b), 0.25) : gpu_b;
      expect_matches_cpu(native::binary(op, gpu_rhs, to_gpu(lhs)), native::binary(op, rhs, lhs),
                         gpu_rtol(dtype), what + " swapped");
    }
    // alpha for Add and Sub; a scalar operand.
    expect_matches_cpu(add(to_gpu(a), transpose(to_gpu(b_base), 1, 2), 2.5), add(a, b, 2.5),
                       gpu_rtol(dtype), "add alpha");
    expect_matches_cpu(sub(to_gpu(a), transpose(to_gpu(b_base), 1, 2), -0.5), sub(a, b, -0.5),
                       gpu_rtol(dtype), "sub alpha");
    expect_matches_cpu(mul(to_gpu(a), 3.0), mul(a, 3.0), gpu_rtol(dtype), "mul scalar");
    for (BinaryOp op : kComparisons) {
      // Rounded values so that equal elements exist.
      const Tensor ra = native::to(native::to(mul(a, 2.0), kInt64), dtype);
      const Tensor rb = native::to(native::to(mul(b, 2.0), kInt64), dtype);
      expect_matches_cpu(native::binary(op, to_gpu(ra), to_gpu(rb)), native::binary(op, ra, rb), 0,
                         str("compare ", static_cast<int>(op), " ", dtype));
    }
  }
}

TEST(CudaElementwise, IntegerBinaryOpsMatchCpu) {
  MG_REQUIRE_GPU();
  const Tensor a = tensor({-3, 5, 0, 7, -2, 9}, {2, 3}, kInt64);
  const Tensor b = tensor({2, -1, 3, 0, 5, 2}, {2, 3}, kInt64);
  for (BinaryOp op : {BinaryOp::Add, BinaryOp::Sub, BinaryOp::Mul, BinaryOp::Pow, BinaryOp::Maximum,
                      BinaryOp::Minimum, BinaryOp::ReluBackward}) {
    expect_matches_cpu(native::binary(op, to_gpu(a), to_gpu(b)), native::binary(op, a, b), 0,
                       str("int64 op ", static_cast<int>(op)));
  }
  expect_matches_cpu(native::binary(BinaryOp::Add, to_gpu(a), to_gpu(b), 3),
                     native::binary(BinaryOp::Add, a, b, 3), 0, "int64 add alpha");
  // True division of integers gives float32.
  expect_matches_cpu(div(to_gpu(a), to_gpu(b)), div(a, b), 1e-6, "int64 div");
  const Tensor u = tensor({200, 3, 0, 255}, {4}, kUInt8);
  const Tensor v = tensor({100, 2, 7, 1}, {4}, kUInt8);
  for (BinaryOp op : {BinaryOp::Add, BinaryOp::Sub, BinaryOp::Mul, BinaryOp::Pow, BinaryOp::Lt}) {
    expect_matches_cpu(native::binary(op, to_gpu(u), to_gpu(v)), native::binary(op, u, v), 0,
                       str("uint8 op ", static_cast<int>(op)));
  }
  const Tensor p = native::binary(BinaryOp::Gt, a, 0.0), q = native::binary(BinaryOp::Lt, b, 3.0);
  expect_matches_cpu(logical_and(to_gpu(p), to_gpu(q)), logical_and(p, q), 0, "and");
  expect_matches_cpu(logical_or(to_gpu(p), to_gpu(q)), logical_or(p, q), 0, "or");
  expect_matches_cpu(eq(to_gpu(p), to_gpu(q)), eq(p, q), 0, "bool eq");
}

TEST(CudaElementwise, InPlaceIntoStridedViews) {
  MG_REQUIRE_GPU();
  Generator generator(4);
  const Tensor base = randn({6, 8}, kFloat32, &generator);
  const Tensor other = randn({8, 1}, kFloat32, &generator);
  Tensor cpu = native::clone(base), gpu = to_gpu(base);
  native::binary_(BinaryOp::Mul, transpose(cpu, 0, 1), other);
  native::binary_(BinaryOp::Mul, transpose(gpu, 0, 1), to_gpu(other));
  expect_matches_cpu(gpu, cpu, 1e-5, "mul_ into a transposed view");
  native::clamp_(slice(cpu, 1, 0, 8, 3), -0.5, 0.5);
  native::clamp_(slice(gpu, 1, 0, 8, 3), -0.5, 0.5);
  expect_matches_cpu(gpu, cpu, 1e-5, "clamp_ into a strided view");
}

TEST(CudaElementwise, WhereAndClampMatchCpu) {
  MG_REQUIRE_GPU();
  for (DType dtype : {kFloat32, kFloat64, kInt64}) {
    Generator generator(8);
    const Tensor x = native::to(mul(randn({4, 5}, kFloat64, &generator), 10.0), dtype);
    const Tensor y = native::to(mul(randn({1, 5}, kFloat64, &generator), 10.0), dtype);
    const Tensor cond = native::binary(BinaryOp::Gt, randn({4, 1}, kFloat32, &generator), 0.0);
    expect_matches_cpu(where(to_gpu(cond), to_gpu(x), to_gpu(y)), where(cond, x, y), 0,
                       str("where ", dtype));
    expect_matches_cpu(clamp(to_gpu(x), -3.5, 4.5), clamp(x, -3.5, 4.5), 0, str("clamp ", dtype));
    expect_matches_cpu(clamp(to_gpu(x), std::nullopt, 2.0), clamp(x, std::nullopt, 2.0), 0,
                       str("clamp max ", dtype));
    expect_matches_cpu(clamp(transpose(to_gpu(x), 0, 1), 1.0, -1.0),
                       clamp(transpose(x, 0, 1), 1.0, -1.0), 0, str("clamp low > high ", dtype));
  }
}

TEST(CudaElementwise, MixingDevicesIsAnError) {
  MG_REQUIRE_GPU();
  const Tensor cpu = ones({2, 3});
  EXPECT_MG_ERROR(add(to_gpu(cpu), cpu), "add", "cuda", "cpu");
}

TEST(CudaElementwise, BackwardOfAnExpressionMatchesCpu) {
  MG_REQUIRE_GPU();
  for (DType dtype : {kFloat32, kFloat64}) {
    Generator generator(21);
    Tensor x = randn({4, 6}, dtype, &generator);
    Tensor w = randn({1, 6}, dtype, &generator);
    x.requires_grad_(true);
    w.requires_grad_(true);
    Tensor gx = to_gpu(x), gw = to_gpu(w);
    auto expression = [](const Tensor& a, const Tensor& b) {
      const Tensor h = add(mul(a, b), sigmoid(a));
      const Tensor g = sub(gelu(h), mul(relu(b), tanh(h)));
      return sum(add(mul(g, exp(neg(abs(a)))), gelu(a, GeluApproximate::Tanh)));
    };
    backward(expression(x, w));
    backward(expression(gx, gw));
    expect_matches_cpu(gx.grad(), x.grad(), gpu_rtol(dtype), str("grad x ", dtype));
    expect_matches_cpu(gw.grad(), w.grad(), gpu_rtol(dtype), str("grad w ", dtype));
  }
}

}  // namespace
}  // namespace mg
