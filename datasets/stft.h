#pragma once

#include <cstdint>
#include <span>

#include "core/tensor.h"

// Short-time Fourier transform with librosa 0.10's conventions (librosa.stft with window='hann'),
// for the CREMA-D audio feature (specs/datasets.md §5.5: n_fft 512, hop 353 on 66,150 samples at
// 22.05 kHz → [257, 188]) and the Kinetics-Sounds on-the-fly variant (§6.2).
//
// - Window: periodic Hann of win_length samples, centred in n_fft with zeros
//   ((n_fft - win_length) / 2 on the left, the rest on the right), as librosa's pad_center.
// - center = true: the signal gets n_fft / 2 samples of padding on each side, so frame t is
//   centred on sample t·hop; PadMode::Constant pads with zeros (librosa >= 0.10's default),
//   PadMode::Reflect mirrors without repeating the edge sample (numpy 'reflect', repeated for
//   signals shorter than the padding, as np.pad does). center = false: no padding; the signal
//   must then hold at least n_fft samples.
// - Frames: 1 + (padded length - n_fft) / hop; frame t covers padded samples t·hop ..
// t·hop+n_fft-1.
// - Bins 0 .. n_fft/2 of the DFT, computed in float64 (datasets/fft.h), rounded to float32 at the
//   end (librosa multiplies float32 frames by a float64 window, so numpy also transforms in
//   float64 before storing complex64).
//
// Errors (mg::Error naming the function): n_fft < 2, win_length outside [1, n_fft], hop_length
// < 0, a default hop that comes out 0 (win_length < 4), an empty signal, or center = false with
// fewer than n_fft samples. Thread-safe; runs on the calling thread (DataLoader workers
// parallelise across samples).
namespace mg::data {

enum class PadMode { Constant, Reflect };

struct StftOptions {
  std::int64_t n_fft = 2048;
  std::int64_t hop_length =
      0;  // 0: win_length / 4 (librosa's rule; n_fft / 4 when win_length is 0)
  std::int64_t win_length = 0;  // 0: n_fft
  bool center = true;
  PadMode pad_mode = PadMode::Constant;  // librosa >= 0.10
};

// |STFT| with librosa.stft conventions (periodic Hann window): float32 [n_fft/2 + 1, frames].
Tensor stft_magnitude(std::span<const float> samples, const StftOptions& options);

// ln(|STFT| + eps), the AMSS audio feature: float32 [n_fft/2 + 1, frames].
Tensor log_stft_magnitude(std::span<const float> samples, const StftOptions& options,
                          double eps = 1e-7);

}  // namespace mg::data
