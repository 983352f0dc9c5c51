#pragma once

#include <cstdint>
#include <span>
#include <vector>

// Band-limited resampling of mono audio, standing in for librosa.resample's default (res_type
// 'soxr_hq', libsoxr's "high quality" linear-phase filter; specs/datasets.md §5.5, §6.2).
//
// Design: a polyphase windowed-sinc (Kaiser) FIR filter evaluated exactly at every output
// instant. For rates reduced by their gcd to up/down = to/from, output sample j lies at input
// time j·from/to = q + r/up (q integer, phase r < up); it is Σ x[i]·h(q + r/up - i) over the 2K
// inputs around it, with one precomputed row of 2K float taps per phase. Samples outside the
// signal count as zero (a linear-phase filter with no delay, as soxr's output).
// - h is a Kaiser-windowed sinc whose -6 dB cutoff is 0.955 of the lower Nyquist frequency,
//   with a transition band from 0.91 to 1.0 of it and 120 dB stopband attenuation (Kaiser's
//   β = 0.1102·(A - 8.7), span (A - 7.95) / (2.285·Δω)): soxr_hq measures -0.07 dB at 0.93,
//   -3 dB at 0.95, -61 dB at 0.99 and < -130 dB past 1.0 of the lower Nyquist, so the two keep
//   and reject the same content and roll off alike in between. Each phase's taps are scaled to
//   sum to 1 (exact DC gain). 2K is about 176 input samples when upsampling and 176·from/to when
//   downsampling (rounded up to a multiple of 8 for the vector loop).
// - Why this rather than soxr's own design (a multi-stage, FFT-convolved filter): one direct
//   polyphase stage is short code, is exact at every phase (no interpolation between table
//   entries), and for the speech-rate ratios of the benchmarks costs ~176 multiply-adds per
//   output (0.37 ms for 1.5 s at 16 kHz → 22.05 kHz on one core, soxr via librosa 0.44 ms).
// - Accuracy (tests/datasets/resample_test.cpp): within -110 dB (RMS) of an ideal resampler for
//   sines up to 0.9 of the lower Nyquist frequency. Against librosa 0.10.2's soxr_hq on
//   band-limited signals (< 0.85 of it), away from the ends: -87.6 dB for 16 → 22.05 kHz,
//   -74.8 dB for 22.05 → 16 kHz, -131 dB for 44.1 → 22.05 kHz; -40.6 dB on white noise, whose
//   transition-band content the two filters treat slightly differently. Most of the difference
//   on band-limited content is soxr's own passband roll-off (designed to stay within 0.01 dB:
//   -0.001 dB at 0.8, -0.007 dB at 0.9 of the Nyquist frequency for non-integer ratios), which
//   this flat filter does not copy. Near the end of a signal that stops abruptly the two ring
//   differently (about -70 dB over a whole clip).
// - Tables are built once per (from, to) and shared between threads (DataLoader workers).
//   Outputs are computed phase by phase (outputs up apart share a row of taps), four at a time.
//
// Output length follows librosa: ceil(n·(to/from)) computed in float64 as numpy does; samples
// from soxr's own length, int(n / (from/to) + 0.5), onwards are zero, as librosa's fix_length
// pads soxr's output. from == to returns the input unchanged (as librosa does).
//
// Errors (mg::Error naming the function): a rate <= 0, or a pair whose reduced ratio needs a
// table of more than 2^22 coefficients (e.g. 44100 -> 44101, 44,101 phases).
namespace mg::data {

// Band-limited resampling of mono audio (quality comparable to soxr_hq, librosa's default).
std::vector<float> resample(std::span<const float> samples, std::int64_t from_rate,
                            std::int64_t to_rate);

// The number of samples resample() returns for n inputs: ceil(n·(to/from)) in float64.
std::int64_t resampled_length(std::int64_t n, std::int64_t from_rate, std::int64_t to_rate);

// How many input samples past an output instant the filter reads: the first m outputs of any
// prefix of at least ceil(m·from/to) + resample_reach(from, to) inputs equal those of the whole
// signal, so a caller that keeps m outputs need not resample the rest.
std::int64_t resample_reach(std::int64_t from_rate, std::int64_t to_rate);

}  // namespace mg::data
