#include "core/ops_copy.h"
#include "core/ops_index.h"
#include "core/ops_view.h"
#include "test_util.h"
#include "tests/cuda/cuda_test_util.h"

namespace mg {
namespace {

using testing::expect_matches_cpu;
using testing::seeded_randn;
using testing::to_gpu;

Tensor indices(const std::vector<std::int64_t>& values, const Shape& shape) {
  return from_vector(values, shape);
}

TEST(CudaIndex, IndexSelectEveryDimAndDtype) {
  MG_REQUIRE_GPU();
  const Tensor index = indices({2, 0, 2, 1, 3}, {5});
  for (DType dtype : {kFloat32, kFloat64}) {
    const Tensor x = seeded_randn({4, 5, 6}, dtype, 1);
    for (std::int64_t dim = 0; dim < 3; ++dim) {
      expect_matches_cpu(native::index_select(to_gpu(x), dim, to_gpu(index)),
                         native::index_select(x, dim, index), 0,
                         "index_select dim " + std::to_string(dim));
    }
    // Non-contiguous input (strided on the GPU), 0-d index.
    expect_matches_cpu(native::index_select(native::transpose(to_gpu(x), 0, 2), 1, to_gpu(index)),
                       native::index_select(native::transpose(x, 0, 2), 1, index), 0,
                       "index_select transposed");
    const Tensor scalar = indices({3}, {});
    expect_matches_cpu(native::index_select(to_gpu(x), 0, to_gpu(scalar)),
                       native::index_select(x, 0, scalar), 0, "index_select 0-d index");
  }
  const Tensor ints = from_vector<std::int64_t>({10, 11, 12, 13}, {4});
  expect_matches_cpu(native::index_select(to_gpu(ints), 0, to_gpu(index)),
                     native::index_select(ints, 0, index), 0, "index_select int64");
}

TEST(CudaIndex, IndexAddAccumulatesRepeatedIndices) {
  MG_REQUIRE_GPU();
  const Tensor index = indices({1, 3, 1, 1, 0}, {5});
  for (DType dtype : {kFloat32, kFloat64}) {
    const Tensor x = seeded_randn({4, 6}, dtype, 2);
    const Tensor src = seeded_randn({5, 6}, dtype, 3);
    expect_matches_cpu(native::index_add(to_gpu(x), 0, to_gpu(index), to_gpu(src)),
                       native::index_add(x, 0, index, src), 1e-6, "index_add dim 0");
    const Tensor src1 = seeded_randn({6, 5}, dtype, 4);
    const Tensor x1 = seeded_randn({6, 4}, dtype, 5);
    const Tensor gpu = to_gpu(x1);
    native::index_add_(gpu, 1, to_gpu(index), to_gpu(src1));
    expect_matches_cpu(gpu, native::index_add(x1, 1, index, src1), 1e-6, "index_add_ dim 1");
  }
  const Tensor ints = zeros({4}, kInt64);
  const Tensor ones = from_vector<std::int64_t>({1, 2, 3, 4, -5}, {5});
  expect_matches_cpu(native::index_add(to_gpu(ints), 0, to_gpu(index), to_gpu(ones)),
                     native::index_add(ints, 0, index, ones), 0, "index_add int64");
}

TEST(CudaIndex, GatherAndScatterAdd) {
  MG_REQUIRE_GPU();
  Generator generator(7);
  for (DType dtype : {kFloat32, kFloat64}) {
    const Tensor x = seeded_randn({3, 5, 4}, dtype, 8);
    for (std::int64_t dim = 0; dim < 3; ++dim) {
      // The index is smaller than x outside `dim` and repeats entries along it.
      Shape shape{2, 3, 3};
      const Tensor index = randint(0, x.size(dim), shape, kInt64, &generator);
      expect_matches_cpu(native::gather(to_gpu(x), dim, to_gpu(index)),
                         native::gather(x, dim, index), 0, "gather dim " + std::to_string(dim));
      const Tensor src = seeded_randn({3, 4, 3}, dtype, 9 + dim);
      expect_matches_cpu(native::scatter_add(to_gpu(x), dim, to_gpu(index), to_gpu(src)),
                         native::scatter_add(x, dim, index, src), 1e-6,
                         "scatter_add dim " + std::to_string(dim));
    }
    // Non-contiguous input and index.
    const Tensor index = randint(0, 3, {4, 5, 4}, kInt64, &generator);
    expect_matches_cpu(
        native::gather(native::transpose(to_gpu(x), 0, 1), 1,
                       native::transpose(to_gpu(index), 0, 1)),
        native::gather(native::transpose(x, 0, 1), 1, native::transpose(index, 0, 1)), 0,
        "gather strided");
    const Tensor src = seeded_randn({4, 4, 5}, dtype, 20);
    expect_matches_cpu(
        native::scatter_add(native::transpose(to_gpu(x), 0, 1), 1,
                            native::transpose(to_gpu(index), 0, 1),
                            native::transpose(to_gpu(src), 0, 2)),
        native::scatter_add(native::transpose(x, 0, 1), 1, native::transpose(index, 0, 1),
                            native::transpose(src, 0, 2)),
        1e-6, "scatter_add strided");
  }
}

TEST(CudaIndex, BackwardThroughAutograd) {
  MG_REQUIRE_GPU();
  const Tensor index = indices({0, 2, 2, 1}, {4});
  const Tensor x = seeded_randn({3, 5}, kFloat64, 10);
  const Tensor grad = seeded_randn({4, 5}, kFloat64, 11);
  Tensor cpu_x = native::clone(x), gpu_x = to_gpu(x);
  cpu_x.requires_grad_(true);
  gpu_x.requires_grad_(true);
  backward(index_select(cpu_x, 0, index), grad);
  backward(index_select(gpu_x, 0, to_gpu(index)), to_gpu(grad));
  expect_matches_cpu(gpu_x.grad(), cpu_x.grad(), 1e-12, "index_select backward");

  const Tensor gindex = from_vector<std::int64_t>({4, 4, 0, 1, 2, 3}, {3, 2});
  Tensor cpu_y = native::clone(x), gpu_y = to_gpu(x);
  cpu_y.requires_grad_(true);
  gpu_y.requires_grad_(true);
  const Tensor ggrad = seeded_randn({3, 2}, kFloat64, 12);
  backward(gather(cpu_y, 1, gindex), ggrad);
  backward(gather(gpu_y, 1, to_gpu(gindex)), to_gpu(ggrad));
  expect_matches_cpu(gpu_y.grad(), cpu_y.grad(), 1e-12, "gather backward");
}

TEST(CudaIndex, ErrorsNameTheOpAndTheValue) {
  MG_REQUIRE_GPU();
  const Tensor x = to_gpu(seeded_randn({3, 4}, kFloat32, 13));
  EXPECT_MG_ERROR(native::index_select(x, 0, to_gpu(indices({0, 3}, {2}))), "index_select",
                  "index 3", "size 3");
  EXPECT_MG_ERROR(native::gather(x, 1, to_gpu(indices({0, -1}, {1, 2}))), "gather", "index -1");
  EXPECT_MG_ERROR(native::index_select(x, 0, indices({0}, {1})), "index_select", "one device",
                  "cuda:0", "int64[1]");
}

}  // namespace
}  // namespace mg
