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
using testing::expect_same_on_gpu;
using testing::gpu_rtol;
using testing::kGemmFloat32Rtol;
using testing::seeded_randn;
using testing::to_gpu;

Tensor mm_of(const std::vector<Tensor>& v) {
  return matmul(v[0], v[1]);
}

class CudaMatmul : public ::testing::TestWithParam<DType> {};

TEST_P(CudaMatmul, TwoDimensional) {
  MG_REQUIRE_GPU();
  const DType dtype = GetParam();
  expect_same_on_gpu(mm_of, {seeded_randn({5, 7}, dtype, 1), seeded_randn({7, 3}, dtype, 2)},
                     gpu_rtol(dtype, kGemmFloat32Rtol), "[5, 7]·[7, 3]");
  expect_same_on_gpu(mm_of, {seeded_randn({1, 9}, dtype, 3), seeded_randn({9, 1}, dtype, 4)},
                     gpu_rtol(dtype, kGemmFloat32Rtol), "[1, 9]·[9, 1]");
  expect_same_on_gpu(mm_of, {seeded_randn({33, 65}, dtype, 5), seeded_randn({65, 17}, dtype, 6)},
                     gpu_rtol(dtype, kGemmFloat32Rtol), "[33, 65]·[65, 17]");
}

TEST_P(CudaMatmul, TransposedOperands) {
  MG_REQUIRE_GPU();
  const DType dtype = GetParam();
  const auto tt = [](const std::vector<Tensor>& v) {
    return matmul(transpose(v[0], 0, 1), transpose(v[1], 0, 1));
  };
  expect_same_on_gpu(tt, {seeded_randn({7, 5}, dtype, 1), seeded_randn({3, 7}, dtype, 2)},
                     gpu_rtol(dtype, kGemmFloat32Rtol), "aᵀ·bᵀ");
  const auto tn = [](const std::vector<Tensor>& v) { return matmul(transpose(v[0], 0, 1), v[1]); };
  expect_same_on_gpu(tn, {seeded_randn({7, 5}, dtype, 3), seeded_randn({7, 4}, dtype, 4)},
                     gpu_rtol(dtype, kGemmFloat32Rtol), "aᵀ·b");
  const auto nt = [](const std::vector<Tensor>& v) {
    return matmul(v[0], transpose(v[1], -1, -2));
  };
  expect_same_on_gpu(nt, {seeded_randn({2, 5, 7}, dtype, 5), seeded_randn({2, 4, 7}, dtype, 6)},
                     gpu_rtol(dtype, kGemmFloat32Rtol), "batched a·bᵀ");
}

TEST_P(CudaMatmul, Batched) {
  MG_REQUIRE_GPU();
  const DType dtype = GetParam();
  expect_same_on_gpu(mm_of, {seeded_randn({4, 5, 6}, dtype, 1), seeded_randn({4, 6, 3}, dtype, 2)},
                     gpu_rtol(dtype, kGemmFloat32Rtol), "[4, 5, 6]·[4, 6, 3]");
  expect_same_on_gpu(mm_of,
                     {seeded_randn({2, 3, 5, 6}, dtype, 3), seeded_randn({2, 3, 6, 4}, dtype, 4)},
                     gpu_rtol(dtype, kGemmFloat32Rtol), "[2, 3, 5, 6]·[2, 3, 6, 4]");
}

TEST_P(CudaMatmul, BroadcastBatch) {
  MG_REQUIRE_GPU();
  const DType dtype = GetParam();
  // b is one matrix for all batches (a linear layer): folded into one GEMM.
  expect_same_on_gpu(mm_of, {seeded_randn({3, 4, 5, 6}, dtype, 1), seeded_randn({6, 2}, dtype, 2)},
                     gpu_rtol(dtype, kGemmFloat32Rtol), "[3, 4, 5, 6]·[6, 2]");
  // a broadcast along the batch, b not.
  expect_same_on_gpu(mm_of, {seeded_randn({5, 6}, dtype, 3), seeded_randn({4, 6, 2}, dtype, 4)},
                     gpu_rtol(dtype, kGemmFloat32Rtol), "[5, 6]·[4, 6, 2]");
  // Broadcast along an outer batch dim only: strides that do not merge into one.
  expect_same_on_gpu(mm_of,
                     {seeded_randn({3, 1, 5, 6}, dtype, 5), seeded_randn({1, 4, 6, 2}, dtype, 6)},
                     gpu_rtol(dtype, kGemmFloat32Rtol), "[3, 1, 5, 6]·[1, 4, 6, 2]");
  expect_same_on_gpu(mm_of,
                     {seeded_randn({2, 3, 5, 6}, dtype, 7), seeded_randn({3, 6, 2}, dtype, 8)},
                     gpu_rtol(dtype, kGemmFloat32Rtol), "[2, 3, 5, 6]·[3, 6, 2]");
  // Batch of a transposed operand, with a non-contiguous batch stride.
  const auto sliced = [](const std::vector<Tensor>& v) {
    return matmul(slice(v[0], 0, 0, 4, 2), transpose(v[1], -1, -2));
  };
  expect_same_on_gpu(sliced,
                     {seeded_randn({4, 5, 6}, dtype, 9), seeded_randn({2, 3, 6}, dtype, 10)},
                     gpu_rtol(dtype, kGemmFloat32Rtol), "strided batch · transposed");
}

TEST_P(CudaMatmul, EmptyInnerDimensionGivesZeros) {
  MG_REQUIRE_GPU();
  const DType dtype = GetParam();
  const Tensor a = seeded_randn({3, 0}, dtype, 1), b = seeded_randn({0, 4}, dtype, 2);
  expect_matches_cpu(matmul(to_gpu(a), to_gpu(b)), matmul(a, b), 0, "[3, 0]·[0, 4]");
  const Tensor c = seeded_randn({0, 5}, dtype, 3), d = seeded_randn({5, 4}, dtype, 4);
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
  const Tensor a = seeded_randn({2, 64, 256}, kFloat32, 1),
               b = seeded_randn({256, 48}, kFloat32, 2);
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
  const Tensor a = seeded_randn({2, 3}, kFloat32, 1), b = seeded_randn({3, 2}, kFloat32, 2);
  EXPECT_MG_ERROR(matmul(to_gpu(a), b), "matmul", "float32[2, 3] on cuda:0", "float32[3, 2]");
}

}  // namespace
}  // namespace mg
