#include "datasets/spectrogram.h"

#include <gtest/gtest.h>

#include <cmath>
#include <numbers>
#include <random>
#include <vector>

#include "audio_test_util.h"
#include "datasets/windows.h"
#include "test_util.h"

// Against scipy.signal.spectrogram (tools/reference/audio.py, PSD_CASES).
namespace mg::data {
namespace {

using testing::audio_fixture;
using testing::audio_fixture_values;
using testing::max_relative_error;

// scipy keeps float32 input in float32 (window, detrend, FFT), ours runs in float64: they differ
// by scipy's rounding, ~1e-6 of the largest value.
constexpr double kPsdTolerance = 1e-4;

struct Case {
  const char* name;
  std::int64_t length;
  SpectrogramOptions options;
};

const std::vector<Case> kCases = {
    {"ks", 4000, {22050.0, 512, 353}},
    {"default_overlap", 3000, {16000.0, 256, -1}},
    {"odd", 2000, {1.0, 255, 100}},
};

TEST(Spectrogram, MatchesScipy) {
  for (const Case& c : kCases) {
    std::vector<float> signal = audio_fixture_values("signal");
    signal.resize(c.length);
    const Tensor expected = audio_fixture(std::string("psd.") + c.name);
    const Tensor actual = spectrogram_psd(signal, c.options);
    ASSERT_EQ(actual.shape(), expected.shape()) << c.name;
    const double error =
        max_relative_error(actual.to_vector<double>(), expected.to_vector<double>());
    testing::report(std::string("psd.") + c.name, error);
    EXPECT_LE(error, kPsdTolerance) << c.name;
  }
}

TEST(Spectrogram, TukeyWindowMatchesScipy) {
  for (std::int64_t n : {512, 255}) {
    const std::vector<double> expected =
        audio_fixture_values<double>("window.tukey." + std::to_string(n));
    EXPECT_LE(max_relative_error(tukey_window(n, 0.25), expected), 1e-15) << n;
  }
  EXPECT_EQ(tukey_window(3, 0.0), std::vector<double>(3, 1.0));
  EXPECT_EQ(tukey_window(6, 1.0), hann_window(6));
}

TEST(Spectrogram, KineticsSoundsShape) {  // specs/datasets.md §6.2
  const std::vector<float> samples(160000, 0.1f);
  const Tensor psd = spectrogram_psd(samples, {22050.0, 512, 353});
  EXPECT_EQ(psd.shape(), (Shape{257, 1004}));
  EXPECT_EQ(psd.dtype(), kFloat32);
}

TEST(Spectrogram, RemovesEachSegmentsMean) {
  const std::vector<float> samples(1000, 0.75f);
  for (float value : spectrogram_psd(samples, {8000.0, 128, 64}).to_vector<float>())
    EXPECT_EQ(value, 0.0f);
}

// Density scaling: Σ_k P[k]·fs/n over the one-sided bins is the windowed segment's energy over
// Σw² (Parseval), and a sine's power sits in its bin.
TEST(Spectrogram, ScalesAsAPowerDensity) {
  const std::int64_t n = 256;
  const double fs = 8000;
  std::mt19937 generator(5);
  std::normal_distribution<float> normal;
  std::vector<float> samples(n);
  for (float& value : samples) value = normal(generator);
  const std::vector<double> psd = spectrogram_psd(samples, {fs, n, 0}).to_vector<double>();
  ASSERT_EQ(psd.size(), static_cast<std::size_t>(n / 2 + 1));

  double mean = 0;
  for (float value : samples) mean += value;
  mean /= n;
  const std::vector<double> window = tukey_window(n, 0.25);
  double energy = 0, window_energy = 0;
  for (std::int64_t j = 0; j < n; ++j) {
    energy += std::pow(window[j] * (samples[j] - mean), 2);
    window_energy += window[j] * window[j];
  }
  double integral = 0;
  for (double value : psd) integral += value * fs / n;
  EXPECT_NEAR(integral, energy / window_energy, 1e-5 * integral);
}

TEST(Spectrogram, SineLandsInItsBin) {
  const std::int64_t n = 512, bin = 100;
  std::vector<float> samples(4000);
  for (std::size_t j = 0; j < samples.size(); ++j)
    samples[j] = static_cast<float>(std::sin(2 * std::numbers::pi * bin * j / n));
  const Tensor psd = spectrogram_psd(samples, {22050.0, n, 353});
  const std::int64_t segments = psd.size(1);
  const std::vector<float> values = psd.to_vector<float>();
  for (std::int64_t s = 0; s < segments; ++s) {
    std::int64_t peak = 0;
    for (std::int64_t f = 1; f <= n / 2; ++f)
      if (values[f * segments + s] > values[peak * segments + s]) peak = f;
    EXPECT_EQ(peak, bin) << "segment " << s;
  }
}

TEST(Spectrogram, RejectsBadOptions) {
  const std::vector<float> samples(300, 0.0f);
  EXPECT_MG_ERROR(spectrogram_psd(samples, {1.0, 1, 0}), "spectrogram_psd", "nperseg 1");
  EXPECT_MG_ERROR(spectrogram_psd(samples, {1.0, 64, 64}), "noverlap 64", "[0, nperseg = 64)");
  EXPECT_MG_ERROR(spectrogram_psd(samples, {1.0, 64, -2}), "noverlap -2");
  EXPECT_MG_ERROR(spectrogram_psd(samples, {0.0, 64, 8}), "fs 0 must be positive");
  EXPECT_MG_ERROR(spectrogram_psd(samples, {1.0, 512, 353}), "300 samples",
                  "shorter than nperseg 512");
}

}  // namespace
}  // namespace mg::data
