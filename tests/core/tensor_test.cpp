#include <limits>
#include <sstream>

#include "core/allocator.h"
#include "core/ops_view.h"
#include "test_util.h"

namespace mg {
namespace {

using testing::expect_values;

TEST(Tensor, FactoriesFillShapeDtypeAndValues) {
  expect_values(zeros({2, 3}), {0, 0, 0, 0, 0, 0}, {2, 3});
  expect_values(ones({2}, kFloat64), {1, 1}, {2});
  expect_values(full({2, 2}, 2.5), {2.5, 2.5, 2.5, 2.5}, {2, 2});
  expect_values(arange(5), {0, 1, 2, 3, 4}, {5});
  expect_values(arange(1, 2, 0.25), {1, 1.25, 1.5, 1.75}, {4});
  expect_values(arange(3, 0, -1), {3, 2, 1}, {3});
  expect_values(linspace(0, 1, 5), {0, 0.25, 0.5, 0.75, 1}, {5});
  expect_values(eye(2, 3), {1, 0, 0, 0, 1, 0}, {2, 3});
  expect_values(tensor({1, 2, 3, 4}, {2, 2}), {1, 2, 3, 4}, {2, 2});
  expect_values(scalar_tensor(7), {7}, {});
  EXPECT_EQ(zeros({2}).dtype(), kFloat32);
  EXPECT_EQ(arange(3, kInt64).dtype(), kInt64);
  EXPECT_EQ(from_vector(std::vector<std::int64_t>{5, 6}).dtype(), kInt64);
  EXPECT_EQ(zeros_like(ones({3}, kFloat64)).dtype(), kFloat64);
  EXPECT_EQ(tensor({1.5}, {}, kInt64).item<std::int64_t>(), 1);
}

TEST(Tensor, StorageIs64ByteAligned) {
  for (int n : {1, 3, 17, 1000}) {
    const Tensor t = empty({n});
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(t.raw_data()) % kCpuAlignment, 0u);
  }
}

TEST(Tensor, ItemAndToVectorConvert) {
  const Tensor t = tensor({1.5, -2.0}, {}, kFloat64);
  EXPECT_EQ(t.to_vector<float>(), (std::vector<float>{1.5f, -2.0f}));
  EXPECT_EQ(select(t, 0, 1).item<int>(), -2);
  EXPECT_MG_ERROR(t.item<double>(), "item", "one element", "float64[2]");
  EXPECT_MG_ERROR(t.data_ptr<float>(), "data_ptr", "float32", "float64[2]");
}

TEST(Tensor, ViewsShareStorage) {
  Tensor base = arange(12);
  const Tensor v = view(base, {3, 4});
  const Tensor tr = transpose(v, 0, 1);
  const Tensor row = narrow(v, 0, 1, 1);
  const Tensor col = select(v, 1, 2);
  const Tensor expanded = expand(unsqueeze(arange(3), 0), {4, 3});
  for (const Tensor* t : {&v, &tr, &row, &col}) EXPECT_EQ(t->storage(), base.storage());
  EXPECT_FALSE(tr.is_contiguous());
  EXPECT_EQ(tr.strides(), (Shape{1, 4}));
  expect_values(row, {4, 5, 6, 7}, {1, 4});
  expect_values(col, {2, 6, 10}, {3});
  EXPECT_EQ(expanded.strides(), (Shape{0, 1}));
  expect_values(expanded, {0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2}, {4, 3});
  expect_values(slice(base, 0, 1, 10, 3), {1, 4, 7}, {3});
  expect_values(permute(view(base, {2, 3, 2}), {2, 0, 1}), {0, 2, 4, 6, 8, 10, 1, 3, 5, 7, 9, 11},
                {2, 2, 3});
  EXPECT_EQ(squeeze(zeros({1, 3, 1})).shape(), (Shape{3}));
  EXPECT_EQ(squeeze(zeros({1, 3, 1}), 2).shape(), (Shape{1, 3}));
  EXPECT_EQ(flatten(zeros({2, 3, 4}), 1).shape(), (Shape{2, 12}));
  // A write through a view is seen by the base.
  NoGradGuard no_grad;
  fill_(col, -1);
  expect_values(base, {0, 1, -1, 3, 4, 5, -1, 7, 8, 9, -1, 11}, {12});
}

TEST(Tensor, ReshapeViewsWhenPossibleAndCopiesOtherwise) {
  const Tensor base = arange(6);
  const Tensor m = view(base, {2, 3});
  EXPECT_EQ(reshape(m, {3, 2}).storage(), base.storage());
  EXPECT_EQ(reshape(m, {-1}).shape(), (Shape{6}));
  const Tensor tr = transpose(m, 0, 1);
  EXPECT_MG_ERROR(view(tr, {6}), "view", "reshape");
  const Tensor flat = reshape(tr, {6});
  EXPECT_NE(flat.storage(), base.storage());
  expect_values(flat, {0, 3, 1, 4, 2, 5}, {6});
  EXPECT_MG_ERROR(reshape(m, {4, -1}), "reshape", "[4, -1]", "6 elements");
  EXPECT_MG_ERROR(reshape(m, {-1, -1}), "reshape", "only one dimension can be -1");
}

TEST(Tensor, InPlaceOpsBumpTheSharedVersion) {
  Tensor base = zeros({4});
  const Tensor part = narrow(base, 0, 1, 2);
  const auto v0 = base.version();
  EXPECT_EQ(part.version(), v0);
  add_(part, 1.0);
  EXPECT_GT(base.version(), v0);
  EXPECT_EQ(part.version(), base.version());
  const auto v1 = base.version();
  mul_(base, 2.0);
  zero_(part);
  copy_(base, ones({4}));
  clamp_(base, 0.0, 0.5);
  fill_(base, 3);
  EXPECT_EQ(base.version(), v1 + 5);
  EXPECT_EQ(base.detach().version(), base.version());
}

TEST(Tensor, PrintsValuesAndDescribesShape) {
  std::ostringstream out;
  out << tensor({1, 2, 3, 4}, {2, 2});
  EXPECT_NE(out.str().find("[[1, 2],"), std::string::npos) << out.str();
  EXPECT_NE(out.str().find("float32[2, 2]"), std::string::npos) << out.str();
  EXPECT_EQ(describe(zeros({3}, kInt64)), "int64[3]");
  std::ostringstream big;
  big << arange(5000);
  EXPECT_NE(big.str().find("..."), std::string::npos);
}

TEST(Tensor, BadShapesAndDevicesRaiseClearErrors) {
  EXPECT_MG_ERROR(zeros({2, -1}), "negative size");
  EXPECT_MG_ERROR(tensor({1, 2, 3}, {2, 2}), "tensor", "3 values", "[2, 2]");
  EXPECT_MG_ERROR(narrow(zeros({3}), 0, 2, 2), "narrow", "out of bounds");
  EXPECT_MG_ERROR(permute(zeros({2, 3}), {0, 0}), "permute", "repeats");
  EXPECT_MG_ERROR(expand(zeros({2, 3}), {4, 3}), "expand", "float32[2, 3]", "[4, 3]");
  EXPECT_MG_ERROR(transpose(zeros({2, 3}), 0, 2), "transpose", "dimension 2 out of range");
  EXPECT_MG_ERROR(zeros({2}, Device::cuda(0)), "cuda:0");
  EXPECT_MG_ERROR(Device::parse("tpu"), "unknown device 'tpu'");
  EXPECT_EQ(Device::parse("cuda:1"), Device::cuda(1));
}

TEST(Tensor, InPlaceWritesIntoBroadcastViewsRaise) {
  // Several elements of an expanded view share one memory location: writing them in place
  // would race and keep only one of the values.
  const Tensor base = zeros({1});
  const Tensor wide = expand(base, {4});
  NoGradGuard no_grad;
  EXPECT_MG_ERROR(add_(wide, tensor({1, 2, 3, 4})), "add_", "broadcast view", "float32[4]");
  EXPECT_MG_ERROR(copy_(wide, tensor({1, 2, 3, 4})), "copy_", "broadcast view");
  EXPECT_MG_ERROR(fill_(wide, 1), "fill_", "broadcast view");
  EXPECT_MG_ERROR(clamp_(wide, 0.0, 1.0), "clamp_", "broadcast view");
  EXPECT_MG_ERROR(uniform_(wide, 0, 1), "uniform_", "broadcast view");
  EXPECT_EQ(base.item<float>(), 0.0f);
}

TEST(Tensor, SizesThatOverflowRaise) {
  EXPECT_MG_ERROR(empty({std::int64_t{1} << 32, std::int64_t{1} << 32}), "more elements");
  EXPECT_MG_ERROR(empty({std::int64_t{1} << 61}, kFloat64), "bytes");
  EXPECT_MG_ERROR(expand(ones({1}), {-2}), "expand", "invalid size -2");
  // A step larger than the dim keeps one element, whatever its size.
  testing::expect_values(slice(arange(2), 0, 0, 2, std::numeric_limits<std::int64_t>::max()), {0},
                         {1});
  testing::expect_values(slice(arange(5), 0, 1, 5, 3), {1, 4}, {2});
  EXPECT_EQ(slice(arange(5), 0, 3, 1).numel(), 0);
}

TEST(Tensor, ZeroDimTensorsStillCheckDims) {
  const Tensor s = scalar_tensor(3);
  EXPECT_MG_ERROR(transpose(s, 0, 5), "transpose", "dimension 5 out of range");
  EXPECT_MG_ERROR(flatten(s, 2), "flatten", "out of range");
  EXPECT_MG_ERROR(squeeze(s, 1), "squeeze", "out of range");
  EXPECT_EQ(transpose(s, 0, -1).dim(), 0);
  testing::expect_values(linspace(0, 10, 1), {0}, {1});
}

TEST(Tensor, PrintingLeavesTheStreamPrecisionAlone) {
  std::ostringstream out;
  out.precision(10);
  out << tensor({1.0 / 3}) << ' ' << 3.14159265;
  EXPECT_NE(out.str().find("3.14159265"), std::string::npos) << out.str();
}

TEST(Tensor, MemoryIsReturned) {
  const auto before = cpu_memory_stats().current_bytes;
  { const Tensor t = zeros({1000}); }
  EXPECT_EQ(cpu_memory_stats().current_bytes, before);
}

}  // namespace
}  // namespace mg
