#include "datasets/transforms.h"

#include <cmath>
#include <set>

#include "core/random.h"
#include "test_util.h"

namespace mg::data {
namespace {

using testing::expect_values;

Tensor row(const std::vector<double>& values) {
  return tensor(values, {1, 1, static_cast<std::int64_t>(values.size())}, kFloat32);
}

bool same(const Tensor& a, const Tensor& b) {
  return a.shape() == b.shape() && a.to_vector<float>() == b.to_vector<float>();
}

TEST(ToTensor, HwcUint8BecomesChwOverTwoFiftyFive) {
  const Tensor pixels = tensor({0, 255, 51, 102, 1, 2, 3, 4, 5, 6, 7, 8}, {2, 2, 3}, kUInt8);
  std::vector<double> expected;
  for (double v : {0, 102, 3, 6, 255, 1, 4, 7, 51, 2, 5, 8}) expected.push_back(v / 255);
  expect_values(to_tensor(pixels), expected, {3, 2, 2}, 1e-7);
  EXPECT_EQ(to_tensor(tensor({7, 9}, {1, 2}, kUInt8)).shape(), Shape({1, 1, 2}));
}

TEST(ToTensor, RejectsNonUint8) {
  EXPECT_MG_ERROR(to_tensor(zeros({2, 2, 3})), "to_tensor", "float32[2, 2, 3]");
}

TEST(Resize, DownscaleByTwoUsesTheWidenedTriangle) {
  // Support 2: taps 1/8, 3/8, 3/8, 1/8, cut and renormalised at the borders.
  expect_values(resize(row({0, 1, 2, 3, 4, 5, 6, 7}), 1, 4), {1.25 / 1.75, 2.5, 4.5, 11.0 / 1.75},
                {1, 1, 4}, 1e-6);
}

TEST(Resize, UpscaleIsPlainBilinearWithClampedBorders) {
  expect_values(resize(row({0, 4}), 1, 4), {0, 1, 3, 4}, {1, 1, 4}, 1e-6);
  expect_values(resize(tensor({0, 4}, {1, 2, 1}, kFloat32), 4, 1), {0, 1, 3, 4}, {1, 4, 1}, 1e-6);
}

TEST(Resize, SameSizeIsIdentityAndConstantsStayConstant) {
  const Tensor image = rand({3, 5, 7});
  EXPECT_TRUE(same(resize(image, 5, 7), image));
  expect_values(resize(full({2, 9, 13}, 0.25), 4, 20), std::vector<double>(2 * 4 * 20, 0.25),
                {2, 4, 20}, 1e-6);
}

TEST(Resize, LeadingDimensionsAreABatch) {
  const Tensor clip = rand({2, 3, 9, 11});
  const Tensor out = resize(clip, 5, 6);
  EXPECT_TRUE(same(select(out, 0, 1), resize(select(clip, 0, 1), 5, 6)));
}

TEST(Resize, SmallerEdgeKeepsAspectTruncated) {
  EXPECT_EQ(resize(rand({3, 23, 31}), 10).shape(), Shape({3, 10, 13}));
  EXPECT_EQ(resize(rand({3, 17, 12}), 26).shape(), Shape({3, 36, 26}));
}

TEST(Resize, Errors) {
  EXPECT_MG_ERROR(resize(rand({3, 4, 4}), 0, 2), "resize", "0 x 2");
  EXPECT_MG_ERROR(resize(zeros({4, 4}, kFloat64), 2, 2), "resize", "float64[4, 4]");
}

TEST(Crop, OutsideTheImageIsZero) {
  expect_values(crop(row({1, 2, 3}), 0, -1, 2, 3), {0, 1, 2, 0, 0, 0}, {1, 2, 3}, 0);
}

TEST(CenterCrop, OffsetsRoundHalfToEven) {
  // (5-4)/2 = 0.5 -> 0, (7-4)/2 = 1.5 -> 2, (9-4)/2 = 2.5 -> 2.
  expect_values(center_crop(row({0, 1, 2, 3, 4}), 1, 4), {0, 1, 2, 3}, {1, 1, 4}, 0);
  expect_values(center_crop(row({0, 1, 2, 3, 4, 5, 6}), 1, 4), {2, 3, 4, 5}, {1, 1, 4}, 0);
  expect_values(center_crop(row({0, 1, 2, 3, 4, 5, 6, 7, 8}), 1, 4), {2, 3, 4, 5}, {1, 1, 4}, 0);
}

TEST(CenterCrop, LargerCropPadsOddPixelAfter) {
  expect_values(center_crop(row({1, 2, 3}), 1, 6), {0, 1, 2, 3, 0, 0}, {1, 1, 6}, 0);
  expect_values(center_crop(row({1, 2, 3}), 2, 3), {1, 2, 3, 0, 0, 0}, {1, 2, 3}, 0);
}

TEST(Hflip, MirrorsColumns) {
  expect_values(hflip(tensor({1, 2, 3, 4, 5, 6}, {1, 2, 3}, kFloat32)), {3, 2, 1, 6, 5, 4},
                {1, 2, 3}, 0);
}

TEST(Normalize, PerChannel) {
  const Tensor image = tensor({1, 2, 3, 4}, {2, 1, 2}, kFloat32);
  expect_values(normalize(image, {1, 2}, {2, 0.5}), {0, 0.5, 2, 4}, {2, 1, 2}, 1e-6);
  expect_values(normalize(image, {1}, {2}), {0, 0.5, 1, 1.5}, {2, 1, 2}, 1e-6);
  EXPECT_MG_ERROR(normalize(image, {1, 2, 3}, {1, 1, 1}), "normalize", "3 means", "2 channels");
  EXPECT_MG_ERROR(normalize(image, {0}, {0}), "normalize", "zero std");
}

TEST(RandomResizedCropBox, DeterministicGivenTheSeed) {
  Generator a(7), b(7);
  for (int i = 0; i < 20; ++i) {
    const CropBox x = random_resized_crop_box(37, 53, {0.08, 1.0}, {0.75, 4.0 / 3}, a);
    const CropBox y = random_resized_crop_box(37, 53, {0.08, 1.0}, {0.75, 4.0 / 3}, b);
    EXPECT_EQ(std::tie(x.top, x.left, x.height, x.width),
              std::tie(y.top, y.left, y.height, y.width));
  }
}

TEST(RandomResizedCropBox, BoxesFollowScaleAndRatioAndStayInside) {
  Generator generator(1);
  std::set<std::int64_t> tops;
  for (int i = 0; i < 500; ++i) {
    const CropBox box = random_resized_crop_box(100, 120, {0.2, 0.5}, {0.75, 4.0 / 3}, generator);
    ASSERT_GE(box.top, 0);
    ASSERT_GE(box.left, 0);
    ASSERT_LE(box.top + box.height, 100);
    ASSERT_LE(box.left + box.width, 120);
    // Rounding w and h moves the area and aspect by at most about one pixel's worth.
    const double area = double(box.height * box.width) / (100 * 120);
    EXPECT_GT(area, 0.2 - 0.03);
    EXPECT_LT(area, 0.5 + 0.03);
    const double aspect = double(box.width) / double(box.height);
    EXPECT_GT(aspect, 0.75 - 0.05);
    EXPECT_LT(aspect, 4.0 / 3 + 0.05);
    tops.insert(box.top);
  }
  EXPECT_GT(tops.size(), 20u);
}

TEST(RandomResizedCropBox, FallbackIsCentredWithClampedAspect) {
  // Scale above 1 can never fit, so all 10 attempts fail.
  Generator generator(3);
  const auto fallback = [&](std::int64_t h, std::int64_t w) {
    const CropBox box = random_resized_crop_box(h, w, {2.0, 3.0}, {0.75, 4.0 / 3}, generator);
    return std::vector<std::int64_t>{box.top, box.left, box.height, box.width};
  };
  EXPECT_EQ(fallback(10, 40), std::vector<std::int64_t>({0, 13, 10, 13}));  // w = round(13.3)
  EXPECT_EQ(fallback(40, 10), std::vector<std::int64_t>({13, 0, 13, 10}));  // h = round(13.3)
  EXPECT_EQ(fallback(30, 35), std::vector<std::int64_t>({0, 0, 30, 35}));   // whole image
}

TEST(RandomResizedCrop, EachFrameGetsItsOwnCrop) {
  const RandomResizedCrop transform(8, 8);
  Generator generator(5);
  const Tensor frame = rand({3, 37, 53}, kFloat32, &generator);
  const Tensor clip = stack({frame, frame, frame, frame}, 0);
  const Tensor out = transform(clip, generator);
  EXPECT_EQ(out.shape(), Shape({4, 3, 8, 8}));
  EXPECT_FALSE(same(select(out, 0, 0), select(out, 0, 1)));
  Generator again(5);
  rand({3, 37, 53}, kFloat32, &again);  // the same draws as `frame`, to reach the same state
  EXPECT_TRUE(same(transform(clip, again), out));
}

TEST(RandomResizedCrop, IsTheResizedCropOfTheDrawnBox) {
  const Tensor image = rand({3, 20, 30});
  Generator a(11), b(11);
  const CropBox box = random_resized_crop_box(20, 30, {0.08, 1.0}, {0.75, 4.0 / 3}, a);
  EXPECT_TRUE(same(RandomResizedCrop(6, 9)(image, b),
                   resized_crop(image, box.top, box.left, box.height, box.width, 6, 9)));
}

TEST(Resize, RowsAreResampledIndependently) {
  // The horizontal pass filters rows 8 at a time; 2 x 13 rows leave partial groups.
  const Tensor image = rand({2, 13, 37});
  for (std::int64_t width : {20, 50}) {
    const Tensor out = resize(image, 13, width);
    for (std::int64_t r = 0; r < 13; ++r)
      EXPECT_TRUE(same(resize(crop(image, r, 0, 1, 37), 1, width), crop(out, r, 0, 1, width)))
          << "row " << r << ", width " << width;
  }
}

TEST(ResizedCrop, EqualsCropThenResize) {
  // Boxes inside the image are resampled in place (no crop copy): the same values, bit for bit.
  const Tensor image = rand({2, 3, 41, 57});
  const std::vector<CropBox> boxes = {
      {0, 0, 41, 57}, {5, 7, 11, 13}, {20, 30, 21, 27}, {3, 0, 9, 57}, {0, 50, 41, 7}};
  for (const CropBox& box : boxes)
    for (std::int64_t out : {6, 24}) {
      const Tensor expected =
          resize(crop(image, box.top, box.left, box.height, box.width), out, out + 3);
      EXPECT_TRUE(same(resized_crop(image, box.top, box.left, box.height, box.width, out, out + 3),
                       expected))
          << box.top << " " << box.left << " " << box.height << " " << box.width << " -> " << out;
    }
  // Partly outside: the zero padding of crop.
  EXPECT_TRUE(
      same(resized_crop(image, -3, 50, 10, 12, 5, 5), resize(crop(image, -3, 50, 10, 12), 5, 5)));
}

TEST(RandomHorizontalFlip, ProbabilityZeroOneAndPerFrame) {
  const Tensor image = rand({3, 4, 5});
  Generator generator(2);
  EXPECT_TRUE(same(RandomHorizontalFlip(0.0)(image, generator), image));
  EXPECT_TRUE(same(RandomHorizontalFlip(1.0)(image, generator), hflip(image)));
  const Tensor clip = stack(std::vector<Tensor>(16, image), 0);
  const Tensor out = RandomHorizontalFlip(0.5)(clip, generator);
  int flipped = 0;
  for (int t = 0; t < 16; ++t) flipped += same(select(out, 0, t), hflip(image));
  EXPECT_GT(flipped, 0);
  EXPECT_LT(flipped, 16);
  EXPECT_MG_ERROR(RandomHorizontalFlip(1.5), "RandomHorizontalFlip", "1.5");
}

}  // namespace
}  // namespace mg::data
