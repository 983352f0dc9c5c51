#include <sstream>

#include "test_util.h"
#include "tests/cuda/cuda_test_util.h"

namespace mg {
namespace {

using testing::expect_matches_cpu;
using testing::to_gpu;

const DType kAllDTypes[] = {kBool, kUInt8, kInt64, kFloat32, kFloat64};

// Values that every dtype holds exactly: 0..11 (0 and 1 for bool).
Tensor sample(DType dtype, const Shape& shape = {3, 4}) {
  Tensor x = reshape(arange(static_cast<double>(numel(shape)), kFloat64), shape);
  if (dtype == kBool) x = native::binary(BinaryOp::Gt, x, 5.0);
  return native::to(x, dtype);
}

TEST(CudaCopy, RoundTripKeepsEveryDtype) {
  MG_REQUIRE_GPU();
  for (DType dtype : kAllDTypes) {
    const Tensor x = sample(dtype);
    const Tensor gpu = native::to(x, Device::cuda());
    EXPECT_TRUE(gpu.device().is_cuda());
    EXPECT_EQ(gpu.dtype(), dtype);
    const Tensor back = native::to(gpu, Device::cpu());
    EXPECT_EQ(back.to_vector<double>(), x.to_vector<double>()) << dtype;
  }
}

TEST(CudaCopy, LargeTensorCrossesTheStagingChunks) {
  MG_REQUIRE_GPU();
  Generator generator(3);
  const Tensor x = randn({9, 1 << 20}, kFloat32, &generator);  // 36 MiB: more than one chunk
  const Tensor back = native::to(to_gpu(x), Device::cpu());
  EXPECT_EQ(back.to_vector<float>(), x.to_vector<float>());
}

TEST(CudaCopy, NonContiguousAndExpandedSources) {
  MG_REQUIRE_GPU();
  const std::vector<std::function<Tensor(const Tensor&)>> views = {
      [](const Tensor& t) { return transpose(t, 0, 1); },
      [](const Tensor& t) {
        return expand(slice(t, 0, 0, 1), {5, 4});
      },
      [](const Tensor& t) { return slice(t, 1, 1, 4, 2); },
  };
  const Tensor x = sample(kFloat32, {3, 4});
  const Tensor gpu = to_gpu(x);
  for (std::size_t v = 0; v < views.size(); ++v) {
    const Tensor source = views[v](x);
    // CPU → GPU from a strided source, and a strided GPU view → CPU.
    EXPECT_EQ(native::to(source, Device::cuda()).to_vector<float>(), source.to_vector<float>())
        << "view " << v;
    EXPECT_EQ(native::to(views[v](gpu), Device::cpu()).to_vector<float>(),
              source.to_vector<float>())
        << "view " << v;
  }
}

TEST(CudaCopy, IntoStridedDestinationsOnBothSides) {
  MG_REQUIRE_GPU();
  const Tensor x = sample(kFloat64, {4, 3});
  // CPU → strided GPU destination.
  Tensor gpu = zeros({3, 4}, TensorOptions(kFloat64).device(Device::cuda()));
  native::copy_(transpose(gpu, 0, 1), x);
  EXPECT_EQ(gpu.to_vector<double>(), native::contiguous(transpose(x, 0, 1)).to_vector<double>());
  // GPU → strided CPU destination, converting the dtype on the way.
  Tensor cpu = zeros({3, 4}, kFloat32);
  native::copy_(transpose(cpu, 0, 1), to_gpu(x));
  EXPECT_EQ(cpu.to_vector<double>(), gpu.to_vector<double>());
  // CPU → GPU with a dtype conversion and a broadcast source.
  Tensor ints = zeros({2, 3}, TensorOptions(kInt64).device(Device::cuda()));
  native::copy_(ints, tensor({1.0, 2.0, 3.0}, {3}, kFloat32));
  EXPECT_EQ(ints.to_vector<std::int64_t>(), (std::vector<std::int64_t>{1, 2, 3, 1, 2, 3}));
}

TEST(CudaCopy, DtypeConversionOnTheGpuMatchesCpu) {
  MG_REQUIRE_GPU();
  Generator generator(5);
  // In [0, 120) and with zeros, so that every conversion is defined (a negative float to uint8
  // is undefined behaviour in C++, and the two devices do differ on it).
  const Tensor x =
      mul(native::binary(BinaryOp::Mul, rand({4, 5}, kFloat64, &generator),
                         native::binary(BinaryOp::Gt, rand({4, 5}, kFloat64, &generator), 0.2)),
          120.0);
  for (DType from : kAllDTypes) {
    const Tensor source = native::to(x, from);
    const Tensor gpu_source = to_gpu(source);
    for (DType dtype : kAllDTypes) {
      expect_matches_cpu(native::to(gpu_source, dtype), native::to(source, dtype), 0,
                         str(from, " to ", dtype));
      // And from a non-contiguous GPU view.
      expect_matches_cpu(native::to(transpose(gpu_source, 0, 1), dtype),
                         native::to(transpose(source, 0, 1), dtype), 0,
                         str("transposed ", from, " to ", dtype));
    }
  }
}

TEST(CudaCopy, CloneContiguousAndFillOnTheGpu) {
  MG_REQUIRE_GPU();
  const Tensor x = sample(kInt64, {3, 4});
  const Tensor gpu = to_gpu(x);
  expect_matches_cpu(native::contiguous(transpose(gpu, 0, 1)),
                     native::contiguous(transpose(x, 0, 1)), 0, "contiguous");
  expect_matches_cpu(native::clone(gpu), x, 0, "clone");
  for (DType dtype : kAllDTypes) {
    Tensor filled = empty({2, 3}, TensorOptions(dtype).device(Device::cuda()));
    native::fill_(filled, 1);
    expect_matches_cpu(filled, ones({2, 3}, dtype), 0, str("fill ", dtype));
  }
  // Filling a strided view writes only its elements.
  Tensor grid = zeros({4, 4}, Device::cuda());
  native::fill_(slice(grid, 1, 1, 4, 2), 7);
  Tensor expected = zeros({4, 4});
  native::fill_(slice(expected, 1, 1, 4, 2), 7);
  expect_matches_cpu(grid, expected, 0, "strided fill");
}

TEST(CudaCopy, ItemToVectorAndPrintingOfGpuTensors) {
  MG_REQUIRE_GPU();
  const Tensor x = sample(kFloat32, {2, 3});
  const Tensor gpu = to_gpu(x);
  EXPECT_EQ(gpu.to_vector<float>(), x.to_vector<float>());
  EXPECT_EQ(select(select(gpu, 0, 1), 0, 2).item<float>(), 5.0f);
  EXPECT_EQ(transpose(gpu, 0, 1).to_vector<int>(), (std::vector<int>{0, 3, 1, 4, 2, 5}));
  EXPECT_EQ(to_gpu(sample(kBool, {2, 4})).to_vector<bool>(),
            sample(kBool, {2, 4}).to_vector<bool>());
  // Printed like the CPU tensor, then described with its device.
  std::ostringstream printed, expected;
  printed << gpu;
  expected << x;
  const std::string values = expected.str().substr(0, expected.str().rfind(", float32"));
  EXPECT_EQ(printed.str().rfind(values, 0), 0u) << printed.str();
  EXPECT_NE(printed.str().find("on cuda"), std::string::npos) << printed.str();
}

TEST(CudaCopy, EmptyTensorsCopy) {
  MG_REQUIRE_GPU();
  const Tensor x = zeros({0, 3});
  const Tensor gpu = to_gpu(x);
  EXPECT_EQ(gpu.shape(), (Shape{0, 3}));
  EXPECT_EQ(native::to(gpu, Device::cpu()).numel(), 0);
}

// Uploads from pinned memory are asynchronous: the results must still be right when the host
// frees (or reuses) the pinned block at once, and downloads into pinned memory are complete on
// return. Many rounds, so that freed blocks come back from the cache while uploads are queued.
TEST(CudaCopy, PinnedUploadsAndDownloads) {
  MG_REQUIRE_GPU();
  const TensorOptions pinned = TensorOptions(kFloat32).pinned_memory(true);
  std::vector<Tensor> uploaded;
  for (int round = 0; round < 32; ++round) {
    Tensor host = full({256, 1024}, static_cast<double>(round), pinned);
    ASSERT_TRUE(host.is_pinned());
    uploaded.push_back(native::to(host, Device::cuda()));
    host = Tensor();  // the block goes back to the cache with its upload possibly still queued
    Tensor overwrite = full({256, 1024}, -1.0, pinned);  // may get a block back from the cache
  }
  for (int round = 0; round < 32; ++round) {
    Tensor back = empty({256, 1024}, pinned);
    native::copy_(back, uploaded[static_cast<std::size_t>(round)]);
    const std::vector<float> values = back.to_vector<float>();
    EXPECT_TRUE(std::all_of(values.begin(), values.end(),
                            [&](float v) { return v == static_cast<float>(round); }))
        << "round " << round;
  }
}

TEST(CudaCopy, PinnedSourceOfAnotherDtypeOrLayoutIsConvertedFirst) {
  MG_REQUIRE_GPU();
  Tensor host = empty({4, 3}, TensorOptions(kFloat64).pinned_memory(true));
  native::copy_(host, reshape(arange(12.0, kFloat64), {4, 3}));
  const Tensor transposed = transpose(host, 0, 1);
  expect_matches_cpu(native::to(native::to(transposed, Device::cuda()), kFloat32),
                     native::to(transposed, kFloat32), 0, "transposed pinned source");
}

TEST(CudaCopy, PinMemoryCopiesOnceKeepsValuesAndGradients) {
  MG_REQUIRE_GPU();
  const Tensor x = transpose(reshape(arange(12.0, kFloat64), {3, 4}), 0, 1).requires_grad_();
  const Tensor pinned = pin_memory(x);
  ASSERT_TRUE(pinned.is_pinned());
  EXPECT_TRUE(pinned.is_contiguous());
  EXPECT_EQ(pinned.to_vector<double>(), native::contiguous(x).to_vector<double>());
  EXPECT_TRUE(pin_memory(pinned).is_same(pinned));  // already pinned: no second copy
  backward(sum(mul(pinned, pinned)));
  EXPECT_EQ(x.grad().to_vector<double>(), native::to(mul(x, 2.0), kFloat64).to_vector<double>());
  EXPECT_MG_ERROR(pin_memory(to_gpu(x.detach())), "pin_memory", "CPU");
}

}  // namespace
}  // namespace mg
