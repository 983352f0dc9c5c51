#include "datasets/wav.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <optional>
#include <string_view>

#include "core/error.h"
#include "datasets/byte_order.h"
#include "datasets/file_bytes.h"

namespace mg::data {
namespace {

constexpr std::uint16_t kFormatPcm = 1;
constexpr std::uint16_t kFormatFloat = 3;
constexpr std::uint16_t kFormatExtensible = 0xFFFE;
constexpr std::uint32_t kMinSampleRate = 1000;
constexpr std::uint32_t kMaxSampleRate = 1000000;
// Bytes 2..15 of every KSDATAFORMAT_SUBTYPE_* GUID; bytes 0..1 hold the format tag.
constexpr std::uint8_t kSubformatTail[14] = {0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80,
                                             0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71};

struct Format {
  std::uint16_t tag;  // kFormatPcm or kFormatFloat, after resolving WAVE_FORMAT_EXTENSIBLE
  std::uint16_t channels;
  std::uint32_t sample_rate;
  std::uint16_t block_align;
  std::uint16_t bits;
};

Format parse_format(std::span<const std::uint8_t> chunk, const std::string& source) {
  MG_CHECK(chunk.size() >= 16, source, ": WAV 'fmt ' chunk has ", chunk.size(),
           " bytes, needs at least 16");
  const std::uint8_t* at = chunk.data();
  Format format{static_cast<std::uint16_t>(load_le(at, 2)),
                static_cast<std::uint16_t>(load_le(at + 2, 2)),
                static_cast<std::uint32_t>(load_le(at + 4, 4)),
                static_cast<std::uint16_t>(load_le(at + 12, 2)),
                static_cast<std::uint16_t>(load_le(at + 14, 2))};
  if (format.tag == kFormatExtensible) {
    MG_CHECK(chunk.size() >= 40, source, ": WAV 'fmt ' chunk of WAVE_FORMAT_EXTENSIBLE has ",
             chunk.size(), " bytes, needs 40");
    MG_CHECK(std::equal(std::begin(kSubformatTail), std::end(kSubformatTail), at + 26), source,
             ": WAV WAVE_FORMAT_EXTENSIBLE with an unknown SubFormat GUID");
    format.tag = static_cast<std::uint16_t>(load_le(at + 24, 2));
  }
  MG_CHECK(format.tag == kFormatPcm || format.tag == kFormatFloat, source,
           ": unsupported WAV format tag ", format.tag,
           " (supported: 1 PCM, 3 IEEE float, 0xFFFE extensible of those)");
  MG_CHECK(format.channels > 0, source, ": WAV 'fmt ' chunk says 0 channels");
  // A corrupt rate would send the resampler into a filter or output of any size.
  MG_CHECK(format.sample_rate >= kMinSampleRate && format.sample_rate <= kMaxSampleRate, source,
           ": WAV 'fmt ' chunk says sample rate ", format.sample_rate, " Hz, outside [",
           kMinSampleRate, ", ", kMaxSampleRate, "]");
  const bool supported = format.tag == kFormatPcm ? (format.bits == 8 || format.bits == 16 ||
                                                     format.bits == 24 || format.bits == 32)
                                                  : (format.bits == 32 || format.bits == 64);
  MG_CHECK(supported, source, ": unsupported WAV sample size: ", format.bits, "-bit ",
           format.tag == kFormatPcm ? "PCM (supported: 8, 16, 24, 32)"
                                    : "IEEE float (supported: 32, 64)");
  MG_CHECK(format.block_align == format.channels * (format.bits / 8), source, ": WAV block align ",
           format.block_align, " is not channels (", format.channels, ") x bytes per sample (",
           format.bits / 8, ")");
  return format;
}

// One sample, scaled as the header comment says.
double decode_sample(const std::uint8_t* at, const Format& format) {
  if (format.tag == kFormatFloat) {
    if (format.bits == 32) return std::bit_cast<float>(static_cast<std::uint32_t>(load_le(at, 4)));
    return std::bit_cast<double>(load_le(at, 8));
  }
  if (format.bits == 8) return (static_cast<int>(at[0]) - 128) / 128.0;
  const std::size_t size = format.bits / 8;
  // Shift the sample into the top of an int32 to sign-extend it.
  const auto value = static_cast<std::int32_t>(load_le(at, size) << (32 - format.bits));
  return value / 2147483648.0;
}

}  // namespace

WavAudio parse_wav(std::span<const std::uint8_t> bytes, const std::string& source_name) {
  const std::string& source = source_name;
  MG_CHECK(
      bytes.size() >= 12 && is_fourcc(bytes.data(), "RIFF") && is_fourcc(bytes.data() + 8, "WAVE"),
      source, ": not a WAV file (no RIFF....WAVE header)");
  std::optional<Format> format;
  std::optional<std::span<const std::uint8_t>> data;
  std::size_t at = 12;
  while (at < bytes.size()) {
    MG_CHECK(bytes.size() - at >= 8, source, ": WAV chunk header at byte ", at, " is truncated (",
             bytes.size() - at, " of 8 bytes)");
    const std::uint8_t* header = bytes.data() + at;
    const std::size_t size = load_le(header + 4, 4);
    MG_CHECK(size <= bytes.size() - at - 8, source, ": WAV chunk ", quoted_fourcc(header),
             " at byte ", at, " is truncated: ", size, " bytes announced, ", bytes.size() - at - 8,
             " present");
    const auto body = bytes.subspan(at + 8, size);
    if (is_fourcc(header, "fmt ")) {
      MG_CHECK(!format, source, ": WAV file has two 'fmt ' chunks");
      format = parse_format(body, source);
    } else if (is_fourcc(header, "data")) {
      MG_CHECK(!data, source, ": WAV file has two 'data' chunks");
      data = body;
    }
    // Odd sizes are followed by a pad byte, which a last chunk may lack.
    at += 8 + size + (size % 2);
  }
  MG_CHECK(format, source, ": WAV file has no 'fmt ' chunk");
  MG_CHECK(data, source, ": WAV file has no 'data' chunk");
  MG_CHECK(data->size() % format->block_align == 0, source, ": WAV 'data' chunk of ", data->size(),
           " bytes is not a whole number of ", format->block_align, "-byte frames");

  WavAudio audio;
  audio.sample_rate = format->sample_rate;
  const std::size_t frames = data->size() / format->block_align;
  const std::size_t sample_size = format->bits / 8;
  audio.samples.resize(frames);
  if (format->tag == kFormatPcm && format->bits == 16 && format->channels == 1) {
    // The common case (CREMA-D, speech corpora), in a loop the compiler vectorises: the same
    // values as decode_sample's, since v / 2^15 is exact in float.
    const std::uint8_t* pcm = data->data();
    for (std::size_t frame = 0; frame < frames; ++frame) {
      const auto value = static_cast<std::int16_t>(pcm[2 * frame] | pcm[2 * frame + 1] << 8);
      audio.samples[frame] = static_cast<float>(value) / 32768.0f;
    }
    return audio;
  }
  for (std::size_t frame = 0; frame < frames; ++frame) {
    const std::uint8_t* first = data->data() + frame * format->block_align;
    double sum = 0;
    for (std::size_t channel = 0; channel < format->channels; ++channel) {
      sum += decode_sample(first + channel * sample_size, *format);
    }
    audio.samples[frame] = static_cast<float>(sum / format->channels);
  }
  return audio;
}

WavAudio read_wav(const std::string& path) {
  const std::vector<std::uint8_t> bytes = read_file_bytes(path);
  return parse_wav(bytes, path);
}

}  // namespace mg::data
