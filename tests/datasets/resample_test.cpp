#include "datasets/resample.h"

#include <gtest/gtest.h>

#include <cmath>
#include <numbers>
#include <random>
#include <thread>
#include <vector>

#include "audio_test_util.h"
#include "test_util.h"

// Against librosa.resample (soxr_hq) (tools/reference/audio.py), and analytic cases.
namespace mg::data {
namespace {

using testing::audio_fixture_values;

// 20·log10(rms(actual - expected) / rms(expected)) over [begin, end).
double error_db(const std::vector<float>& actual, const std::vector<float>& expected,
                std::size_t begin, std::size_t end) {
  double difference = 0, energy = 0;
  for (std::size_t i = begin; i < end; ++i) {
    difference += std::pow(double(actual[i]) - expected[i], 2);
    energy += double(expected[i]) * expected[i];
  }
  return 10 * std::log10(difference / energy);
}

// Output samples this close to either end see the edges of the signal, where soxr's and our
// filters meet the implied zeros differently.
constexpr std::size_t kEdge = 200;

struct Pair {
  std::int64_t from, to;
};

TEST(Resample, MatchesSoxrOnBandLimitedSignals) {
  for (const Pair pair : {Pair{16000, 22050}, Pair{22050, 16000}, Pair{44100, 22050}}) {
    const std::string name =
        "resample." + std::to_string(pair.from) + "_" + std::to_string(pair.to);
    const std::vector<float> expected = audio_fixture_values(name + ".out");
    const std::vector<float> actual =
        resample(audio_fixture_values(name + ".in"), pair.from, pair.to);
    ASSERT_EQ(actual.size(), expected.size()) << name;
    const double interior = error_db(actual, expected, kEdge, expected.size() - kEdge);
    const double whole = error_db(actual, expected, 0, expected.size());
    testing::report(name + " interior dB", interior);
    testing::report(name + " whole dB", whole);
    EXPECT_LE(interior, -70) << name;
    EXPECT_LE(whole, -60) << name;
  }
}

TEST(Resample, MatchesSoxrOnWhiteNoise) {
  // Full-band noise: the content between 0.91 and 1.0 of the Nyquist frequency, where the two
  // filters roll off slightly differently, dominates the difference.
  const std::vector<float> expected = audio_fixture_values("resample.noise.out");
  const std::vector<float> actual =
      resample(audio_fixture_values("resample.noise.in"), 16000, 22050);
  ASSERT_EQ(actual.size(), expected.size());
  const double interior = error_db(actual, expected, kEdge, expected.size() - kEdge);
  testing::report("resample.noise interior dB", interior);
  EXPECT_LE(interior, -35);
}

TEST(Resample, LengthFollowsLibrosa) {
  const std::vector<std::int64_t> rows =
      testing::audio_fixture("resample.lengths").to_vector<std::int64_t>();
  ASSERT_EQ(rows.size() % 4, 0u);
  for (std::size_t i = 0; i < rows.size(); i += 4) {
    const std::int64_t n = rows[i], from = rows[i + 1], to = rows[i + 2], length = rows[i + 3];
    EXPECT_EQ(resampled_length(n, from, to), length) << n << " " << from << " -> " << to;
    if (n <= 16001) {
      EXPECT_EQ(static_cast<std::int64_t>(resample(std::vector<float>(n, 0.0f), from, to).size()),
                length)
          << n << " " << from << " -> " << to;
    }
  }
}

std::vector<float> sine(double frequency, double rate, std::int64_t length, double phase = 0.3) {
  std::vector<float> out(length);
  for (std::int64_t j = 0; j < length; ++j)
    out[j] =
        static_cast<float>(0.5 * std::sin(2 * std::numbers::pi * frequency * j / rate + phase));
  return out;
}

// Below 0.9 of the lower Nyquist frequency the filter passes a sine unchanged (ripple and
// stopband leakage ~1e-6, float32 rounding): within -110 dB of the ideal, where soxr_hq's own
// passband roll-off (up to 0.01 dB by design) leaves it at -60 to -130 dB.
TEST(Resample, ABandLimitedSineBecomesTheSameSineAtTheNewRate) {
  for (const Pair pair : {Pair{16000, 22050}, Pair{22050, 16000}, Pair{44100, 22050},
                          Pair{48000, 22050}, Pair{16000, 35400}}) {
    for (double fraction : {0.1, 0.5, 0.9}) {
      const double frequency = fraction * std::min(pair.from, pair.to) / 2;
      const std::vector<float> out = resample(sine(frequency, pair.from, 4000), pair.from, pair.to);
      const std::vector<float> expected =
          sine(frequency, pair.to, static_cast<std::int64_t>(out.size()));
      const double error = error_db(out, expected, kEdge, out.size() - kEdge);
      EXPECT_LE(error, -110) << pair.from << " -> " << pair.to << " at " << frequency << " Hz";
    }
  }
}

TEST(Resample, KeepsAConstant) {
  const std::vector<float> out = resample(std::vector<float>(3000, 0.25f), 16000, 22050);
  for (std::size_t j = kEdge; j + kEdge < out.size(); ++j) EXPECT_NEAR(out[j], 0.25f, 1e-6) << j;
}

TEST(Resample, RemovesWhatTheLowerRateCannotHold) {
  // A tone 3% above 8 kHz, the Nyquist frequency of 16 kHz, must not alias into the output.
  const std::vector<float> out = resample(sine(8240, 22050, 6000), 22050, 16000);
  double energy = 0;
  for (std::size_t j = kEdge; j + kEdge < out.size(); ++j) energy += double(out[j]) * out[j];
  const double rms = std::sqrt(energy / double(out.size() - 2 * kEdge));
  EXPECT_LE(20 * std::log10(rms / (0.5 / std::sqrt(2.0))), -100);
}

TEST(Resample, SameRateIsTheIdentity) {
  const std::vector<float> in = sine(440, 16000, 100);
  EXPECT_EQ(resample(in, 16000, 16000), in);
  EXPECT_TRUE(resample({}, 16000, 22050).empty());
}

TEST(Resample, FiltersAreSharedAcrossThreads) {
  const std::vector<float> in = sine(1000, 11025, 2000);
  std::vector<std::vector<float>> results(4);
  std::vector<std::thread> threads;
  for (std::size_t t = 0; t < results.size(); ++t)
    threads.emplace_back([&, t] { results[t] = resample(in, 11025, 24000); });
  for (std::thread& thread : threads) thread.join();
  for (const std::vector<float>& result : results) EXPECT_EQ(result, results[0]);
}

// What a loader relies on to resample only the samples it keeps (audio_features.cpp).
TEST(Resample, APrefixReachingPastTheKeptOutputsGivesTheSameOutputs) {
  std::mt19937 random(5);
  std::normal_distribution<float> noise(0.0f, 0.3f);
  std::vector<float> signal(40000);
  for (float& x : signal) x = noise(random);
  for (const auto& [from, to] : {std::pair{16000, 22050}, {48000, 22050}, {22050, 16000}}) {
    const std::int64_t kept = 9000;
    const std::int64_t prefix = resampled_length(kept, to, from) + resample_reach(from, to);
    const std::vector<float> whole = resample(signal, from, to);
    const std::vector<float> part =
        resample(std::span<const float>(signal.data(), static_cast<std::size_t>(prefix)), from, to);
    ASSERT_GE(part.size(), static_cast<std::size_t>(kept));
    EXPECT_TRUE(std::equal(part.begin(), part.begin() + kept, whole.begin()))
        << from << " -> " << to;
    // Half the reach is not enough: the bound means something.
    const std::int64_t short_prefix = prefix - resample_reach(from, to) / 2;
    const std::vector<float> short_part = resample(
        std::span<const float>(signal.data(), static_cast<std::size_t>(short_prefix)), from, to);
    ASSERT_GE(short_part.size(), static_cast<std::size_t>(kept));
    EXPECT_FALSE(std::equal(short_part.begin(), short_part.begin() + kept, whole.begin()))
        << from << " -> " << to;
  }
}

TEST(Resample, RejectsBadRates) {
  const std::vector<float> in(10, 0.0f);
  EXPECT_MG_ERROR(resample(in, 0, 22050), "resample", "must be positive", "0 -> 22050");
  EXPECT_MG_ERROR(resample(in, 16000, -1), "resample", "16000 -> -1");
  EXPECT_MG_ERROR(resample(in, 44100, 44101), "resample", "44100 -> 44101", "not supported",
                  "44101/44100");
}

}  // namespace
}  // namespace mg::data
