#!/usr/bin/env python3
"""Reference values for the audio features (datasets/stft.h, spectrogram.h, resample.h).

Usage (PyPI librosa 0.10 and soxr, which CI does not have, so the outputs are committed):
  python3 -m venv /tmp/audiovenv
  /tmp/audiovenv/bin/pip install "librosa==0.10.2.post1" soxr scipy numpy
  /tmp/audiovenv/bin/python tools/reference/audio.py [--out tests/fixtures/audio]

Writes .npy files (float32 unless noted) read by tests/datasets/{stft,spectrogram,resample}_test.cpp:

  signal.npy                      float32 [7001]: chirp 60 Hz -> 7.5 kHz at 16 kHz + three sines +
                                  white noise + a DC offset (the STFT and PSD input; shorter cases
                                  use a prefix)
  stft.<case>.npy                 np.abs(librosa.stft(signal[:length], ...)) for the cases of
                                  STFT_CASES (name, length, n_fft, hop, win_length, center, pad_mode)
  psd.<case>.npy                  scipy.signal.spectrogram(signal[:length], fs, nperseg=, noverlap=)[2]
                                  for PSD_CASES
  window.hann.<n>.npy             float64 scipy.signal.get_window('hann', n) (periodic)
  window.tukey.<n>.npy            float64 scipy.signal.get_window(('tukey', 0.25), n) (periodic)
  resample.<from>_<to>.in.npy     band-limited input: sines and a chirp below 0.85 of the lower
                                  Nyquist frequency, plus a 0.1 s fade-in so the start is not a step
  resample.<from>_<to>.out.npy    librosa.resample(in, orig_sr=from, target_sr=to) (soxr_hq)
  resample.noise.in.npy           white noise at 16 kHz (full band, to report the transition band)
  resample.noise.out.npy          its librosa.resample to 22.05 kHz
  resample.lengths.npy            int64 [rows, 4]: n, from, to, len(librosa.resample(zeros(n)))
"""

import argparse
import os

STFT_CASES = [
    # name, signal length, n_fft, hop_length (None: librosa default), win_length, center, pad_mode
    ("crema", 7001, 512, 353, 512, True, "constant"),
    ("win300_nfft400", 3001, 400, 160, 300, True, "constant"),
    ("nocenter_default_hop", 2000, 256, None, 200, False, "constant"),
    ("reflect", 1500, 512, 128, 512, True, "reflect"),
    ("short_reflect", 20, 64, 16, 64, True, "reflect"),
    ("short_constant", 20, 64, 16, 48, True, "constant"),
    ("odd_nfft", 2500, 255, 100, 255, True, "constant"),
]
PSD_CASES = [
    # name, signal length, fs, nperseg, noverlap (None: scipy default nperseg // 8)
    ("ks", 4000, 22050.0, 512, 353),
    ("default_overlap", 3000, 16000.0, 256, None),
    ("odd", 2000, 1.0, 255, 100),
]
WINDOWS = [300, 400, 512]
RESAMPLE_PAIRS = [(16000, 22050, 4000), (22050, 16000, 5000), (44100, 22050, 6000)]
LENGTH_PAIRS = [(16000, 22050), (22050, 16000), (44100, 22050), (48000, 22050), (16000, 35400),
                (8000, 22050), (11025, 16000)]
LENGTHS = [1, 2, 3, 7, 100, 999, 4000, 16000, 16001, 24000, 44100, 48000, 66150, 123457]


def test_signal(np):
    rng = np.random.default_rng(20240506)
    rate = 16000.0
    t = np.arange(7001) / rate
    duration = t[-1]
    # Linear chirp whose frequency goes from 60 Hz to 7.5 kHz.
    phase = 2 * np.pi * (60 * t + (7500 - 60) * t**2 / (2 * duration))
    x = 0.3 * np.sin(phase)
    for amplitude, frequency in [(0.2, 440.0), (0.1, 1234.5), (0.05, 3000.0)]:
        x += amplitude * np.sin(2 * np.pi * frequency * t)
    x += 0.02 * rng.standard_normal(t.size) + 0.05
    return x.astype(np.float32)


def band_limited(np, rate, lower_rate, length, seed):
    rng = np.random.default_rng(seed)
    t = np.arange(length) / rate
    top = 0.85 * lower_rate / 2
    x = np.zeros(length)
    for frequency in rng.uniform(50, top, size=6):
        x += rng.uniform(0.05, 0.2) * np.sin(2 * np.pi * frequency * t + rng.uniform(0, 2 * np.pi))
    phase = 2 * np.pi * (100 * t + (top - 100) * t**2 / (2 * t[-1]))
    x += 0.2 * np.sin(phase)
    x *= np.minimum(1.0, t / 0.1)
    return x.astype(np.float32)


def main():
    import librosa
    import numpy as np
    import scipy.signal

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    parser.add_argument("--out", default=os.path.join(root, "tests", "fixtures", "audio"))
    out = parser.parse_args().out
    os.makedirs(out, exist_ok=True)

    def save(name, array):
        np.save(os.path.join(out, name + ".npy"), np.ascontiguousarray(array))

    signal = test_signal(np)
    save("signal", signal)
    for name, length, n_fft, hop, win_length, center, pad_mode in STFT_CASES:
        spectrum = librosa.stft(signal[:length], n_fft=n_fft, hop_length=hop,
                                win_length=win_length, center=center, pad_mode=pad_mode)
        magnitude = np.abs(spectrum)
        assert magnitude.dtype == np.float32
        save(f"stft.{name}", magnitude)
    for name, length, fs, nperseg, noverlap in PSD_CASES:
        _, _, psd = scipy.signal.spectrogram(signal[:length], fs=fs, nperseg=nperseg,
                                             noverlap=noverlap)
        assert psd.dtype == np.float32
        save(f"psd.{name}", psd)
    for n in WINDOWS:
        save(f"window.hann.{n}", scipy.signal.get_window("hann", n))
    save("window.tukey.512", scipy.signal.get_window(("tukey", 0.25), 512))
    save("window.tukey.255", scipy.signal.get_window(("tukey", 0.25), 255))

    for seed, (rate, target, length) in enumerate(RESAMPLE_PAIRS):
        x = band_limited(np, rate, min(rate, target), length, seed)
        save(f"resample.{rate}_{target}.in", x)
        save(f"resample.{rate}_{target}.out", librosa.resample(x, orig_sr=rate, target_sr=target))
    noise = (0.3 * np.random.default_rng(7).standard_normal(2000)).astype(np.float32)
    save("resample.noise.in", noise)
    save("resample.noise.out", librosa.resample(noise, orig_sr=16000, target_sr=22050))

    rows = []
    for rate, target in LENGTH_PAIRS:
        for n in LENGTHS:
            y = librosa.resample(np.zeros(n, np.float32), orig_sr=rate, target_sr=target)
            rows.append([n, rate, target, y.shape[-1]])
    save("resample.lengths", np.array(rows, dtype=np.int64))


if __name__ == "__main__":
    main()
