#pragma once

#include <cstdint>
#include <memory>
#include <span>

// Discrete Fourier transform of real input, X[k] = Σ_j x[j] e^{-2πi jk/n} for k = 0 .. n/2 (the
// non-redundant half, numpy.fft.rfft), in float64, for the STFT and the PSD.
//
// Power-of-two n: the even and odd samples become the real and imaginary parts of one complex
// sequence of length n/2, transformed by an iterative radix-2 FFT (bit-reversed load,
// precomputed twiddles per stage, real and imaginary parts in separate arrays so the butterflies
// vectorise), then split into the spectrum of the real input. Other n: Bluestein's algorithm (the
// DFT as a convolution with a chirp, done with power-of-two FFTs of length >= 2n - 1), a few
// times slower but exact to rounding.
namespace mg::data {

class RealFft {
 public:
  // The plan for length n (1 <= n <= 2^22), built on first use and kept: plans are immutable,
  // so threads (DataLoader workers) share them.
  static const RealFft& plan(std::int64_t n);

  explicit RealFft(std::int64_t n);
  ~RealFft();

  std::int64_t size() const { return n_; }
  std::int64_t bins() const { return n_ / 2 + 1; }

  // X[0 .. n/2] of `input` (n values): real parts into `re`, imaginary into `im` (bins() each).
  void forward(std::span<const double> input, std::span<double> re, std::span<double> im) const;

 private:
  struct Pow2;
  struct Bluestein;
  std::int64_t n_;
  std::unique_ptr<const Pow2> pow2_;            // power-of-two n
  std::unique_ptr<const Bluestein> bluestein_;  // any other n
};

}  // namespace mg::data
