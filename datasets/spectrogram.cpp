#include "datasets/spectrogram.h"

#include <cmath>
#include <numeric>
#include <vector>

#include "core/creation.h"
#include "core/error.h"
#include "datasets/fft.h"
#include "datasets/windows.h"

namespace mg::data {

Tensor spectrogram_psd(std::span<const float> samples, const SpectrogramOptions& options) {
  const std::int64_t nperseg = options.nperseg;
  const auto length = static_cast<std::int64_t>(samples.size());
  MG_CHECK(nperseg >= 2, "spectrogram_psd: nperseg ", nperseg, " must be at least 2");
  const std::int64_t noverlap = options.noverlap == -1 ? nperseg / 8 : options.noverlap;
  MG_CHECK(noverlap >= 0 && noverlap < nperseg, "spectrogram_psd: noverlap ", options.noverlap,
           " must lie in [0, nperseg = ", nperseg, ") (or be -1 for nperseg / 8)");
  MG_CHECK(options.fs > 0 && std::isfinite(options.fs), "spectrogram_psd: fs ", options.fs,
           " must be positive");
  MG_CHECK(length >= nperseg, "spectrogram_psd: the signal (", length,
           " samples) is shorter than nperseg ", nperseg);

  const std::int64_t step = nperseg - noverlap;
  const std::int64_t segments = (length - noverlap) / step;
  const std::int64_t bins = nperseg / 2 + 1;
  const std::vector<double> window = tukey_window(nperseg, 0.25);
  const double window_energy =
      std::inner_product(window.begin(), window.end(), window.begin(), 0.0);
  const double scale = 1.0 / (options.fs * window_energy);
  // One-sided: the negative frequencies fold onto bins 1 .. (not the Nyquist bin of even lengths).
  const std::int64_t last_doubled = nperseg % 2 == 0 ? bins - 2 : bins - 1;

  const RealFft& fft = RealFft::plan(nperseg);
  std::vector<double> segment(nperseg), re(bins), im(bins);
  Tensor out = empty({bins, segments}, kFloat32);
  float* dst = out.data_ptr<float>();
  for (std::int64_t s = 0; s < segments; ++s) {
    const float* from = samples.data() + s * step;
    double sum = 0;
    for (std::int64_t j = 0; j < nperseg; ++j) sum += from[j];
    const double mean = sum / static_cast<double>(nperseg);
    for (std::int64_t j = 0; j < nperseg; ++j) segment[j] = window[j] * (from[j] - mean);
    fft.forward(segment, re, im);
    for (std::int64_t f = 0; f < bins; ++f) {
      const double factor = f >= 1 && f <= last_doubled ? 2 * scale : scale;
      dst[f * segments + s] = static_cast<float>((re[f] * re[f] + im[f] * im[f]) * factor);
    }
  }
  return out;
}

}  // namespace mg::data
