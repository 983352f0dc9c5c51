#pragma once

#include <cstdint>
#include <string>

#include "core/tensor.h"
#include "datasets/wav.h"

// The audio inputs of the audio-visual benchmarks (specs/datasets.md §5.5, §6.2, §6.5): a
// spectrogram float32 [1, F, T]. The reference data sets return [F, T] and the reference models
// add the channel; maskgrad's AVClassifier takes [B, 1, F, T], so the loaders add it.
namespace mg::data {

enum class AudioMode {
  Pkl,              // a pickled numpy array [F, T] (the AMSS Kinetics-Sounds pickles), as is
  Npy,              // a .npy array [F, T], as is
  WavStft22050_3s,  // AMSS CREMA-D: WAV -> mono 22,050 Hz, tiled to 3 s, clipped, ln(|STFT| + 1e-7)
                    // with n_fft 512, hop 353, centred zero padding: [257, 188]
  WavStft35400_10s,  // AMSS/BSS Kinetics-Sounds on the fly: 35,400 Hz, 10 s, same STFT: [257, 1003]
  WavScipyPsd1004,   // OGM-GE's pickles computed on the fly: 22,050 Hz, 160,000 samples, scipy
                     // spectrogram (512, overlap 353), ln(PSD + 1e-7), z-scored: [257, 1004]
};

// The file extension the mode reads: ".pkl", ".npy" or ".wav".
std::string audio_extension(AudioMode mode);

// The spectrogram of a decoded WAV under a Wav* mode, float32 [F, T]: resampled to the mode's
// rate (resample.h), repeated end to end up to the mode's length (AMSS tiles 3x for 3 s and
// assumes clips of at least 1 s; shorter ones are tiled further; an empty clip is silence),
// clipped to [-1, 1], then the mode's transform. `source` names the file in errors.
Tensor wav_spectrogram(const WavAudio& audio, AudioMode mode, const std::string& source);

// The audio input of the file at `path` under `mode`: float32 [1, F, T]. Pkl and Npy arrays must
// be 2-D (any numeric dtype, converted to float32).
Tensor load_audio(const std::string& path, AudioMode mode);

}  // namespace mg::data
