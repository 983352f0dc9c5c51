#include "datasets/stft.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <numbers>
#include <vector>

#include "audio_test_util.h"
#include "datasets/windows.h"
#include "test_util.h"

// Against np.abs(librosa.stft(...)) of librosa 0.10.2 (tools/reference/audio.py, STFT_CASES).
namespace mg::data {
namespace {

using testing::audio_fixture;
using testing::audio_fixture_values;
using testing::max_relative_error;

// Our float64 transform against librosa's float64 transform stored as complex64: float32
// rounding apart, so 1e-4 of the array's largest magnitude leaves a wide margin.
constexpr double kMagnitudeTolerance = 1e-4;
// ln(|X| + 1e-7), elementwise, where |X| >= 1e-3 of the array's largest magnitude (below that the
// reference's own float32 rounding, ~6e-8 of the largest, moves the logarithm by more than 1e-4).
constexpr double kLogTolerance = 1e-4;
constexpr double kLogFloor = 1e-3;

struct Case {
  const char* name;
  std::int64_t length;
  StftOptions options;
};

const std::vector<Case> kCases = {
    {"crema", 7001, {512, 353, 512, true, PadMode::Constant}},
    {"win300_nfft400", 3001, {400, 160, 300, true, PadMode::Constant}},
    {"nocenter_default_hop", 2000, {256, 0, 200, false, PadMode::Constant}},
    {"reflect", 1500, {512, 128, 512, true, PadMode::Reflect}},
    {"short_reflect", 20, {64, 16, 64, true, PadMode::Reflect}},
    {"short_constant", 20, {64, 16, 48, true, PadMode::Constant}},
    {"odd_nfft", 2500, {255, 100, 255, true, PadMode::Constant}},
};

std::vector<float> signal_prefix(std::int64_t length) {
  std::vector<float> signal = audio_fixture_values("signal");
  signal.resize(length);
  return signal;
}

TEST(Stft, MatchesLibrosa) {
  for (const Case& c : kCases) {
    const Tensor expected = audio_fixture(std::string("stft.") + c.name);
    const Tensor actual = stft_magnitude(signal_prefix(c.length), c.options);
    ASSERT_EQ(actual.shape(), expected.shape()) << c.name;
    const double error =
        max_relative_error(actual.to_vector<double>(), expected.to_vector<double>());
    testing::report(std::string("stft.") + c.name, error);
    EXPECT_LE(error, kMagnitudeTolerance) << c.name;
  }
}

TEST(Stft, LogMagnitudeMatchesLibrosa) {
  for (const Case& c : kCases) {
    // AMSS: np.log(np.abs(librosa.stft(...)) + 1e-7), in float32.
    const std::vector<float> magnitude = audio_fixture_values(std::string("stft.") + c.name);
    const std::vector<double> actual =
        log_stft_magnitude(signal_prefix(c.length), c.options).to_vector<double>();
    ASSERT_EQ(actual.size(), magnitude.size()) << c.name;
    float largest = 0;
    for (float value : magnitude) largest = std::max(largest, value);
    double error = 0;
    for (std::size_t i = 0; i < magnitude.size(); ++i) {
      if (magnitude[i] < kLogFloor * largest) continue;
      error = std::max(error, std::abs(actual[i] - std::log(magnitude[i] + 1e-7f)));
    }
    testing::report(std::string("log_stft.") + c.name, error);
    EXPECT_LE(error, kLogTolerance) << c.name;
  }
}

// log_stft_magnitude takes its logarithms with a vectorised series (stft.cpp): against std::log
// over magnitudes spanning 12 decades, and ln(0) = -inf with eps = 0.
TEST(Stft, LogIsTheLogarithmOfTheMagnitude) {
  std::vector<float> samples(3000);
  for (std::size_t j = 0; j < samples.size(); ++j)
    samples[j] = static_cast<float>(std::pow(10.0, -6.0 + 12.0 * j / samples.size()) *
                                    std::sin(0.37 * j * j / samples.size() + 0.1 * j));
  const StftOptions options{256, 64, 0, true, PadMode::Reflect};
  const std::vector<double> magnitude = stft_magnitude(samples, options).to_vector<double>();
  const std::vector<double> logarithm =
      log_stft_magnitude(samples, options, 1e-9).to_vector<double>();
  for (std::size_t i = 0; i < magnitude.size(); ++i) {
    // The magnitude was rounded to float32 before std::log here: up to 6e-8 apart.
    EXPECT_NEAR(logarithm[i], std::log(magnitude[i] + 1e-9), 1e-6 * std::abs(logarithm[i]) + 1e-7)
        << i;
  }
  for (float value :
       log_stft_magnitude(std::vector<float>(600, 0.0f), options, 0.0).to_vector<float>())
    EXPECT_EQ(value, -std::numeric_limits<float>::infinity());
}

TEST(Stft, HannWindowMatchesScipy) {
  for (std::int64_t n : {300, 400, 512}) {
    const std::vector<double> expected =
        audio_fixture_values<double>("window.hann." + std::to_string(n));
    EXPECT_LE(max_relative_error(hann_window(n), expected), 1e-15) << n;
  }
  EXPECT_EQ(hann_window(1), std::vector<double>{1.0});
}

TEST(Stft, CremaDShape) {  // specs/datasets.md §5.5: 3 s at 22.05 kHz, n_fft 512, hop 353
  const std::vector<float> samples(66150, 0.25f);
  const Tensor feature = log_stft_magnitude(samples, {512, 353, 512, true, PadMode::Constant});
  EXPECT_EQ(feature.shape(), (Shape{257, 188}));
  EXPECT_EQ(feature.dtype(), kFloat32);
}

TEST(Stft, SineLandsInItsBin) {
  const std::int64_t n_fft = 512, bin = 40, length = 8000;
  const double amplitude = 0.5;
  std::vector<float> samples(length);
  for (std::int64_t j = 0; j < length; ++j)
    samples[j] = static_cast<float>(amplitude * std::sin(2 * std::numbers::pi * bin * j / n_fft));
  const Tensor magnitude = stft_magnitude(samples, {n_fft, 128, 0, true, PadMode::Constant});
  const std::int64_t frames = magnitude.size(1);
  const std::vector<float> values = magnitude.to_vector<float>();
  for (std::int64_t t = 4; t < frames - 4; ++t) {  // frames clear of the zero padding
    std::int64_t peak = 0;
    for (std::int64_t f = 1; f <= n_fft / 2; ++f)
      if (values[f * frames + t] > values[peak * frames + t]) peak = f;
    EXPECT_EQ(peak, bin) << "frame " << t;
    // A periodic Hann window sums to n_fft / 2, and a sine puts half its amplitude in bin k.
    EXPECT_NEAR(values[bin * frames + t], amplitude * n_fft / 4, 1e-4 * amplitude * n_fft);
  }
}

TEST(Stft, FrameCounts) {
  const std::vector<float> samples(1000, 1.0f);
  EXPECT_EQ(stft_magnitude(samples, {256, 100, 0, true, PadMode::Constant}).size(1), 11);
  EXPECT_EQ(stft_magnitude(samples, {256, 100, 0, false, PadMode::Constant}).size(1), 8);
  EXPECT_EQ(stft_magnitude(samples, {256, 0, 0, true, PadMode::Constant}).size(1), 16);    // hop 64
  EXPECT_EQ(stft_magnitude(samples, {256, 0, 128, true, PadMode::Constant}).size(1), 32);  // hop 32
  EXPECT_EQ(stft_magnitude(samples, {257, 100, 0, true, PadMode::Constant}).size(0), 129);
}

TEST(Stft, RejectsBadOptions) {
  const std::vector<float> samples(100, 0.0f);
  EXPECT_MG_ERROR(stft_magnitude(samples, {1, 1, 0, true, PadMode::Constant}), "stft_magnitude",
                  "n_fft 1 must be at least 2");
  EXPECT_MG_ERROR(stft_magnitude(samples, {64, -3, 0, true, PadMode::Constant}), "hop_length -3");
  EXPECT_MG_ERROR(stft_magnitude(samples, {64, 0, 3, true, PadMode::Constant}),
                  "default hop_length", "win_length 3");
  EXPECT_MG_ERROR(stft_magnitude(samples, {64, 16, 65, true, PadMode::Constant}), "win_length 65",
                  "[1, n_fft = 64]");
  EXPECT_MG_ERROR(stft_magnitude(samples, {128, 16, 0, false, PadMode::Constant}), "n_fft 128",
                  "100 samples", "center is false");
  EXPECT_MG_ERROR(log_stft_magnitude({}, {64, 16, 0, true, PadMode::Constant}),
                  "log_stft_magnitude", "empty signal");
}

}  // namespace
}  // namespace mg::data
