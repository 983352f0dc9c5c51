#pragma once

#include <cstdint>
#include <vector>

// Periodic ("DFT-even") windows, as scipy.signal.get_window(..., fftbins=True) builds them for
// librosa.stft and scipy.signal.spectrogram: the symmetric window of length + 1 without its last
// point. A window of length 1 is [1] (scipy's rule).
namespace mg::data {

// Hann: 0.5 - 0.5·cos(2πj / length) (torch.hann_window(length, periodic=True)).
std::vector<double> hann_window(std::int64_t length);

// Tukey (tapered cosine), scipy.signal.windows.tukey(length + 1, alpha)[:-1]: a cosine taper over
// the first and last alpha/2 of the window, flat in between; alpha <= 0 gives a rectangle,
// alpha >= 1 the Hann window.
std::vector<double> tukey_window(std::int64_t length, double alpha);

}  // namespace mg::data
