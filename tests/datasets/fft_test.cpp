#include "datasets/fft.h"

#include <gtest/gtest.h>

#include <cmath>
#include <complex>
#include <numbers>
#include <random>
#include <thread>
#include <vector>

#include "test_util.h"

namespace mg::data {
namespace {

std::vector<double> random_signal(std::int64_t n, unsigned seed) {
  std::mt19937 generator(seed);
  std::normal_distribution<double> normal;
  std::vector<double> x(n);
  for (double& value : x) value = normal(generator);
  return x;
}

// The definition, with the angle reduced exactly (jk mod n) so the reference itself is accurate.
std::vector<std::complex<double>> naive_dft(const std::vector<double>& x) {
  const auto n = static_cast<std::int64_t>(x.size());
  std::vector<std::complex<double>> out(n / 2 + 1);
  for (std::int64_t k = 0; k <= n / 2; ++k) {
    for (std::int64_t j = 0; j < n; ++j) {
      const double angle = -2 * std::numbers::pi * static_cast<double>((j * k) % n) / n;
      out[k] += x[j] * std::complex<double>(std::cos(angle), std::sin(angle));
    }
  }
  return out;
}

struct Spectrum {
  std::vector<double> re, im;
};

Spectrum transform(const std::vector<double>& x) {
  const RealFft& fft = RealFft::plan(static_cast<std::int64_t>(x.size()));
  Spectrum out{std::vector<double>(fft.bins()), std::vector<double>(fft.bins())};
  fft.forward(x, out.re, out.im);
  return out;
}

TEST(RealFft, MatchesTheDefinitionForPowersOfTwoAndOtherLengths) {
  for (std::int64_t n :
       {1, 2, 3, 4, 5, 6, 8, 12, 16, 17, 31, 64, 100, 255, 256, 400, 512, 1000, 1024, 2048}) {
    const std::vector<double> x = random_signal(n, static_cast<unsigned>(n));
    const Spectrum fast = transform(x);
    const std::vector<std::complex<double>> slow = naive_dft(x);
    ASSERT_EQ(fast.re.size(), slow.size()) << n;
    double scale = 0, error = 0;
    for (std::size_t k = 0; k < slow.size(); ++k) {
      scale = std::max(scale, std::abs(slow[k]));
      error = std::max(error, std::abs(std::complex<double>(fast.re[k], fast.im[k]) - slow[k]));
    }
    EXPECT_LE(error / scale, 1e-12) << "n = " << n;
  }
}

TEST(RealFft, KeepsEnergy) {  // Parseval: Σ x² = (1/n) Σ over all n bins of |X|²
  for (std::int64_t n : {512, 400, 255}) {
    const std::vector<double> x = random_signal(n, 7);
    const Spectrum spectrum = transform(x);
    double time = 0, frequency = 0;
    for (double value : x) time += value * value;
    for (std::int64_t k = 0; k <= n / 2; ++k) {
      const double power = spectrum.re[k] * spectrum.re[k] + spectrum.im[k] * spectrum.im[k];
      const bool unpaired = k == 0 || 2 * k == n;  // DC and the Nyquist bin appear once
      frequency += unpaired ? power : 2 * power;
    }
    EXPECT_NEAR(frequency / n, time, 1e-10 * time) << "n = " << n;
  }
}

TEST(RealFft, FindsACosineInItsBin) {
  const std::int64_t n = 256, bin = 37;
  std::vector<double> x(n);
  for (std::int64_t j = 0; j < n; ++j) x[j] = 3 * std::cos(2 * std::numbers::pi * bin * j / n);
  const Spectrum spectrum = transform(x);
  for (std::int64_t k = 0; k <= n / 2; ++k) {
    EXPECT_NEAR(spectrum.re[k], k == bin ? 3.0 * n / 2 : 0.0, 1e-10) << k;
    EXPECT_NEAR(spectrum.im[k], 0.0, 1e-10) << k;
  }
}

TEST(RealFft, PlansAreSharedAcrossThreads) {
  const std::vector<double> x = random_signal(384, 3);
  const Spectrum expected = transform(x);
  std::vector<Spectrum> results(4);
  std::vector<std::thread> threads;
  for (std::size_t t = 0; t < results.size(); ++t) {
    threads.emplace_back([&, t] {
      for (int repeat = 0; repeat < 50; ++repeat) results[t] = transform(x);
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (const Spectrum& result : results) {
    EXPECT_EQ(result.re, expected.re);
    EXPECT_EQ(result.im, expected.im);
  }
  EXPECT_EQ(&RealFft::plan(384), &RealFft::plan(384));
}

TEST(RealFft, RejectsBadLengthsAndBuffers) {
  EXPECT_MG_ERROR(RealFft::plan(0), "RealFft", "length 0");
  EXPECT_MG_ERROR(RealFft::plan(std::int64_t{1} << 23), "RealFft", "outside");
  const RealFft& fft = RealFft::plan(8);
  std::vector<double> x(7), re(5), im(5);
  EXPECT_MG_ERROR(fft.forward(x, re, im), "RealFft::forward", "needs 8 inputs and 5 outputs");
}

}  // namespace
}  // namespace mg::data
