#include <limits>

#include "test_util.h"
#include "tests/cuda/cuda_test_util.h"

namespace mg {
namespace {

using testing::expect_matches_cpu;
using testing::gpu_rtol;
using testing::to_gpu;

const ReduceOp kOps[] = {ReduceOp::Sum, ReduceOp::Mean, ReduceOp::Max, ReduceOp::Min};

void expect_reduce_matches(const Tensor& x, const Shape& dims, bool keepdim,
                           const std::string& what) {
  const Tensor gpu = to_gpu(x);
  for (ReduceOp op : kOps) {
    if (op == ReduceOp::Mean && !is_floating(x.dtype())) continue;
    const double rtol = is_floating(x.dtype()) ? gpu_rtol(x.dtype()) : 0;
    expect_matches_cpu(native::reduce(op, gpu, dims, keepdim), native::reduce(op, x, dims, keepdim),
                       rtol, str(what, " op ", static_cast<int>(op)));
  }
}

TEST(CudaReduction, SingleSeveralAndAllDims) {
  MG_REQUIRE_GPU();
  for (DType dtype : {kFloat32, kFloat64, kInt64}) {
    Generator generator(2);
    const Tensor x = native::to(mul(randn({6, 5, 70}, kFloat64, &generator), 20.0), dtype);
    const std::string name = str(dtype);
    for (std::int64_t d = 0; d < 3; ++d) expect_reduce_matches(x, {d}, false, name + " dim");
    expect_reduce_matches(x, {0, 2}, false, name + " dims 0, 2");
    expect_reduce_matches(x, {1, 2}, true, name + " dims 1, 2 keepdim");
    expect_reduce_matches(x, {}, false, name + " all");
    expect_reduce_matches(x, {-1}, true, name + " last keepdim");
  }
}

TEST(CudaReduction, NonContiguousInputs) {
  MG_REQUIRE_GPU();
  Generator generator(3);
  const Tensor base = randn({40, 30, 3}, kFloat32, &generator);
  const Tensor transposed = transpose(base, 0, 2);  // [3, 30, 40]
  const Tensor gpu = transpose(to_gpu(base), 0, 2);
  for (const Shape& dims : {Shape{0}, Shape{1}, Shape{2}, Shape{0, 2}, Shape{}}) {
    for (ReduceOp op : kOps) {
      expect_matches_cpu(native::reduce(op, gpu, dims, false),
                         native::reduce(op, transposed, dims, false), 1e-5,
                         str("transposed op ", static_cast<int>(op), " dims ", dims.size()));
    }
  }
  const Tensor sliced = slice(base, 1, 1, 30, 4);
  const Tensor gpu_sliced = slice(to_gpu(base), 1, 1, 30, 4);
  expect_matches_cpu(native::reduce(ReduceOp::Sum, gpu_sliced, {1}),
                     native::reduce(ReduceOp::Sum, sliced, {1}), 1e-5, "sliced");
}

TEST(CudaReduction, LongReductionsUseSeveralBlocksPerOutput) {
  MG_REQUIRE_GPU();
  Generator generator(4);
  const Tensor x = randn({3, 1 << 20}, kFloat32, &generator);
  expect_reduce_matches(x, {}, false, "all of 3M");
  expect_reduce_matches(x, {1}, false, "rows of 1M");
  expect_reduce_matches(transpose(x, 0, 1), {0}, false, "transposed rows of 1M");
}

TEST(CudaReduction, BoolAndIntegerSumsGiveInt64) {
  MG_REQUIRE_GPU();
  const Tensor flags = native::binary(BinaryOp::Gt, arange(10.0), 3.0);
  const Tensor gpu_sum = sum(to_gpu(flags));
  EXPECT_EQ(gpu_sum.dtype(), kInt64);
  EXPECT_EQ(gpu_sum.item<std::int64_t>(), 6);
  const Tensor bytes = full({300}, 200, kUInt8);
  EXPECT_EQ(sum(to_gpu(bytes)).item<std::int64_t>(), 60000);
  expect_matches_cpu(native::reduce(ReduceOp::Max, to_gpu(bytes), {0}),
                     native::reduce(ReduceOp::Max, bytes, {0}), 0, "uint8 max");
}

TEST(CudaReduction, NanPropagatesThroughMaxAndMin) {
  MG_REQUIRE_GPU();
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const Tensor x = tensor({1, nan, 3, 4, 5, 6}, {2, 3});
  for (ReduceOp op : {ReduceOp::Max, ReduceOp::Min, ReduceOp::Sum}) {
    const auto gpu = native::reduce(op, to_gpu(x), {1}).to_vector<double>();
    EXPECT_TRUE(std::isnan(gpu[0])) << static_cast<int>(op);
    EXPECT_FALSE(std::isnan(gpu[1])) << static_cast<int>(op);
  }
}

TEST(CudaReduction, ArgmaxArgminWithTiesAndNans) {
  MG_REQUIRE_GPU();
  Generator generator(6);
  // Small integers: many ties, and the first index must win.
  const Tensor x =
      native::to(native::to(mul(randn({7, 300, 5}, kFloat64, &generator), 2.0), kInt64), kFloat32);
  const Tensor gpu = to_gpu(x);
  for (std::int64_t d = 0; d < 3; ++d) {
    for (bool keepdim : {false, true}) {
      expect_matches_cpu(argmax(gpu, d, keepdim), argmax(x, d, keepdim), 0, str("argmax ", d));
      expect_matches_cpu(argmin(gpu, d, keepdim), argmin(x, d, keepdim), 0, str("argmin ", d));
    }
  }
  expect_matches_cpu(argmax(gpu), argmax(x), 0, "argmax of all");
  expect_matches_cpu(argmin(transpose(gpu, 0, 2), 1), argmin(transpose(x, 0, 2), 1), 0,
                     "argmin transposed");
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const Tensor with_nan = tensor({1, nan, 7, nan, 9, 2}, {6});
  EXPECT_EQ(argmax(to_gpu(with_nan)).item<std::int64_t>(), 1);
  EXPECT_EQ(argmin(to_gpu(with_nan)).item<std::int64_t>(), 1);
  const Tensor ints = tensor({4, 9, 1, 9, 1}, {5}, kInt64);
  EXPECT_EQ(argmax(to_gpu(ints)).item<std::int64_t>(), 1);
  EXPECT_EQ(argmin(to_gpu(ints)).item<std::int64_t>(), 2);
}

TEST(CudaReduction, AutogradThroughReductionsMatchesCpu) {
  MG_REQUIRE_GPU();
  Generator generator(9);
  Tensor x = randn({5, 8}, kFloat64, &generator);
  x.requires_grad_(true);
  Tensor gx = to_gpu(x);
  auto loss = [](const Tensor& t) {
    return add(sum(mul(mean(t, {0}), amax(t, {0}))), sum(amin(t, {1})));
  };
  backward(loss(x));
  backward(loss(gx));
  expect_matches_cpu(gx.grad(), x.grad(), 1e-12, "grad");
}

}  // namespace
}  // namespace mg
