// MJPEG-in-AVI reading and writing (datasets/avi.h). AVIs are built by hand here or written by
// mjpeg_avi_bytes; no fixture files.
#include "datasets/avi.h"

#include <filesystem>
#include <random>

#include "datasets/file_bytes.h"
#include "datasets/image.h"
#include "test_util.h"
#include "tests/datasets/riff_test_util.h"

namespace mg::data {
namespace {

using Frames = std::vector<std::vector<std::uint8_t>>;

using testing::chunk;
using testing::le;

std::string list(const std::string& type, const std::string& body) {
  return chunk("LIST", type + body);
}

std::string riff(const std::string& form, const std::string& body) {
  return "RIFF" + le(4 + body.size(), 4) + form + body;
}

// One stream's 'strl': a 56-byte 'strh' of `type` and a 'strf' (a BITMAPINFOHEADER with
// `compression` for video, a WAVEFORMATEX for audio).
std::string stream(const std::string& type, const std::string& compression = "MJPG") {
  const std::string header = type + compression + std::string(48, '\0');
  const std::string format = type == "vids"
                                 ? le(40, 4) + le(8, 4) + le(6, 4) + le(1, 2) + le(24, 2) +
                                       compression + std::string(20, '\0')
                                 : le(1, 2) + le(1, 2) + le(8000, 4) + std::string(8, '\0');
  return list("strl", chunk("strh", header) + chunk("strf", format));
}

std::string hdrl(const std::string& streams) {
  return list("hdrl", chunk("avih", std::string(56, '\0')) + streams);
}

std::vector<std::uint8_t> bytes_of(const std::string& text) {
  return std::vector<std::uint8_t>(text.begin(), text.end());
}

std::vector<std::uint8_t> frame(const std::string& text) {
  return bytes_of(text);
}

std::uint32_t u32_at(const std::vector<std::uint8_t>& bytes, std::size_t at) {
  return bytes[at] | bytes[at + 1] << 8 | bytes[at + 2] << 16 | std::uint32_t(bytes[at + 3]) << 24;
}

std::uint32_t u16_at(const std::vector<std::uint8_t>& bytes, std::size_t at) {
  return bytes[at] | bytes[at + 1] << 8;
}

std::string id_at(const std::vector<std::uint8_t>& bytes, std::size_t at) {
  return std::string(bytes.begin() + at, bytes.begin() + at + 4);
}

// Five 8 × 6 JPEG frames, frame i a flat grey of 40 · i + 20.
Frames numbered_frames() {
  Frames frames;
  for (int i = 0; i < 5; ++i) frames.push_back(encode_jpeg(full({8, 6, 3}, 40 * i + 20, kUInt8)));
  return frames;
}

TEST(Avi, WrittenFramesReadBackInOrder) {
  const Frames frames = numbered_frames();
  EXPECT_EQ(parse_mjpeg_avi(mjpeg_avi_bytes(frames, 6, 8, 30), "<avi>"), frames);

  const std::string path = ::testing::TempDir() + "/mg_avi_round_trip.avi";
  write_mjpeg_avi(path, frames, 6, 8, 30);
  const std::vector<Tensor> images = read_mjpeg_avi(path);
  ASSERT_EQ(images.size(), 5u);
  for (int i = 0; i < 5; ++i) {
    ASSERT_EQ(images[i].shape(), (Shape{8, 6, 3}));
    for (const auto value : images[i].to_vector<std::uint8_t>()) {
      ASSERT_NEAR(value, 40 * i + 20, 2) << "frame " << i;
    }
  }
  std::filesystem::remove(path);
  // No frames at all is a valid (empty) video.
  EXPECT_TRUE(parse_mjpeg_avi(mjpeg_avi_bytes({}, 6, 8, 30), "<avi>").empty());
}

TEST(Avi, WriterLaysOutTheHeadersAsAviReadersExpect) {
  // Two frames of odd and even length; 29.97 fps is stored as 2997 / 100.
  const Frames frames = {frame("\xFF\xD8"
                               "abc"),
                         frame("\xFF\xD8"
                               "de")};
  const auto avi = mjpeg_avi_bytes(frames, 320, 240, 29.97);
  ASSERT_EQ(avi.size(), 290u);
  EXPECT_EQ(id_at(avi, 0), "RIFF");
  EXPECT_EQ(u32_at(avi, 4), 282u);
  EXPECT_EQ(id_at(avi, 8), "AVI ");
  // LIST 'hdrl' with 'avih'.
  EXPECT_EQ(id_at(avi, 12), "LIST");
  EXPECT_EQ(u32_at(avi, 16), 192u);
  EXPECT_EQ(id_at(avi, 20), "hdrl");
  EXPECT_EQ(id_at(avi, 24), "avih");
  EXPECT_EQ(u32_at(avi, 28), 56u);
  EXPECT_EQ(u32_at(avi, 32), 33367u);  // µs per frame
  EXPECT_EQ(u32_at(avi, 36), 150u);    // max bytes per second: 5 · 29.97, rounded up
  EXPECT_EQ(u32_at(avi, 44), 0x10u);   // AVIF_HASINDEX
  EXPECT_EQ(u32_at(avi, 48), 2u);      // total frames
  EXPECT_EQ(u32_at(avi, 56), 1u);      // streams
  EXPECT_EQ(u32_at(avi, 60), 5u);      // suggested buffer size
  EXPECT_EQ(u32_at(avi, 64), 320u);
  EXPECT_EQ(u32_at(avi, 68), 240u);
  // LIST 'strl': 'strh' ...
  EXPECT_EQ(id_at(avi, 88), "LIST");
  EXPECT_EQ(u32_at(avi, 92), 116u);
  EXPECT_EQ(id_at(avi, 96), "strl");
  EXPECT_EQ(id_at(avi, 100), "strh");
  EXPECT_EQ(u32_at(avi, 104), 56u);
  EXPECT_EQ(id_at(avi, 108), "vids");
  EXPECT_EQ(id_at(avi, 112), "MJPG");
  EXPECT_EQ(u32_at(avi, 128), 100u);   // scale
  EXPECT_EQ(u32_at(avi, 132), 2997u);  // rate
  EXPECT_EQ(u32_at(avi, 140), 2u);     // length in frames
  EXPECT_EQ(u32_at(avi, 148), 0xFFFFFFFFu);
  EXPECT_EQ(u16_at(avi, 160), 320u);  // rcFrame right, bottom
  EXPECT_EQ(u16_at(avi, 162), 240u);
  // ... and 'strf', a BITMAPINFOHEADER.
  EXPECT_EQ(id_at(avi, 164), "strf");
  EXPECT_EQ(u32_at(avi, 168), 40u);
  EXPECT_EQ(u32_at(avi, 172), 40u);
  EXPECT_EQ(u32_at(avi, 176), 320u);
  EXPECT_EQ(u32_at(avi, 180), 240u);
  EXPECT_EQ(u16_at(avi, 184), 1u);
  EXPECT_EQ(u16_at(avi, 186), 24u);
  EXPECT_EQ(id_at(avi, 188), "MJPG");
  EXPECT_EQ(u32_at(avi, 192), 320u * 240 * 3);
  // LIST 'movi': '00dc' chunks, the odd one padded.
  EXPECT_EQ(id_at(avi, 212), "LIST");
  EXPECT_EQ(u32_at(avi, 216), 30u);
  EXPECT_EQ(id_at(avi, 220), "movi");
  EXPECT_EQ(id_at(avi, 224), "00dc");
  EXPECT_EQ(u32_at(avi, 228), 5u);
  EXPECT_EQ(avi[237], 0);  // pad byte
  EXPECT_EQ(id_at(avi, 238), "00dc");
  EXPECT_EQ(u32_at(avi, 242), 4u);
  // 'idx1': id, AVIIF_KEYFRAME, offset from the 'movi' type, size.
  EXPECT_EQ(id_at(avi, 250), "idx1");
  EXPECT_EQ(u32_at(avi, 254), 32u);
  EXPECT_EQ(id_at(avi, 258), "00dc");
  EXPECT_EQ(u32_at(avi, 262), 0x10u);
  EXPECT_EQ(u32_at(avi, 266), 4u);
  EXPECT_EQ(u32_at(avi, 270), 5u);
  EXPECT_EQ(id_at(avi, 274), "00dc");
  EXPECT_EQ(u32_at(avi, 282), 18u);
  EXPECT_EQ(u32_at(avi, 286), 4u);
  EXPECT_EQ(id_at(avi, 220 + 18), "00dc");

  // Whole frame rates need no fraction.
  const auto thirty = mjpeg_avi_bytes(frames, 320, 240, 30);
  EXPECT_EQ(u32_at(thirty, 32), 33333u);
  EXPECT_EQ(u32_at(thirty, 128), 1u);
  EXPECT_EQ(u32_at(thirty, 132), 30u);
}

TEST(Avi, ReaderFollowsStreamsRecListsAndContinuations) {
  // Stream 0 is audio, stream 1 the video: its frames are '01dc' or '01db'.
  const std::string movi =
      list("movi", chunk("JUNK", "xyz") + chunk("00wb", "sound") + chunk("01dc", "A") +
                       list("rec ", chunk("01db", "BB") + chunk("00wb", "more sound")) +
                       chunk("01dc", "") + chunk("02dc", "other stream") + chunk("ix01", "idx"));
  const std::string avi = riff("AVI ", hdrl(stream("auds", std::string(4, '\0')) + stream("vids")) +
                                           list("INFO", chunk("ISFT", "test")) + movi) +
                          riff("AVIX", list("movi", chunk("01dc", "CCC"))) + "trailing bytes";
  EXPECT_EQ(parse_mjpeg_avi(bytes_of(avi), "<avi>"),
            (Frames{frame("A"), frame("BB"), frame(""), frame("CCC")}));
  // Lower-case and 'JPEG' codes are Motion-JPEG too.
  for (const std::string code : {"mjpg", "JPEG"}) {
    const std::string other = riff(
        "AVI ", hdrl(stream("vids", code)) + list("movi", chunk("00dc", "A") + chunk("00db", "B")));
    EXPECT_EQ(parse_mjpeg_avi(bytes_of(other), "<avi>"), (Frames{frame("A"), frame("B")}));
  }
}

TEST(Avi, BadStructureGivesErrorsNamingTheSource) {
  const std::string movi = list("movi", chunk("00dc", "A"));
  EXPECT_MG_ERROR(parse_mjpeg_avi(bytes_of(riff("WAVE", "")), "a.avi"), "a.avi: not an AVI file");
  EXPECT_MG_ERROR(parse_mjpeg_avi({}, "a.avi"), "a.avi: not an AVI file");
  EXPECT_MG_ERROR(
      parse_mjpeg_avi(bytes_of(riff("AVI ", hdrl(stream("vids", "XVID")) + movi)), "a.avi"),
      "a.avi: AVI video stream 0 has codec 'XVID'; only Motion-JPEG");
  EXPECT_MG_ERROR(parse_mjpeg_avi(bytes_of(riff("AVI ", movi)), "a.avi"),
                  "a.avi: AVI 'movi' list at byte 12 comes before a 'hdrl' list");
  EXPECT_MG_ERROR(parse_mjpeg_avi(bytes_of(riff("AVI ", hdrl(stream("auds")) + movi)), "a.avi"),
                  "a.avi: AVI 'hdrl' list at byte 12 describes no video stream");
  EXPECT_MG_ERROR(parse_mjpeg_avi(bytes_of(riff("AVI ", hdrl(stream("vids")))), "a.avi"),
                  "a.avi: AVI has no 'movi' list");
  EXPECT_MG_ERROR(parse_mjpeg_avi(bytes_of(riff("AVI ", "")), "a.avi"),
                  "a.avi: AVI has no 'hdrl' list");
  const std::string nested = list("movi", list("rec ", list("rec ", chunk("00dc", "A"))));
  EXPECT_MG_ERROR(parse_mjpeg_avi(bytes_of(riff("AVI ", hdrl(stream("vids")) + nested)), "a.avi"),
                  "a.avi: corrupt AVI: LIST 'rec ' at byte", "nested");
  const std::string short_header = list("strl", chunk("strh", "vid"));
  EXPECT_MG_ERROR(parse_mjpeg_avi(bytes_of(riff("AVI ", hdrl(short_header) + movi)), "a.avi"),
                  "a.avi: corrupt AVI: 'strh' chunk at byte", "has 3 bytes");
  const std::string no_format = list("strl", chunk("strh", "vidsMJPG" + std::string(48, '\0')));
  EXPECT_MG_ERROR(parse_mjpeg_avi(bytes_of(riff("AVI ", hdrl(no_format) + movi)), "a.avi"),
                  "a.avi: corrupt AVI: video stream 0", "no BITMAPINFOHEADER");
  // A frame chunk announcing more bytes than its list holds.
  std::string avi = riff("AVI ", hdrl(stream("vids")) + movi);
  const std::size_t frame_at = avi.find("00dc");
  avi[frame_at + 4] = 100;
  EXPECT_MG_ERROR(parse_mjpeg_avi(bytes_of(avi), "a.avi"),
                  "a.avi: truncated AVI: chunk '00dc' at byte " + std::to_string(frame_at) +
                      " announces 100 bytes, 2 remain");
}

TEST(Avi, EveryTruncationIsAnError) {
  const auto avi = mjpeg_avi_bytes(numbered_frames(), 6, 8, 30);
  for (std::size_t size = 0; size < avi.size(); ++size) {
    EXPECT_MG_ERROR(parse_mjpeg_avi(std::span(avi).first(size), "cut.avi"), "cut.avi: ");
  }
}

TEST(Avi, FlippedBytesParseOrThrowNeverCrash) {
  const auto avi = mjpeg_avi_bytes(numbered_frames(), 6, 8, 30);
  std::mt19937 rng(3);
  int parsed = 0;
  for (int trial = 0; trial < 2000; ++trial) {
    auto flipped = avi;
    for (int i = 0; i < 1 + trial % 3; ++i) {
      const std::size_t at = rng() % flipped.size();
      flipped[at] = trial % 2 ? std::uint8_t(rng()) : flipped[at] ^ (1u << (rng() % 8));
    }
    try {
      for (const auto& jpeg : parse_mjpeg_avi(flipped, "flip.avi")) {
        try {
          EXPECT_EQ(decode_image(jpeg, "flip.avi: frame").size(2), 3);
        } catch (const Error& error) {
          EXPECT_EQ(std::string(error.what()).rfind("flip.avi: frame: ", 0), 0u) << error.what();
        }
      }
      ++parsed;
    } catch (const Error& error) {
      EXPECT_EQ(std::string(error.what()).rfind("flip.avi: ", 0), 0u) << error.what();
    }
  }
  EXPECT_GT(parsed, 0);  // most flips land in JPEG data
}

TEST(Avi, ABadFrameIsAnErrorNamingTheFileAndTheFrame) {
  Frames frames = numbered_frames();
  frames[3].resize(frames[3].size() / 2);
  const std::string path = ::testing::TempDir() + "/mg_avi_bad_frame.avi";
  write_mjpeg_avi(path, frames, 6, 8, 30);
  EXPECT_MG_ERROR(read_mjpeg_avi(path), path + ": frame 3: truncated JPEG");
  std::filesystem::remove(path);
  EXPECT_MG_ERROR(read_mjpeg_avi(path), path, "no such file");
}

TEST(Avi, WriterRejectsBadArguments) {
  const Frames frames = numbered_frames();
  EXPECT_MG_ERROR(mjpeg_avi_bytes({frames[0], frame("PNG?")}, 6, 8, 30),
                  "mjpeg_avi_bytes: frame 1 is not a JPEG");
  EXPECT_MG_ERROR(mjpeg_avi_bytes(frames, 0, 8, 30), "mjpeg_avi_bytes: frame size 0 x 8");
  EXPECT_MG_ERROR(mjpeg_avi_bytes(frames, 6, 8, 0), "mjpeg_avi_bytes: fps 0");
  EXPECT_MG_ERROR(mjpeg_avi_bytes(frames, 6, 8, std::nan("")), "mjpeg_avi_bytes: fps nan");
  const std::string path = ::testing::TempDir() + "/no/such/folder/x.avi";
  EXPECT_MG_ERROR(write_mjpeg_avi(path, frames, 6, 8, 30), path);
  EXPECT_MG_ERROR(write_mjpeg_avi(path, frames, 6, 8, -1), path, "fps -1");
}

}  // namespace
}  // namespace mg::data
