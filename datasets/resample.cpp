#include "datasets/resample.h"

#include <cmath>
#include <map>
#include <memory>
#include <mutex>
#include <numbers>
#include <numeric>
#include <utility>

#include "core/error.h"

namespace mg::data {
namespace {

// Fractions of the lower of the two Nyquist frequencies (see resample.h).
constexpr double kCutoff = 0.955;
constexpr double kTransition = 0.09;
constexpr double kAttenuationDb = 120;
constexpr std::int64_t kMaxCoefficients = std::int64_t{1} << 22;

struct PolyphaseFilter {
  std::int64_t up = 1, down = 1;  // to / from in lowest terms
  std::int64_t half = 0;          // K: output q + r/up reads inputs q - K + 1 .. q + K
  std::vector<float> taps;        // up rows of 2K, row r for phase r
};

double bessel_i0(double x) {
  double sum = 1, term = 1;
  for (int k = 1; term > 1e-17 * sum; ++k) {
    const double factor = x / (2.0 * k);
    term *= factor * factor;
    sum += term;
  }
  return sum;
}

double sinc(double x) {
  return x == 0 ? 1.0 : std::sin(std::numbers::pi * x) / (std::numbers::pi * x);
}

std::unique_ptr<const PolyphaseFilter> design(std::int64_t from, std::int64_t to) {
  auto filter = std::make_unique<PolyphaseFilter>();
  const std::int64_t divisor = std::gcd(from, to);
  filter->up = to / divisor;
  filter->down = from / divisor;
  // Frequencies in cycles per input sample.
  const double lower_nyquist =
      0.5 * std::min(1.0, static_cast<double>(to) / static_cast<double>(from));
  const double cutoff = kCutoff * lower_nyquist;
  const double transition = kTransition * lower_nyquist;
  const double span = (kAttenuationDb - 7.95) / (2.285 * 2 * std::numbers::pi * transition);
  const double half = 4 * std::ceil(span / 8);  // 2K a multiple of 8
  MG_CHECK(static_cast<double>(filter->up) * 2 * half <= static_cast<double>(kMaxCoefficients),
           "resample: rates ", from, " -> ", to, " Hz are not supported: their ratio ", filter->up,
           "/", filter->down, " needs ", filter->up, " filter phases of ", 2 * half,
           " taps, more than ", kMaxCoefficients, " coefficients");
  filter->half = static_cast<std::int64_t>(half);
  const std::int64_t width = 2 * filter->half;
  const double beta = 0.1102 * (kAttenuationDb - 8.7);
  const double window_scale = 1 / bessel_i0(beta);
  filter->taps.resize(filter->up * width);
  std::vector<double> row(width);
  for (std::int64_t r = 0; r < filter->up; ++r) {
    double sum = 0;
    for (std::int64_t k = 0; k < width; ++k) {
      // Distance in input samples from the output instant q + r/up to input q - K + 1 + k.
      const double distance =
          static_cast<double>(r) / static_cast<double>(filter->up) + half - 1 - k;
      const double u = distance / half;
      const double window = u * u < 1 ? bessel_i0(beta * std::sqrt(1 - u * u)) * window_scale : 0;
      row[k] = 2 * cutoff * sinc(2 * cutoff * distance) * window;
      sum += row[k];
    }
    for (std::int64_t k = 0; k < width; ++k)
      filter->taps[r * width + k] = static_cast<float>(row[k] / sum);
  }
  return filter;
}

const PolyphaseFilter& cached_filter(std::int64_t from, std::int64_t to) {
  static std::mutex mutex;
  static std::map<std::pair<std::int64_t, std::int64_t>, std::unique_ptr<const PolyphaseFilter>>
      filters;
  const std::lock_guard lock(mutex);
  auto found = filters.find({from, to});
  if (found == filters.end()) found = filters.emplace(std::pair{from, to}, design(from, to)).first;
  return *found->second;
}

// Σ_k h[k]·x[k] over k < width (a multiple of 8), summed as every output is: eight partial sums
// (one vector), added in order at the end.
float sum_of(const float (&partial)[8]) {
  float sum = 0;
  for (float value : partial) sum += value;
  return sum;
}

float dot_product(const float* h, const float* x, std::int64_t width) {
  float a[8] = {};
  for (std::int64_t k = 0; k < width; k += 8)
    for (int l = 0; l < 8; ++l) a[l] = std::fma(h[k + l], x[k + l], a[l]);
  return sum_of(a);
}

// dot_product(h, x + n·x_stride, width) into out[n·out_stride] for n < 4, each load of taps
// serving four multiply-adds. (Separate named accumulators: the compiler keeps them in vector
// registers, which it does not for a two-dimensional array.)
void four_dot_products(const float* h, const float* x, std::int64_t x_stride, std::int64_t width,
                       float* out, std::int64_t out_stride) {
  const float *x0 = x, *x1 = x + x_stride, *x2 = x + 2 * x_stride, *x3 = x + 3 * x_stride;
  float a0[8] = {}, a1[8] = {}, a2[8] = {}, a3[8] = {};
  for (std::int64_t k = 0; k < width; k += 8) {
    for (int l = 0; l < 8; ++l) {
      a0[l] = std::fma(h[k + l], x0[k + l], a0[l]);
      a1[l] = std::fma(h[k + l], x1[k + l], a1[l]);
      a2[l] = std::fma(h[k + l], x2[k + l], a2[l]);
      a3[l] = std::fma(h[k + l], x3[k + l], a3[l]);
    }
  }
  out[0] = sum_of(a0), out[out_stride] = sum_of(a1);
  out[2 * out_stride] = sum_of(a2), out[3 * out_stride] = sum_of(a3);
}

}  // namespace

std::int64_t resample_reach(std::int64_t from_rate, std::int64_t to_rate) {
  MG_CHECK(from_rate > 0 && to_rate > 0, "resample: rates must be positive, got ", from_rate,
           " -> ", to_rate, " Hz");
  return from_rate == to_rate ? 0 : cached_filter(from_rate, to_rate).half + 1;
}

std::int64_t resampled_length(std::int64_t n, std::int64_t from_rate, std::int64_t to_rate) {
  MG_CHECK(from_rate > 0 && to_rate > 0, "resample: sample rates must be positive, got ", from_rate,
           " -> ", to_rate, " Hz");
  if (from_rate == to_rate) return n;
  const double ratio = static_cast<double>(to_rate) / static_cast<double>(from_rate);
  return static_cast<std::int64_t>(std::ceil(static_cast<double>(n) * ratio));
}

std::vector<float> resample(std::span<const float> samples, std::int64_t from_rate,
                            std::int64_t to_rate) {
  const auto n = static_cast<std::int64_t>(samples.size());
  const std::int64_t length = resampled_length(n, from_rate, to_rate);
  if (from_rate == to_rate) return {samples.begin(), samples.end()};
  if (n == 0) return {};
  const PolyphaseFilter& filter = cached_filter(from_rate, to_rate);
  // soxr's own output length; librosa pads the rest with zeros.
  const double io_ratio = static_cast<double>(from_rate) / static_cast<double>(to_rate);
  const std::int64_t computed =
      std::min(length, static_cast<std::int64_t>(static_cast<double>(n) / io_ratio + 0.5));

  const std::int64_t half = filter.half, width = 2 * half;
  const std::int64_t last_q = computed > 0 ? (computed - 1) * filter.down / filter.up : 0;
  // K zeros before the signal and enough after it that every output reads inside the buffer.
  std::vector<float> padded(std::max(n, last_q + 1) + width, 0.0f);
  std::copy(samples.begin(), samples.end(), padded.begin() + half);

  std::vector<float> out(length, 0.0f);
  // Phase by phase: outputs j0, j0 + up, j0 + 2·up, ... share phase r = j0·down mod up, so their
  // taps, and read inputs down apart. Eight of them at a time load each vector of taps once for
  // eight multiply-adds (one output at a time needs two loads per multiply-add, which bounds the
  // loop), with eight independent accumulators hiding the multiply-adds' latency.
  const std::int64_t up = filter.up, down = filter.down;
  for (std::int64_t j0 = 0; j0 < std::min(up, computed); ++j0) {
    const float* h = filter.taps.data() + (j0 * down % up) * width;
    // Output j0 + m·up reads inputs q - K + 1 .. q + K for q = q0 + m·down.
    const float* x = padded.data() + j0 * down / up + 1;
    std::int64_t m = 0;
    for (; j0 + (m + 3) * up < computed; m += 4)
      four_dot_products(h, x + m * down, down, width, &out[j0 + m * up], up);
    for (; j0 + m * up < computed; ++m) out[j0 + m * up] = dot_product(h, x + m * down, width);
  }
  return out;
}

}  // namespace mg::data
