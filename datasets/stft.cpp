#include "datasets/stft.h"

#include <bit>
#include <cmath>
#include <limits>
#include <numbers>
#include <vector>

#include "core/creation.h"
#include "core/error.h"
#include "datasets/fft.h"
#include "datasets/windows.h"

namespace mg::data {
namespace {

// Index into a signal of `length` samples for padded position `p` (relative to sample 0) under
// numpy's 'reflect': the even periodic extension with period 2·(length - 1).
std::int64_t reflect_index(std::int64_t p, std::int64_t length) {
  if (length == 1) return 0;
  const std::int64_t period = 2 * (length - 1);
  std::int64_t r = p % period;
  if (r < 0) r += period;
  return r < length ? r : period - r;
}

std::vector<float> centre_padded(std::span<const float> samples, std::int64_t pad, PadMode mode) {
  const auto length = static_cast<std::int64_t>(samples.size());
  std::vector<float> padded(length + 2 * pad, 0.0f);
  std::copy(samples.begin(), samples.end(), padded.begin() + pad);
  if (mode == PadMode::Reflect) {
    for (std::int64_t p = 0; p < pad; ++p) {
      padded[p] = samples[reflect_index(p - pad, length)];
      padded[pad + length + p] = samples[reflect_index(length + p, length)];
    }
  }
  return padded;
}

// ln(x) for a vector loop (std::log is an opaque call the compiler cannot vectorise; a
// spectrogram's logarithms otherwise cost as much as its FFTs): x = m·2^e with m in
// [√½, √2), ln m = 2·atanh(s) with s = (m - 1)/(m + 1), |s| <= 0.172, whose series to s^17 is
// exact to 1e-15. Inputs that are not positive normal numbers (0, subnormals, infinities, NaN)
// take std::log.
void log_of(const double* x, double* out, std::int64_t n) {
  constexpr double kSqrt2 = std::numbers::sqrt2;
  constexpr std::uint64_t kMantissa = 0x000FFFFFFFFFFFFF, kOne = 0x3FF0000000000000;
  constexpr std::uint64_t kTwo52 = 0x4330000000000000;  // 2^52: its low bits hold an integer
  constexpr double kMin = std::numeric_limits<double>::min();
  constexpr double kMax = std::numeric_limits<double>::max();
  int unusual = 0;
#pragma omp simd reduction(| : unusual)
  for (std::int64_t i = 0; i < n; ++i) {
    unusual |= !(x[i] >= kMin && x[i] <= kMax);
    const auto bits = std::bit_cast<std::uint64_t>(x[i]);
    double exponent = std::bit_cast<double>((bits >> 52) | kTwo52) - (4503599627370496.0 + 1023);
    double m = std::bit_cast<double>((bits & kMantissa) | kOne);
    const bool high = m > kSqrt2;
    m = high ? 0.5 * m : m;
    exponent = high ? exponent + 1 : exponent;
    const double s = (m - 1) / (m + 1), s2 = s * s;
    double series = std::fma(1.0 / 17, s2, 1.0 / 15);  // Σ s2^k / (2k + 1), Horner
    series = std::fma(series, s2, 1.0 / 13);
    series = std::fma(series, s2, 1.0 / 11);
    series = std::fma(series, s2, 1.0 / 9);
    series = std::fma(series, s2, 1.0 / 7);
    series = std::fma(series, s2, 1.0 / 5);
    series = std::fma(series, s2, 1.0 / 3);
    series = std::fma(series, s2, 1.0);
    out[i] = std::fma(exponent, std::numbers::ln2, 2 * s * series);
  }
  if (!unusual) return;
  for (std::int64_t i = 0; i < n; ++i)
    if (!(x[i] >= kMin && x[i] <= kMax)) out[i] = std::log(x[i]);
}

// [rows, columns] → float32 [columns, rows], in tiles that stay in cache.
Tensor transposed(const std::vector<float>& in, std::int64_t rows, std::int64_t columns) {
  constexpr std::int64_t kTile = 16;
  Tensor out = empty({columns, rows}, kFloat32);
  float* dst = out.data_ptr<float>();
  for (std::int64_t r0 = 0; r0 < rows; r0 += kTile) {
    for (std::int64_t c0 = 0; c0 < columns; c0 += kTile) {
      const std::int64_t r1 = std::min(r0 + kTile, rows), c1 = std::min(c0 + kTile, columns);
      for (std::int64_t c = c0; c < c1; ++c)
        for (std::int64_t r = r0; r < r1; ++r) dst[c * rows + r] = in[r * columns + c];
    }
  }
  return out;
}

// Runs the STFT; `finish` turns a frame's magnitudes (bins values, in place) into the stored
// values; returns [bins, frames].
template <typename Finish>
Tensor stft_map(std::span<const float> samples, const StftOptions& options, const char* op,
                Finish finish) {
  const std::int64_t n_fft = options.n_fft;
  const auto length = static_cast<std::int64_t>(samples.size());
  MG_CHECK(n_fft >= 2, op, ": n_fft ", n_fft, " must be at least 2");
  const std::int64_t win_length = options.win_length == 0 ? n_fft : options.win_length;
  MG_CHECK(win_length >= 1 && win_length <= n_fft, op, ": win_length ", options.win_length,
           " must lie in [1, n_fft = ", n_fft, "] (or be 0 for n_fft)");
  MG_CHECK(options.hop_length >= 0, op, ": hop_length ", options.hop_length,
           " must be positive (or 0 for win_length / 4)");
  const std::int64_t hop = options.hop_length == 0 ? win_length / 4 : options.hop_length;
  MG_CHECK(hop >= 1, op, ": the default hop_length win_length / 4 is 0 for win_length ", win_length,
           "; give hop_length");
  MG_CHECK(length > 0, op, ": empty signal");
  MG_CHECK(options.center || length >= n_fft, op, ": n_fft ", n_fft, " is longer than the signal (",
           length, " samples) and center is false");

  std::vector<float> padded;
  std::span<const float> signal = samples;
  if (options.center) {
    padded = centre_padded(samples, n_fft / 2, options.pad_mode);
    signal = padded;
  }
  const std::int64_t frames = 1 + (static_cast<std::int64_t>(signal.size()) - n_fft) / hop;
  const std::int64_t bins = n_fft / 2 + 1;

  const std::vector<double> window = hann_window(win_length);
  const std::int64_t offset = (n_fft - win_length) / 2;  // librosa's pad_center
  const RealFft& fft = RealFft::plan(n_fft);
  std::vector<double> frame(n_fft, 0.0), re(bins), im(bins), values(bins);

  std::vector<float> rows(frames * bins);  // [frames, bins]: each frame's bins contiguous
  for (std::int64_t t = 0; t < frames; ++t) {
    const float* from = signal.data() + t * hop + offset;
    for (std::int64_t j = 0; j < win_length; ++j) frame[offset + j] = window[j] * from[j];
    fft.forward(frame, re, im);
#pragma omp simd
    for (std::int64_t f = 0; f < bins; ++f) re[f] = std::sqrt(re[f] * re[f] + im[f] * im[f]);
    finish(re.data(), values.data(), bins);
    std::copy(values.begin(), values.end(), rows.begin() + t * bins);
  }
  return transposed(rows, frames, bins);
}

}  // namespace

Tensor stft_magnitude(std::span<const float> samples, const StftOptions& options) {
  return stft_map(samples, options, "stft_magnitude",
                  [](const double* magnitude, double* out, std::int64_t n) {
                    std::copy(magnitude, magnitude + n, out);
                  });
}

Tensor log_stft_magnitude(std::span<const float> samples, const StftOptions& options, double eps) {
  return stft_map(samples, options, "log_stft_magnitude",
                  [eps](double* magnitude, double* out, std::int64_t n) {
                    for (std::int64_t f = 0; f < n; ++f) magnitude[f] += eps;
                    log_of(magnitude, out, n);
                  });
}

}  // namespace mg::data
