#include "test_util.h"
#include "tests/cuda/cuda_test_util.h"

namespace mg {
namespace {

using testing::expect_matches_cpu;

// The same seed gives the same values on both devices; odd sizes cover the last, partly used
// Philox counter.
TEST(CudaRandom, UniformAndNormalMatchCpu) {
  MG_REQUIRE_GPU();
  for (DType dtype : {kFloat32, kFloat64}) {
    for (std::int64_t n : {1, 3, 4, 5, 1001, 100003}) {
      const double rtol = dtype == kFloat64 ? 1e-12 : 1e-6;
      Generator cpu_gen(42), gpu_gen(42);
      expect_matches_cpu(rand({n}, TensorOptions(dtype).device(Device::cuda()), &gpu_gen),
                         rand({n}, dtype, &cpu_gen), rtol, str("rand ", dtype, " ", n));
      expect_matches_cpu(randn({n}, TensorOptions(dtype).device(Device::cuda()), &gpu_gen),
                         randn({n}, dtype, &cpu_gen), dtype == kFloat64 ? 1e-12 : 1e-5,
                         str("randn ", dtype, " ", n));
      EXPECT_EQ(gpu_gen.offset(), cpu_gen.offset());
    }
  }
}

TEST(CudaRandom, UniformRangeAndStridedTargetsMatchCpu) {
  MG_REQUIRE_GPU();
  Generator cpu_gen(7), gpu_gen(7);
  Tensor cpu = zeros({6, 9}), gpu = zeros({6, 9}, Device::cuda());
  uniform_(transpose(cpu, 0, 1), -3, 5, &cpu_gen);
  uniform_(transpose(gpu, 0, 1), -3, 5, &gpu_gen);
  expect_matches_cpu(gpu, cpu, 1e-6, "uniform_ into a transposed view");
  normal_(cpu, 2, 0.5, &cpu_gen);
  normal_(gpu, 2, 0.5, &gpu_gen);
  expect_matches_cpu(gpu, cpu, 1e-5, "normal_ with mean and std");
  Tensor wide = empty({10000}, Device::cuda());
  uniform_(wide, -3, 5, &gpu_gen);
  const auto drawn = wide.to_vector<float>();
  for (float v : drawn) {
    ASSERT_GE(v, -3.0f);
    ASSERT_LT(v, 5.0f);
  }
}

TEST(CudaRandom, BernoulliAndRandintMatchCpu) {
  MG_REQUIRE_GPU();
  Generator setup(3);
  const Tensor p = rand({7, 13}, kFloat64, &setup);
  for (std::int64_t n : {1, 5, 1003}) {
    Generator cpu_gen(9), gpu_gen(9);
    expect_matches_cpu(
        randint(-50, 1000, {n}, TensorOptions(kInt64).device(Device::cuda()), &gpu_gen),
        randint(-50, 1000, {n}, kInt64, &cpu_gen), 0, str("randint ", n));
    expect_matches_cpu(randint(0, 256, {n}, TensorOptions(kUInt8).device(Device::cuda()), &gpu_gen),
                       randint(0, 256, {n}, kUInt8, &cpu_gen), 0, str("randint uint8 ", n));
  }
  for (DType dtype : {kFloat32, kFloat64}) {
    Generator cpu_gen(11), gpu_gen(11);
    const Tensor probs = native::to(p, dtype);
    expect_matches_cpu(bernoulli(testing::to_gpu(probs), &gpu_gen), bernoulli(probs, &cpu_gen), 0,
                       str("bernoulli ", dtype));
    expect_matches_cpu(
        bernoulli({3, 333}, 0.3, TensorOptions(dtype).device(Device::cuda()), &gpu_gen),
        bernoulli({3, 333}, 0.3, dtype, &cpu_gen), 0, str("bernoulli scalar ", dtype));
  }
}

TEST(CudaRandom, RandpermOnTheGpuIsAPermutation) {
  MG_REQUIRE_GPU();
  Generator generator(5);
  const auto perm = randperm(100, TensorOptions(kInt64).device(Device::cuda()), &generator)
                        .to_vector<std::int64_t>();
  std::vector<std::int64_t> sorted = perm;
  std::sort(sorted.begin(), sorted.end());
  for (std::int64_t i = 0; i < 100; ++i) EXPECT_EQ(sorted[i], i);
}

}  // namespace
}  // namespace mg
