// CUDA matmul (cuBLAS) against the CPU: plain, batched, broadcast batches, transposed operands,
// float32 and float64, the TF32 switch, and gradients through autograd.

#include <functional>

#include "core/ops_copy.h"
#include "core/random.h"
#include "tests/cuda/cuda_test_util.h"
#include "tests/test_util.h"

namespace mg {
namespace {

using testing::expect_matches_cpu;
using testing::to_gpu;
using Fn = std::function<Tensor(const std::vector<Tensor>&)>;

Tensor random(const Shape& shape, DType dtype, std::uint64_t seed) {
  Generator generator(seed);
  return randn(shape, TensorOptions(dtype), &generator);
}

// f on CPU leaves and on their GPU copies: the outputs, and the gradients of sum(f·r) for a
// random r, must match.
void expect_same_on_gpu(const Fn& f, std::vector<Tensor> cpu, double rtol,
                        const std::string& what) {
  std::vector<Tensor> gpu;
  for (Tensor& x : cpu) {
    x.requires_grad_(true);
    gpu.push_back(to_gpu(x));
  }
  const Tensor out_cpu = f(cpu), out_gpu = f(gpu);
  expect_matches_cpu(out_gpu, out_cpu, rtol, what + " forward");
  const Tensor r = random(out_cpu.shape(), out_cpu.dtype(), 7);
  backward(sum(mul(out_cpu, r)));
  backward(sum(mul(out_gpu, to_gpu(r))));
  for (std::size_t i = 0; i < cpu.size(); ++i) {
    expect_matches_cpu(gpu[i].grad(), cpu[i].grad(), rtol,
                       what + " gradient of operand " + std::to_string(i));
  }
}

Tensor mm_of(const std::vector<Tensor>& v) {
  return matmul(v[0], v[1]);
}

double rtol_of(DType dtype) {
  return dtype == kFloat32 ? 1e-4 : 1e-12;
}

class CudaMatmul : public ::testing::TestWithParam<DType> {};

TEST_P(CudaMatmul, TwoDimensional) {
  MG_REQUIRE_GPU();
  const DType dtype = GetParam();
  expect_same_on_gpu(mm_of, {random({5, 7}, dtype, 1), random({7, 3}, dtype, 2)}, rtol_of(dtype),
                     "[5, 7]·[7, 3]");
  expect_same_on_gpu(mm_of, {random({1, 9}, dtype, 3), random({9, 1}, dtype, 4)}, rtol_of(dtype),
                     "[1, 9]·[9, 1]");
  expect_same_on_gpu(mm_of, {random({33, 65}, dtype, 5), random({65, 17}, dtype, 6)},
                     rtol_of(dtype), "[33, 65]·[65, 17]");
}

TEST_P(CudaMatmul, TransposedOperands) {
  MG_REQUIRE_GPU();
  const DType dtype = GetParam();
  const auto tt = [](const std::vector<Tensor>& v) {
    return matmul(transpose(v[0], 0, 1), transpose(v[1], 0, 1));
  };
  expect_same_on_gpu(tt, {random({7, 5}, dtype, 1), random({3, 7}, dtype, 2)}, rtol_of(dtype),
                     "aᵀ·bᵀ");
  const auto tn = [](const std::vector<Tensor>& v) { return matmul(transpose(v[0], 0, 1), v[1]); };
  expect_same_on_gpu(tn, {random({7, 5}, dtype, 3), random({7, 4}, dtype, 4)}, rtol_of(dtype),
                     "aᵀ·b");
  const auto nt = [](const std::vector<Tensor>& v) {
    return matmul(v[0], transpose(v[1], -1, -2));
  };
  expect_same_on_gpu(nt, {random({2, 5, 7}, dtype, 5), random({2, 4, 7}, dtype, 6)}, rtol_of(dtype),
                     "batched a·bᵀ");
}

TEST_P(CudaMatmul, Batched) {
  MG_REQUIRE_GPU();
  const DType dtype = GetParam();
  expect_same_on_gpu(mm_of, {random({4, 5, 6}, dtype, 1), random({4, 6, 3}, dtype, 2)},
                     rtol_of(dtype), "[4, 5, 6]·[4, 6, 3]");
  expect_same_on_gpu(mm_of, {random({2, 3, 5, 6}, dtype, 3), random({2, 3, 6, 4}, dtype, 4)},
                     rtol_of(dtype), "[2, 3, 5, 6]·[2, 3, 6, 4]");
}

TEST_P(CudaMatmul, BroadcastBatch) {
  MG_REQUIRE_GPU();
  const DType dtype = GetParam();
  // b is one matrix for all batches (a linear layer): folded into one GEMM.
  expect_same_on_gpu(mm_of, {random({3, 4, 5, 6}, dtype, 1), random({6, 2}, dtype, 2)},
                     rtol_of(dtype), "[3, 4, 5, 6]·[6, 2]");
  // a broadcast along the batch, b not.
  expect_same_on_gpu(mm_of, {random({5, 6}, dtype, 3), random({4, 6, 2}, dtype, 4)}, rtol_of(dtype),
                     "[5, 6]·[4, 6, 2]");
  // Broadcast along an outer batch dim only: strides that do not merge into one.
  expect_same_on_gpu(mm_of, {random({3, 1, 5, 6}, dtype, 5), random({1, 4, 6, 2}, dtype, 6)},
                     rtol_of(dtype), "[3, 1, 5, 6]·[1, 4, 6, 2]");
  expect_same_on_gpu(mm_of, {random({2, 3, 5, 6}, dtype, 7), random({3, 6, 2}, dtype, 8)},
                     rtol_of(dtype), "[2, 3, 5, 6]·[3, 6, 2]");
  // Batch of a transposed operand, with a non-contiguous batch stride.
  const auto sliced = [](const std::vector<Tensor>& v) {
    return matmul(slice(v[0], 0, 0, 4, 2), transpose(v[1], -1, -2));
  };
  expect_same_on_gpu(sliced, {random({4, 5, 6}, dtype, 9), random({2, 3, 6}, dtype, 10)},
                     rtol_of(dtype), "strided batch · transposed");
}

TEST_P(CudaMatmul, EmptyInnerDimensionGivesZeros) {
  MG_REQUIRE_GPU();
  const DType dtype = GetParam();
  const Tensor a = random({3, 0}, dtype, 1), b = random({0, 4}, dtype, 2);
  expect_matches_cpu(matmul(to_gpu(a), to_gpu(b)), matmul(a, b), 0, "[3, 0]·[0, 4]");
  const Tensor c = random({0, 5}, dtype, 3), d = random({5, 4}, dtype, 4);
  EXPECT_EQ(matmul(to_gpu(c), to_gpu(d)).shape(), Shape({0, 4}));
}

INSTANTIATE_TEST_SUITE_P(Dtypes, CudaMatmul, ::testing::Values(kFloat32, kFloat64),
                         [](const auto& info) { return std::string(dtype_name(info.param)); });

// Restores TF32 off when the test ends, however it ends.
struct Tf32On {
  Tf32On() { cuda::set_allow_tf32(true); }
  ~Tf32On() { cuda::set_allow_tf32(false); }
};

TEST(CudaMatmulTf32, StaysCloseAndKeepsShapes) {
  MG_REQUIRE_GPU();
  const Tensor a = random({2, 64, 256}, kFloat32, 1), b = random({256, 48}, kFloat32, 2);
  const Tensor expected = matmul(a, b);
  EXPECT_FALSE(cuda::allow_tf32());
  {
    const Tf32On tf32;
    const Tensor actual = matmul(to_gpu(a), to_gpu(b));
    EXPECT_EQ(actual.shape(), expected.shape());
    EXPECT_EQ(actual.dtype(), kFloat32);
    expect_matches_cpu(actual, expected, 1e-2, "TF32 matmul");
  }
  EXPECT_FALSE(cuda::allow_tf32());
  expect_matches_cpu(matmul(to_gpu(a), to_gpu(b)), expected, 1e-4, "matmul after TF32 off");
}

TEST(CudaMatmulErrors, MixingDevicesNamesBoth) {
  MG_REQUIRE_GPU();
  const Tensor a = random({2, 3}, kFloat32, 1), b = random({3, 2}, kFloat32, 2);
  EXPECT_MG_ERROR(matmul(to_gpu(a), b), "matmul", "float32[2, 3] on cuda:0", "float32[3, 2]");
}

}  // namespace
}  // namespace mg
