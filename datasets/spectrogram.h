#pragma once

#include <cstdint>
#include <span>

#include "core/tensor.h"

// scipy.signal.spectrogram(x, fs, nperseg=, noverlap=) with its other defaults, what the
// Kinetics-Sounds pickles were made with (specs/datasets.md §6.2: fs 22,050, nperseg 512,
// noverlap 353 on 160,000 samples → [257, 1004]):
// - segments of nperseg samples every nperseg - noverlap, no padding: (n - noverlap) / step of
//   them;
// - each segment minus its mean (detrend='constant'), times a periodic Tukey(0.25) window w;
// - one-sided power spectral density (scaling='density', mode='psd'): |X[k]|² / (fs·Σw²), with
//   bins 1 .. nperseg/2 - 1 doubled for even nperseg (every bin but DC for odd nperseg).
// Computed in float64 (datasets/fft.h), returned as float32 [nperseg/2 + 1, segments] (scipy
// keeps float32 input in float32 throughout, so the two differ by its rounding, ~1e-6 of the
// largest value).
//
// Deviation: scipy shrinks nperseg to the signal's length (with a warning) when the signal is
// shorter; this is an error here, as are nperseg < 2, noverlap outside [0, nperseg) and fs <= 0.
// Thread-safe; runs on the calling thread.
namespace mg::data {

struct SpectrogramOptions {
  double fs = 1.0;
  std::int64_t nperseg = 256;
  std::int64_t noverlap = -1;  // -1: nperseg / 8 (scipy's default)
};

Tensor spectrogram_psd(std::span<const float> samples, const SpectrogramOptions& options);

}  // namespace mg::data
