#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "datasets/transforms.h"
#include "parity_util.h"

// Against tools/reference/transforms.py (torchvision 0.14); the sizes and boxes are the script's.
namespace mg::data {
namespace {

struct Size {
  std::int64_t height, width;
};
struct Box {
  std::int64_t top, left, height, width;
  Size out;
};

constexpr int kImages = 2;
const std::vector<Size> kResizes = {{12, 18}, {7, 9}, {30, 41}, {23, 16}, {31, 8}};
const std::vector<std::int64_t> kShortSides = {10, 26};
const std::vector<Size> kCenterCrops = {{12, 18}, {10, 10}, {22, 30}, {26, 36}, {27, 11}};
const std::vector<Box> kResizedCrops = {
    {3, 2, 10, 8, {12, 12}}, {0, 0, 17, 12, {16, 16}}, {2, 3, 8, 6, {20, 14}}};
const std::vector<Size> kPilResizes = {{12, 18}, {30, 41}};

// Float pipelines: computed the same way as torch, up to float rounding.
constexpr double kFloatTolerance = 1e-5;
// PIL resizes uint8 with 22-bit fixed-point weights and rounds to uint8 after each of its two
// passes: up to half a level per pass, 1/255 in all, plus the weights' quantisation.
constexpr double kPilTolerance = 1.0 / 255 + 1e-5;

double max_abs_error(const Tensor& actual, const Tensor& expected, const std::string& what) {
  NoGradGuard no_grad;
  EXPECT_EQ(actual.shape(), expected.shape()) << what;
  if (actual.shape() != expected.shape()) return 1e30;
  const double error = max(abs(sub(to(actual, kFloat64), to(expected, kFloat64)))).item<double>();
  if (std::getenv("MG_PARITY_REPORT")) std::printf("parity %s %.3g\n", what.c_str(), error);
  return error;
}

std::string size_key(Size size) {
  return std::to_string(size.height) + "x" + std::to_string(size.width);
}

class TransformsParity : public ::testing::Test {
 protected:
  testing::Fixture fixture{"transforms"};
  const Tensor& image(int k) const { return fixture.get("image." + std::to_string(k)); }
  void expect(const Tensor& actual, const std::string& key, double tolerance) const {
    EXPECT_LE(max_abs_error(actual, fixture.get(key), key), tolerance) << key;
  }
};

TEST_F(TransformsParity, Resize) {
  for (int k = 0; k < kImages; ++k) {
    for (Size size : kResizes)
      expect(resize(image(k), size.height, size.width),
             "resize." + std::to_string(k) + "." + size_key(size), kFloatTolerance);
    for (std::int64_t side : kShortSides)
      expect(resize(image(k), side),
             "resize_short." + std::to_string(k) + "." + std::to_string(side), kFloatTolerance);
  }
}

TEST_F(TransformsParity, CenterCrop) {
  for (int k = 0; k < kImages; ++k)
    for (Size size : kCenterCrops)
      expect(center_crop(image(k), size.height, size.width),
             "center_crop." + std::to_string(k) + "." + size_key(size), 0.0);
}

TEST_F(TransformsParity, ResizedCrop) {
  for (int k = 0; k < kImages; ++k)
    for (const Box& box : kResizedCrops) {
      const std::string key = "resized_crop." + std::to_string(k) + "." + std::to_string(box.top) +
                              "_" + std::to_string(box.left) + "_" + std::to_string(box.height) +
                              "_" + std::to_string(box.width) + "." + size_key(box.out);
      expect(resized_crop(image(k), box.top, box.left, box.height, box.width, box.out.height,
                          box.out.width),
             key, kFloatTolerance);
    }
}

TEST_F(TransformsParity, FlipNormalizeToTensor) {
  const std::vector<double> mean = {0.485, 0.456, 0.406}, std = {0.229, 0.224, 0.225};
  for (int k = 0; k < kImages; ++k) {
    const std::string n = std::to_string(k);
    expect(hflip(image(k)), "hflip." + n, 0.0);
    expect(normalize(image(k), mean, std), "normalize." + n, kFloatTolerance);
    expect(to_tensor(fixture.get("uint8." + n)), "to_tensor." + n, 0.0);
  }
}

TEST_F(TransformsParity, ResizeOfDecodedImageMatchesPilWithinUint8Rounding) {
  for (int k = 0; k < kImages; ++k) {
    const Tensor pixels = to_tensor(fixture.get("uint8." + std::to_string(k)));
    for (Size size : kPilResizes)
      expect(resize(pixels, size.height, size.width),
             "pil_resize." + std::to_string(k) + "." + size_key(size), kPilTolerance);
  }
}

}  // namespace
}  // namespace mg::data
