#include "datasets/audio_features.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "core/error.h"
#include "core/ops_copy.h"
#include "core/ops_view.h"
#include "datasets/npy.h"
#include "datasets/pickle.h"
#include "datasets/resample.h"
#include "datasets/spectrogram.h"
#include "datasets/stft.h"

namespace mg::data {
namespace {

struct WavRecipe {
  std::int64_t rate;
  std::int64_t length;  // samples after tiling
};

WavRecipe recipe_of(AudioMode mode) {
  switch (mode) {
    case AudioMode::WavStft22050_3s:
      return {22050, 3 * 22050};
    case AudioMode::WavStft35400_10s:
      return {35400, 10 * 35400};
    case AudioMode::WavScipyPsd1004:
      return {22050, 160000};
    case AudioMode::Pkl:
    case AudioMode::Npy:
      break;
  }
  throw Error("wav_spectrogram: the audio mode reads no WAV");
}

// The clip at the recipe's rate, as far as tiling keeps it: a long file costs no more than a
// clip of the recipe's length (the outputs kept equal those of resampling it whole).
std::vector<float> resampled_prefix(const WavAudio& audio, const WavRecipe& recipe) {
  if (audio.sample_rate == recipe.rate || audio.samples.empty()) return audio.samples;
  const auto n = static_cast<std::int64_t>(audio.samples.size());
  const std::int64_t needed = resampled_length(recipe.length, recipe.rate, audio.sample_rate) +
                              resample_reach(audio.sample_rate, recipe.rate);
  const std::span<const float> prefix(audio.samples.data(),
                                      static_cast<std::size_t>(std::min(n, needed)));
  std::vector<float> out = resample(prefix, audio.sample_rate, recipe.rate);
  if (needed < n) out.resize(static_cast<std::size_t>(recipe.length));
  return out;
}

// `samples` repeated end to end, cut to `length`, clipped to [-1, 1] (np.tile + clip).
std::vector<float> tiled(const std::vector<float>& samples, std::int64_t length) {
  std::vector<float> out(static_cast<std::size_t>(length), 0.0f);
  if (samples.empty()) return out;
  // Whole repeats, then one clamping pass: no division per sample.
  for (std::size_t at = 0; at < out.size(); at += samples.size()) {
    const std::size_t count = std::min(samples.size(), out.size() - at);
    std::copy_n(samples.begin(), count, out.begin() + static_cast<std::ptrdiff_t>(at));
  }
  for (float& x : out) x = std::clamp(x, -1.0f, 1.0f);
  return out;
}

// (x - mean) / (std + 1e-9) over the whole array, population std (numpy's), in double.
void z_score(Tensor& x) {
  float* data = x.data_ptr<float>();
  const std::int64_t n = x.numel();
  double sum = 0.0;
  for (std::int64_t i = 0; i < n; ++i) sum += data[i];
  const double mean = sum / static_cast<double>(n);
  double squares = 0.0;
  for (std::int64_t i = 0; i < n; ++i) squares += (data[i] - mean) * (data[i] - mean);
  const double scale = 1.0 / (std::sqrt(squares / static_cast<double>(n)) + 1e-9);
  for (std::int64_t i = 0; i < n; ++i) data[i] = static_cast<float>((data[i] - mean) * scale);
}

}  // namespace

std::string audio_extension(AudioMode mode) {
  switch (mode) {
    case AudioMode::Pkl:
      return ".pkl";
    case AudioMode::Npy:
      return ".npy";
    default:
      return ".wav";
  }
}

Tensor wav_spectrogram(const WavAudio& audio, AudioMode mode, const std::string& source) {
  const WavRecipe recipe = recipe_of(mode);
  MG_CHECK(audio.sample_rate > 0, source, ": sample rate ", audio.sample_rate);
  std::vector<float> resampled;
  try {
    resampled = resampled_prefix(audio, recipe);
  } catch (const Error& e) {
    throw Error(str(source, ": ", e.what()));
  }
  const std::vector<float> clip = tiled(resampled, recipe.length);
  if (mode == AudioMode::WavScipyPsd1004) {
    Tensor psd = native::contiguous(spectrogram_psd(
        clip, {.fs = static_cast<double>(recipe.rate), .nperseg = 512, .noverlap = 353}));
    float* data = psd.data_ptr<float>();
    for (std::int64_t i = 0; i < psd.numel(); ++i) data[i] = std::log(data[i] + 1e-7f);
    z_score(psd);
    return psd;
  }
  return log_stft_magnitude(clip,
                            {.n_fft = 512,
                             .hop_length = 353,
                             .win_length = 512,
                             .center = true,
                             .pad_mode = PadMode::Constant},
                            1e-7);
}

Tensor load_audio(const std::string& path, AudioMode mode) {
  Tensor spectrogram;
  if (mode == AudioMode::Pkl || mode == AudioMode::Npy) {
    const Tensor array = mode == AudioMode::Pkl ? read_pickled_array(path) : read_npy(path);
    MG_CHECK(array.dim() == 2, path, ": expected a 2-D spectrogram [F, T], got ", describe(array));
    spectrogram = native::contiguous(native::to(array, kFloat32));
  } else {
    spectrogram = wav_spectrogram(read_wav(path), mode, path);
  }
  return native::unsqueeze(spectrogram, 0);
}

}  // namespace mg::data
