#include "datasets/fft.h"

#include <bit>
#include <cmath>
#include <map>
#include <mutex>
#include <numbers>
#include <vector>

#include "core/error.h"

namespace mg::data {
namespace {

constexpr std::int64_t kMaxSize = std::int64_t{1} << 22;

// In-place complex FFT of a power-of-two length m, real and imaginary parts in separate arrays.
class ComplexFft {
 public:
  explicit ComplexFft(std::int64_t m) : m_(m), reversed_(m), twiddle_re_(m), twiddle_im_(m) {
    const int bits = std::countr_zero(static_cast<std::uint64_t>(m));
    for (std::int64_t k = 0; k < m; ++k) {
      std::uint64_t reversed = 0;
      for (int b = 0; b < bits; ++b)
        reversed |= ((static_cast<std::uint64_t>(k) >> b) & 1) << (bits - 1 - b);
      reversed_[k] = static_cast<std::uint32_t>(reversed);
    }
    // The stage that combines transforms of length h into 2h reads entries h .. 2h-1:
    // e^{-2πi j / 2h}, each computed directly (no recurrence, so no error build-up).
    for (std::int64_t h = 1; h < m; h *= 2) {
      for (std::int64_t j = 0; j < h; ++j) {
        const double angle = -std::numbers::pi * static_cast<double>(j) / static_cast<double>(h);
        twiddle_re_[h + j] = std::cos(angle);
        twiddle_im_[h + j] = std::sin(angle);
      }
    }
  }

  std::int64_t size() const { return m_; }
  // Where sample k goes in the bit-reversed order the butterflies expect.
  std::uint32_t reversed(std::int64_t k) const { return reversed_[k]; }

  // Transforms data already in bit-reversed order into natural-order bins.
  void run_bit_reversed(double* re, double* im) const {
    if (m_ >= 2) {
      for (std::int64_t s = 0; s < m_; s += 2) {
        const double ar = re[s], ai = im[s], br = re[s + 1], bi = im[s + 1];
        re[s] = ar + br, im[s] = ai + bi;
        re[s + 1] = ar - br, im[s + 1] = ai - bi;
      }
    }
    if (m_ >= 4) {  // twiddles 1 and -i
      for (std::int64_t s = 0; s < m_; s += 4) {
        for (std::int64_t j = 0; j < 2; ++j) {
          const std::int64_t a = s + j, b = a + 2;
          const double tr = j == 0 ? re[b] : im[b];
          const double ti = j == 0 ? im[b] : -re[b];
          re[b] = re[a] - tr, im[b] = im[a] - ti;
          re[a] += tr, im[a] += ti;
        }
      }
    }
    run_stages_from(4, re, im);
  }

  // Transforms data in natural order.
  void run(double* re, double* im) const {
    for (std::int64_t k = 0; k < m_; ++k) {
      const std::int64_t r = reversed_[k];
      if (r > k) std::swap(re[k], re[r]), std::swap(im[k], im[r]);
    }
    run_bit_reversed(re, im);
  }

  // For m >= 4, the transform of z[i] = x[2i] + i·x[2i+1], i < m: loads z in bit-reversed order
  // and does the first two stages on the way, as one 4-point DFT per group of four outputs.
  // Outputs 4s .. 4s+3 take z at a, a + m/2, a + m/4 and a + 3m/4, where a = reversed(4s).
  void run_on_real_pairs(const double* x, double* re, double* im) const {
    const std::int64_t quarter = m_ / 4;
    for (std::int64_t s = 0; s < quarter; ++s) {
      const double* z0 = x + 2 * std::int64_t{reversed_[4 * s]};
      const double* z1 = z0 + m_;  // z[a + m/2]
      const double* z2 = z0 + m_ / 2;
      const double* z3 = z1 + m_ / 2;
      const double v0r = z0[0] + z1[0], v0i = z0[1] + z1[1];
      const double v1r = z0[0] - z1[0], v1i = z0[1] - z1[1];
      const double v2r = z2[0] + z3[0], v2i = z2[1] + z3[1];
      const double v3r = z2[0] - z3[0], v3i = z2[1] - z3[1];  // times -i: (v3i, -v3r)
      double* r = re + 4 * s;
      double* i = im + 4 * s;
      r[0] = v0r + v2r, i[0] = v0i + v2i;
      r[2] = v0r - v2r, i[2] = v0i - v2i;
      r[1] = v1r + v3i, i[1] = v1i - v3r;
      r[3] = v1r - v3i, i[3] = v1i + v3r;
    }
    run_stages_from(4, re, im);
  }

 private:
  // The radix-2 stages that combine transforms of length h, 2h, ... up to m.
  void run_stages_from(std::int64_t first, double* re, double* im) const {
    for (std::int64_t h = first; h < m_; h *= 2) {
      const double* wr = twiddle_re_.data() + h;
      const double* wi = twiddle_im_.data() + h;
      for (std::int64_t s = 0; s < m_; s += 2 * h) {
        double* ar = re + s;
        double* ai = im + s;
        double* br = ar + h;
        double* bi = ai + h;
#pragma omp simd
        for (std::int64_t j = 0; j < h; ++j) {
          const double tr = std::fma(wr[j], br[j], -wi[j] * bi[j]);
          const double ti = std::fma(wr[j], bi[j], wi[j] * br[j]);
          br[j] = ar[j] - tr, bi[j] = ai[j] - ti;
          ar[j] += tr, ai[j] += ti;
        }
      }
    }
  }

  std::int64_t m_;
  std::vector<std::uint32_t> reversed_;
  std::vector<double> twiddle_re_, twiddle_im_;
};

}  // namespace

// n = 2m: z[k] = x[2k] + i·x[2k+1] has Z = FFT_m(z) with Z[k] = E[k] + i·O[k], where E and O are
// the spectra of the even and odd samples; X[k] = E[k] + e^{-2πik/n}·O[k].
struct RealFft::Pow2 {
  ComplexFft fft;
  std::vector<double> split_re, split_im;  // e^{-2πik/n}, k = 0 .. m/2

  explicit Pow2(std::int64_t n) : fft(n / 2), split_re(n / 4 + 1), split_im(n / 4 + 1) {
    for (std::int64_t k = 0; k <= n / 4; ++k) {
      const double angle = -2 * std::numbers::pi * static_cast<double>(k) / static_cast<double>(n);
      split_re[k] = std::cos(angle);
      split_im[k] = std::sin(angle);
    }
  }

  void forward(const double* x, double* re, double* im) const {
    const std::int64_t m = fft.size();
    if (m >= 4) {
      fft.run_on_real_pairs(x, re, im);
    } else {
      for (std::int64_t k = 0; k < m; ++k) {
        const std::uint32_t to = fft.reversed(k);
        re[to] = x[2 * k];
        im[to] = x[2 * k + 1];
      }
      fft.run_bit_reversed(re, im);
    }
    // Bins k and m - k come from Z[k] and Z[m - k] alone, so the split works in place, in pairs.
    const double z0r = re[0], z0i = im[0];
    re[0] = z0r + z0i, im[0] = 0;
    re[m] = z0r - z0i, im[m] = 0;
#pragma omp simd
    for (std::int64_t k = 1; k <= m / 2; ++k) {
      const double ar = re[k], ai = im[k], br = re[m - k], bi = -im[m - k];  // B = conj(Z[m-k])
      const double even_r = 0.5 * (ar + br), even_i = 0.5 * (ai + bi);
      const double odd_r = 0.5 * (ai - bi), odd_i = -0.5 * (ar - br);  // (A - B) / 2i
      const double wr = split_re[k], wi = split_im[k];
      const double rotated_r = wr * odd_r - wi * odd_i, rotated_i = wr * odd_i + wi * odd_r;
      re[m - k] = even_r - rotated_r, im[m - k] = -(even_i - rotated_i);
      re[k] = even_r + rotated_r, im[k] = even_i + rotated_i;
    }
  }
};

// jk = (j² + k² - (k-j)²) / 2 turns the DFT into c[k]·Σ_j (x[j]·c[j])·conj(c[k-j]) with the
// chirp c[j] = e^{-πi j²/n}: a circular convolution of length M >= 2n - 1 done with FFTs.
struct RealFft::Bluestein {
  std::int64_t n;
  ComplexFft fft;
  std::vector<double> chirp_re, chirp_im;    // c[j], j < n
  std::vector<double> filter_re, filter_im;  // FFT_M of conj(c[|t|]) divided by M

  static std::int64_t convolution_size(std::int64_t n) {
    return static_cast<std::int64_t>(std::bit_ceil(static_cast<std::uint64_t>(2 * n - 1)));
  }

  explicit Bluestein(std::int64_t length)
      : n(length),
        fft(convolution_size(length)),
        chirp_re(length),
        chirp_im(length),
        filter_re(fft.size(), 0.0),
        filter_im(fft.size(), 0.0) {
    const std::int64_t m = fft.size();
    for (std::int64_t j = 0; j < n; ++j) {
      // j² mod 2n keeps the angle small, hence exact to rounding, for any j.
      const std::int64_t phase = (j * j) % (2 * n);
      const double angle = -std::numbers::pi * static_cast<double>(phase) / static_cast<double>(n);
      chirp_re[j] = std::cos(angle);
      chirp_im[j] = std::sin(angle);
    }
    const double scale = 1.0 / static_cast<double>(m);
    for (std::int64_t t = 0; t < n; ++t) {
      filter_re[t] = chirp_re[t] * scale, filter_im[t] = -chirp_im[t] * scale;
      if (t > 0) filter_re[m - t] = filter_re[t], filter_im[m - t] = filter_im[t];
    }
    fft.run(filter_re.data(), filter_im.data());
  }

  void forward(const double* x, double* out_re, double* out_im) const {
    const std::int64_t m = fft.size();
    thread_local std::vector<double> scratch;
    if (static_cast<std::int64_t>(scratch.size()) < 2 * m) scratch.resize(2 * m);
    double* re = scratch.data();
    double* im = re + m;
    for (std::int64_t j = 0; j < n; ++j) re[j] = x[j] * chirp_re[j], im[j] = x[j] * chirp_im[j];
    std::fill(re + n, re + m, 0.0);
    std::fill(im + n, im + m, 0.0);
    fft.run(re, im);
    // Pointwise product with the filter, conjugated: the inverse FFT is conj(FFT(conj(·))).
    for (std::int64_t k = 0; k < m; ++k) {
      const double r = re[k] * filter_re[k] - im[k] * filter_im[k];
      const double i = re[k] * filter_im[k] + im[k] * filter_re[k];
      re[k] = r, im[k] = -i;
    }
    fft.run(re, im);
    for (std::int64_t k = 0; k <= n / 2; ++k) {
      const double r = re[k], i = -im[k];
      out_re[k] = chirp_re[k] * r - chirp_im[k] * i;
      out_im[k] = chirp_re[k] * i + chirp_im[k] * r;
    }
  }
};

RealFft::RealFft(std::int64_t n) : n_(n) {
  MG_CHECK(n >= 1 && n <= kMaxSize, "RealFft: length ", n, " is outside [1, ", kMaxSize, "]");
  if (n >= 2 && std::has_single_bit(static_cast<std::uint64_t>(n))) {
    pow2_ = std::make_unique<const Pow2>(n);
  } else {
    bluestein_ = std::make_unique<const Bluestein>(n);
  }
}

RealFft::~RealFft() = default;

const RealFft& RealFft::plan(std::int64_t n) {
  MG_CHECK(n >= 1 && n <= kMaxSize, "RealFft: length ", n, " is outside [1, ", kMaxSize, "]");
  static std::mutex mutex;
  static std::map<std::int64_t, std::unique_ptr<const RealFft>> plans;
  const std::lock_guard lock(mutex);
  std::unique_ptr<const RealFft>& slot = plans[n];
  if (!slot) slot = std::make_unique<const RealFft>(n);
  return *slot;
}

void RealFft::forward(std::span<const double> input, std::span<double> re,
                      std::span<double> im) const {
  MG_CHECK(static_cast<std::int64_t>(input.size()) == n_ &&
               static_cast<std::int64_t>(re.size()) >= bins() &&
               static_cast<std::int64_t>(im.size()) >= bins(),
           "RealFft::forward: length ", n_, " needs ", n_, " inputs and ", bins(), " outputs, got ",
           input.size(), " inputs and ", re.size(), " / ", im.size(), " outputs");
  if (pow2_) {
    pow2_->forward(input.data(), re.data(), im.data());
  } else {
    bluestein_->forward(input.data(), re.data(), im.data());
  }
}

}  // namespace mg::data
