#include "test_util.h"
#include "tests/cuda/cuda_test_util.h"

namespace mg::testing {
namespace {

TEST(CudaEvent, TimesQueuedWorkAndWaitsForIt) {
  MG_REQUIRE_GPU();
  const Tensor a = to_gpu(randn({1024, 1024}));
  cuda::Event start, end;
  EXPECT_TRUE(start.query());  // nothing recorded: nothing to wait for
  start.record();
  Tensor c = a;
  for (int i = 0; i < 20; ++i) c = matmul(c, a);
  end.record();
  end.synchronize();
  EXPECT_TRUE(end.query());
  const double ms = start.elapsed_time(end);
  EXPECT_GT(ms, 0.0);
  EXPECT_LT(ms, 60e3);
}

TEST(CudaEvent, ElapsedTimeNeedsBothEventsRecorded) {
  MG_REQUIRE_GPU();
  cuda::Event start, end;
  start.record();
  EXPECT_MG_ERROR(start.elapsed_time(end), "cuda::Event::elapsed_time", "recorded");
  EXPECT_MG_ERROR(cuda::Event(cuda::device_count()), "cuda::Event", "no device");
}

TEST(CudaEvent, ExistsExactlyWhereAGpuIs) {
  if (cuda::is_available()) {
    const cuda::Event event;
    EXPECT_TRUE(event.query());
  } else {
    EXPECT_MG_ERROR(cuda::Event(), "cuda::Event");
  }
}

}  // namespace
}  // namespace mg::testing
