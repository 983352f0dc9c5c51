#pragma once

// The audio inputs of the audio-visual benchmarks (specs/datasets.md §5.5, §6.2, §6.5).
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

}  // namespace mg::data
