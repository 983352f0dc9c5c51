#include "datasets/wav.h"

#include <cstdio>
#include <fstream>

#include "test_util.h"
#include "tests/datasets/riff_test_util.h"

namespace mg::data {
namespace {

using testing::chunk;
using testing::le;

std::string fmt_body(int tag, int channels, int rate, int bits) {
  const int align = channels * bits / 8;
  return le(tag, 2) + le(channels, 2) + le(rate, 4) + le(rate * align, 4) + le(align, 2) +
         le(bits, 2);
}

// WAVE_FORMAT_EXTENSIBLE: the basic fields, cbSize 22, valid bits, channel mask, SubFormat GUID.
std::string extensible_body(int subformat, int channels, int rate, int bits) {
  return fmt_body(0xFFFE, channels, rate, bits) + le(22, 2) + le(bits, 2) + le(0, 4) +
         le(subformat, 2) +
         std::string("\x00\x00\x00\x00\x10\x00\x80\x00\x00\xAA\x00\x38\x9B\x71", 14);
}

std::vector<std::uint8_t> riff(const std::string& chunks) {
  const std::string out = "RIFF" + le(4 + chunks.size(), 4) + "WAVE" + chunks;
  return std::vector<std::uint8_t>(out.begin(), out.end());
}

std::string int16s(const std::vector<int>& values) {
  std::string out;
  for (int v : values) out += le(static_cast<std::uint32_t>(v), 2);
  return out;
}

TEST(Wav, Reads16BitPcmMono) {
  const auto bytes = riff(chunk("fmt ", fmt_body(1, 1, 16000, 16)) +
                          chunk("data", int16s({0, 16384, -32768, 32767})));
  const WavAudio audio = parse_wav(bytes, "<bytes>");
  EXPECT_EQ(audio.sample_rate, 16000);
  EXPECT_EQ(audio.samples, (std::vector<float>{0.0f, 0.5f, -1.0f, 32767.0f / 32768.0f}));
}

TEST(Wav, AveragesStereoToMonoAndSkipsUnknownChunksWithOddSizes) {
  // data before fmt, a LIST chunk of odd size (padded) in between, a trailing odd chunk whose pad
  // byte is missing.
  const std::string list = chunk("LIST", "INFOabc");  // 7 bytes + pad
  const std::string trailing = "junk" + le(3, 4) + "xyz";
  const auto bytes = riff(chunk("data", int16s({16384, 0, -16384, -16384, 32767, -32768})) + list +
                          chunk("fmt ", fmt_body(1, 2, 22050, 16)) + trailing);
  const WavAudio audio = parse_wav(bytes, "<bytes>");
  EXPECT_EQ(audio.sample_rate, 22050);
  EXPECT_EQ(audio.samples, (std::vector<float>{0.25f, -0.5f, -0.5f / 32768.0f}));
}

TEST(Wav, Reads8And24And32BitPcm) {
  const auto u8 = parse_wav(
      riff(chunk("fmt ", fmt_body(1, 1, 8000, 8)) + chunk("data", std::string("\x80\x00\xff", 3))),
      "<bytes>");
  EXPECT_EQ(u8.samples, (std::vector<float>{0.0f, -1.0f, 127.0f / 128.0f}));
  // 24-bit: 0x400000 = 0.5, 0x800000 = -1, 0xffffff = -1/2^23.
  const auto s24 = parse_wav(riff(chunk("fmt ", fmt_body(1, 1, 8000, 24)) +
                                  chunk("data", le(0x400000, 3) + le(0x800000, 3) +
                                                    le(0xffffff, 3))),  // odd data size, padded
                             "<bytes>");
  EXPECT_EQ(s24.samples, (std::vector<float>{0.5f, -1.0f, -1.0f / 8388608.0f}));
  const auto s32 = parse_wav(riff(chunk("fmt ", fmt_body(1, 1, 8000, 32)) +
                                  chunk("data", le(0xC0000000u, 4) + le(0x00010000, 4))),
                             "<bytes>");
  EXPECT_EQ(s32.samples, (std::vector<float>{-0.5f, 1.0f / 32768.0f}));
}

TEST(Wav, ReadsFloatAndExtensibleFormats) {
  std::string floats;
  for (float v : {0.25f, -1.5f}) floats += le(std::bit_cast<std::uint32_t>(v), 4);
  const auto f32 =
      parse_wav(riff(chunk("fmt ", fmt_body(3, 1, 44100, 32)) + chunk("data", floats)), "<bytes>");
  EXPECT_EQ(f32.samples, (std::vector<float>{0.25f, -1.5f}));
  const auto f64 = parse_wav(riff(chunk("fmt ", fmt_body(3, 1, 44100, 64)) +
                                  chunk("data", le(0, 4) + le(0x3FE00000, 4))),  // 0.5
                             "<bytes>");
  EXPECT_EQ(f64.samples, (std::vector<float>{0.5f}));
  const auto ext_float = parse_wav(riff(chunk("fmt ", extensible_body(3, 2, 48000, 32)) +
                                        chunk("fact", le(1, 4)) + chunk("data", floats)),
                                   "<bytes>");
  EXPECT_EQ(ext_float.sample_rate, 48000);
  EXPECT_EQ(ext_float.samples, (std::vector<float>{-0.625f}));
  const auto ext_pcm = parse_wav(
      riff(chunk("fmt ", extensible_body(1, 1, 8000, 16)) + chunk("data", int16s({-8192}))),
      "<bytes>");
  EXPECT_EQ(ext_pcm.samples, (std::vector<float>{-0.25f}));
}

TEST(Wav, ReadsFilesAndNamesThemInErrors) {
  const std::string path = ::testing::TempDir() + "/mg_wav_test.wav";
  const auto bytes = riff(chunk("fmt ", fmt_body(1, 1, 16000, 16)) + chunk("data", int16s({8192})));
  std::ofstream(path, std::ios::binary)
      .write(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  EXPECT_EQ(read_wav(path).samples, (std::vector<float>{0.25f}));
  std::ofstream(path, std::ios::binary) << "not audio";
  EXPECT_MG_ERROR(read_wav(path), path, "not a WAV file");
  std::remove(path.c_str());
}

TEST(Wav, CorruptFilesGiveClearErrors) {
  const std::string fmt = chunk("fmt ", fmt_body(1, 1, 16000, 16));
  const std::string data = chunk("data", int16s({1, 2, 3}));
  const auto parse = [](const std::vector<std::uint8_t>& bytes) { parse_wav(bytes, "x.wav"); };
  EXPECT_MG_ERROR(parse({}), "x.wav", "not a WAV file");
  const std::string rifx = "RIFX" + le(4, 4) + "WAVE";
  EXPECT_MG_ERROR(parse(std::vector<std::uint8_t>(rifx.begin(), rifx.end())), "not a WAV file");
  const std::string avi = "RIFF" + le(4, 4) + "AVI ";
  EXPECT_MG_ERROR(parse(std::vector<std::uint8_t>(avi.begin(), avi.end())), "not a WAV file");
  // A chunk announcing more bytes than the file holds.
  auto truncated = riff(fmt + data);
  truncated.resize(truncated.size() - 3);
  EXPECT_MG_ERROR(parse(truncated), "x.wav", "chunk 'data'", "truncated", "6 bytes announced",
                  "3 present");
  auto half_header = riff(fmt + "da");
  EXPECT_MG_ERROR(parse(half_header), "chunk header", "truncated");
  EXPECT_MG_ERROR(parse(riff(data)), "x.wav", "no 'fmt ' chunk");
  EXPECT_MG_ERROR(parse(riff(fmt)), "x.wav", "no 'data' chunk");
  EXPECT_MG_ERROR(parse(riff(fmt + fmt + data)), "two 'fmt ' chunks");
  EXPECT_MG_ERROR(parse(riff(chunk("fmt ", fmt_body(1, 0, 16000, 16)) + data)), "0 channels");
  EXPECT_MG_ERROR(parse(riff(chunk("fmt ", fmt_body(1, 1, 0, 16)) + data)), "sample rate 0 Hz");
  // A rate no recording has would make the resampler build a filter or output of any size.
  EXPECT_MG_ERROR(parse(riff(chunk("fmt ", fmt_body(1, 1, 1, 16)) + data)), "sample rate 1 Hz",
                  "outside [1000, 1000000]");
  EXPECT_MG_ERROR(parse(riff(chunk("fmt ", fmt_body(1, 1, 16000, 12)) + data)),
                  "unsupported WAV sample size: 12-bit PCM");
  EXPECT_MG_ERROR(parse(riff(chunk("fmt ", fmt_body(3, 1, 16000, 16)) + data)),
                  "16-bit IEEE float");
  EXPECT_MG_ERROR(parse(riff(chunk("fmt ", fmt_body(2, 1, 16000, 4)) + data)),
                  "unsupported WAV format tag 2");
  EXPECT_MG_ERROR(parse(riff(chunk("fmt ", fmt_body(1, 1, 16000, 16).substr(0, 14)) + data)),
                  "'fmt ' chunk has 14 bytes");
  EXPECT_MG_ERROR(parse(riff(chunk("fmt ", fmt_body(0xFFFE, 1, 16000, 16)) + data)),
                  "EXTENSIBLE has 16 bytes");
  std::string bad_guid = extensible_body(1, 1, 16000, 16);
  bad_guid.back() = 'x';
  EXPECT_MG_ERROR(parse(riff(chunk("fmt ", bad_guid) + data)), "unknown SubFormat");
  std::string bad_align = fmt_body(1, 2, 16000, 16);
  bad_align[12] = 2;
  EXPECT_MG_ERROR(parse(riff(chunk("fmt ", bad_align) + data)), "block align 2");
  EXPECT_MG_ERROR(parse(riff(chunk("fmt ", fmt_body(1, 2, 16000, 16)) + data)),
                  "6 bytes is not a whole number of 4-byte frames");
}

TEST(Wav, EveryTruncationIsAnErrorOrAShorterReadNeverACrash) {
  const auto bytes = riff(chunk("LIST", "abc") + chunk("fmt ", extensible_body(1, 2, 8000, 24)) +
                          chunk("data", std::string(30, '\x7f')));
  for (std::size_t size = 0; size < bytes.size(); ++size) {
    try {
      parse_wav(std::span(bytes).first(size), "<bytes>");
    } catch (const Error&) {
    }
  }
  EXPECT_EQ(parse_wav(bytes, "<bytes>").samples.size(), 5u);
}

}  // namespace
}  // namespace mg::data
