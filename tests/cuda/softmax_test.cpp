#include "core/ops_copy.h"
#include "core/ops_elementwise.h"
#include "core/ops_nn.h"
#include "tests/cuda/cuda_test_util.h"

namespace mg {
namespace {

using testing::expect_matches_cpu;
using testing::gpu_rtol;
using testing::seeded_randn;
using testing::to_gpu;

// Short rows (a warp each), long rows (a block each), a middle dim (a thread per column) and
// the first dim, with logits large enough that skipping the max subtraction would overflow.
struct Case {
  Shape shape;
  std::int64_t dim;
};
const Case kCases[] = {{{7, 13}, 1}, {{3, 2500}, -1}, {{4, 5, 6}, 1}, {{9, 33}, 0}, {{5}, 0}};

TEST(CudaSoftmax, ForwardMatchesCpu) {
  MG_REQUIRE_GPU();
  for (DType dtype : {kFloat32, kFloat64}) {
    for (const Case& c : kCases) {
      const Tensor x = seeded_randn(c.shape, dtype, 1, 30);
      const std::string what = str(describe(x), " dim ", c.dim);
      expect_matches_cpu(native::softmax(to_gpu(x), c.dim), native::softmax(x, c.dim),
                         gpu_rtol(dtype), "softmax " + what);
      expect_matches_cpu(native::log_softmax(to_gpu(x), c.dim), native::log_softmax(x, c.dim),
                         gpu_rtol(dtype), "log_softmax " + what);
    }
  }
}

TEST(CudaSoftmax, LargeLogitsStayFinite) {
  MG_REQUIRE_GPU();
  const Tensor x = from_vector<float>({1000, 1001, 1002, -1000}, {1, 4});
  expect_matches_cpu(native::softmax(to_gpu(x), 1), native::softmax(x, 1), 1e-6, "softmax");
  expect_matches_cpu(native::log_softmax(to_gpu(x), 1), native::log_softmax(x, 1), 1e-6,
                     "log_softmax");
}

TEST(CudaSoftmax, BackwardKernelsMatchCpu) {
  MG_REQUIRE_GPU();
  for (DType dtype : {kFloat32, kFloat64}) {
    for (const Case& c : kCases) {
      const Tensor x = seeded_randn(c.shape, dtype, 2, 3);
      const Tensor g = seeded_randn(c.shape, dtype, 3);
      const std::string what = str(describe(x), " dim ", c.dim);
      const Tensor y = native::softmax(x, c.dim), log_y = native::log_softmax(x, c.dim);
      expect_matches_cpu(native::softmax_backward(to_gpu(g), to_gpu(y), c.dim),
                         native::softmax_backward(g, y, c.dim), gpu_rtol(dtype),
                         "softmax_backward " + what);
      expect_matches_cpu(native::log_softmax_backward(to_gpu(g), to_gpu(log_y), c.dim),
                         native::log_softmax_backward(g, log_y, c.dim), gpu_rtol(dtype),
                         "log_softmax_backward " + what);
    }
  }
}

TEST(CudaSoftmax, GradientThroughAutograd) {
  MG_REQUIRE_GPU();
  for (bool log : {false, true}) {
    const Tensor x = seeded_randn({6, 40}, kFloat64, 4);
    const Tensor g = seeded_randn({6, 40}, kFloat64, 5);
    Tensor cpu_x = native::clone(x), gpu_x = to_gpu(x);
    cpu_x.requires_grad_(true);
    gpu_x.requires_grad_(true);
    const auto f = [&](const Tensor& t) { return log ? log_softmax(t, 1) : softmax(t, 1); };
    backward(f(cpu_x), g);
    backward(f(gpu_x), to_gpu(g));
    expect_matches_cpu(gpu_x.grad(), cpu_x.grad(), 1e-12, log ? "log_softmax" : "softmax");
  }
}

}  // namespace
}  // namespace mg
