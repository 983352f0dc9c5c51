#include "core/allocator.h"
#include "test_util.h"
#include "tests/cuda/cuda_test_util.h"

namespace mg {
namespace {

TEST(CudaAllocator, FreedBlockIsReusedWithoutGrowingReserved) {
  MG_REQUIRE_GPU();
  Allocator& allocator = cuda::allocator(0);
  // An odd size that no other test's tensor rounds to.
  const std::size_t nbytes = (std::size_t(7) << 20) + 123;
  void* first = allocator.allocate(nbytes);
  ASSERT_NE(first, nullptr);
  const auto before = cuda::memory_stats(0);
  allocator.deallocate(first, nbytes);
  EXPECT_LT(cuda::memory_stats(0).allocated_bytes, before.allocated_bytes);
  void* second = allocator.allocate(nbytes);
  EXPECT_EQ(second, first);
  EXPECT_EQ(cuda::memory_stats(0).reserved_bytes, before.reserved_bytes);
  EXPECT_EQ(cuda::memory_stats(0).allocated_bytes, before.allocated_bytes);
  allocator.deallocate(second, nbytes);
}

TEST(CudaAllocator, TensorsOfOneStepReuseTheirMemory) {
  MG_REQUIRE_GPU();
  auto step = [] {
    Tensor x = ones({1000, 300}, Device::cuda());
    Tensor y = mul(add(x, x), 3.0);
    return sum(y).item<double>();
  };
  EXPECT_EQ(step(), 6.0 * 300000);
  const auto reserved = cuda::memory_stats(0).reserved_bytes;
  for (int i = 0; i < 5; ++i) EXPECT_EQ(step(), 6.0 * 300000);
  EXPECT_EQ(cuda::memory_stats(0).reserved_bytes, reserved);
}

TEST(CudaAllocator, PeakCountsTheLargestHoldingSinceReset) {
  MG_REQUIRE_GPU();
  cuda::reset_peak_memory_stats(0);
  const auto start = cuda::memory_stats(0);
  EXPECT_EQ(start.peak_allocated_bytes, start.allocated_bytes);
  const std::int64_t bytes = std::int64_t(64) << 20;  // a multiple of the rounding
  {
    Tensor big = empty({bytes}, TensorOptions(kUInt8).device(Device::cuda()));
    EXPECT_EQ(cuda::memory_stats(0).allocated_bytes, start.allocated_bytes + bytes);
  }
  const auto after = cuda::memory_stats(0);
  EXPECT_EQ(after.allocated_bytes, start.allocated_bytes);
  EXPECT_EQ(after.peak_allocated_bytes, start.allocated_bytes + bytes);
  EXPECT_GE(after.reserved_bytes, start.allocated_bytes + bytes);
  cuda::reset_peak_memory_stats(0);
  EXPECT_EQ(cuda::memory_stats(0).peak_allocated_bytes, after.allocated_bytes);
}

TEST(CudaAllocator, EmptyCacheDropsReservedToAllocated) {
  MG_REQUIRE_GPU();
  Tensor kept = zeros({1000}, Device::cuda());
  { Tensor dropped = zeros({1 << 20}, Device::cuda()); }
  EXPECT_GT(cuda::memory_stats(0).reserved_bytes, cuda::memory_stats(0).allocated_bytes);
  cuda::empty_cache();
  const auto stats = cuda::memory_stats(0);
  EXPECT_EQ(stats.reserved_bytes, stats.allocated_bytes);
  EXPECT_EQ(sum(kept).item<double>(), 0.0);
}

TEST(CudaAllocator, OutOfMemoryIsAnErrorAndTheAllocatorStillWorks) {
  MG_REQUIRE_GPU();
  const std::int64_t huge = std::int64_t(1) << 50;  // 1 PiB
  EXPECT_MG_ERROR(empty({huge}, TensorOptions(kUInt8).device(Device::cuda())), "cuda:0",
                  "out of memory", "1125899906842624 bytes", "allocated", "reserved");
  Tensor x = full({4}, 2.0, Device::cuda());
  EXPECT_EQ(sum(x).item<double>(), 8.0);
}

TEST(CudaAllocator, MemoryStatsOfAMissingDeviceIsAnError) {
  MG_REQUIRE_GPU();
  EXPECT_MG_ERROR(cuda::memory_stats(cuda::device_count()), "no such device");
}

}  // namespace
}  // namespace mg
