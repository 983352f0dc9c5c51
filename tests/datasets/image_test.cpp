// Image decoding and encoding (datasets/image.h). The fixtures in tests/fixtures/images and their
// PIL decodings (.npy) are written by tools/make_image_fixtures.py.
#include "datasets/image.h"

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <thread>

#include "datasets/file_bytes.h"
#include "datasets/npy.h"
#include "test_util.h"

namespace mg::data {
namespace {

const std::string kDir = std::string(MG_FIXTURE_DIR) + "/images/";

std::vector<std::uint8_t> fixture(const std::string& name) {
  return read_file_bytes(kDir + name);
}

std::vector<std::uint8_t> as_bytes(const std::string& text) {
  return std::vector<std::uint8_t>(text.begin(), text.end());
}

std::string be32(std::uint32_t value) {
  return {char(value >> 24), char(value >> 16), char(value >> 8), char(value)};
}

// A deterministic uint8 image: smooth gradients (JPEG-friendly) or noise.
Tensor test_image(std::int64_t height, std::int64_t width, std::int64_t channels, bool smooth,
                  unsigned seed = 1) {
  std::mt19937 rng(seed);
  std::vector<std::uint8_t> values;
  for (std::int64_t y = 0; y < height; ++y)
    for (std::int64_t x = 0; x < width; ++x)
      for (std::int64_t c = 0; c < channels; ++c)
        values.push_back(static_cast<std::uint8_t>(
            smooth ? x * 150 / width + y * 60 / height + c * 20 : rng() % 256));
  return from_vector(values, {height, width, channels});
}

std::vector<int> pixels(const Tensor& image) {
  const auto values = image.to_vector<std::uint8_t>();
  return std::vector<int>(values.begin(), values.end());
}

struct Difference {
  int max = 0;
  double mean = 0;
};

Difference difference(const Tensor& a, const Tensor& b) {
  EXPECT_EQ(a.shape(), b.shape());
  const auto x = pixels(a), y = pixels(b);
  Difference out;
  if (x.size() != y.size() || x.empty()) return {255, 255};
  for (std::size_t i = 0; i < x.size(); ++i) {
    out.max = std::max(out.max, std::abs(x[i] - y[i]));
    out.mean += std::abs(x[i] - y[i]);
  }
  out.mean /= x.size();
  return out;
}

// Decodes, expecting mg::Error that starts with the source name, or success.
void decodes_or_throws(std::span<const std::uint8_t> bytes, const std::string& what) {
  try {
    const Tensor image = decode_image(bytes, "fuzz.img");
    EXPECT_EQ(image.dim(), 3) << what;
    EXPECT_EQ(image.size(2), 3) << what;
  } catch (const Error& error) {
    EXPECT_EQ(std::string(error.what()).rfind("fuzz.img: ", 0), 0u) << what << ": " << error.what();
  }
}

TEST(Image, DecodesEveryFixtureAsPilDoes) {
  // JPEG: stb_image's IDCT and chroma upsampling are not libjpeg's (measured: at most 2 levels
  // apart, 0.1 on average); the rest is exact.
  struct Case {
    std::string name;
    int max_difference;
    double mean_difference;
  };
  const std::vector<Case> cases = {
      {"rgb.jpg", 3, 0.25},     {"progressive.jpg", 3, 0.25}, {"grey.jpg", 3, 0.25},
      {"cmyk.jpg", 3, 0.25},    {"rgba16.png", 0, 0},         {"palette.png", 0, 0},
      {"grey_alpha.png", 0, 0}, {"quantized.gif", 0, 0},      {"rgb24.bmp", 0, 0},
  };
  for (const Case& c : cases) {
    const Tensor image = read_image(kDir + c.name);
    const Tensor expected = read_npy(kDir + c.name.substr(0, c.name.find('.')) + ".npy");
    EXPECT_EQ(image.dtype(), kUInt8) << c.name;
    ASSERT_EQ(image.shape(), (Shape{13, 17, 3})) << c.name;
    const Difference d = difference(image, expected);
    EXPECT_LE(d.max, c.max_difference) << c.name;
    EXPECT_LE(d.mean, c.mean_difference) << c.name;
  }
}

TEST(Image, GreyJpegBecomesThreeEqualChannels) {
  const auto values = pixels(read_image(kDir + "grey.jpg"));
  for (std::size_t i = 0; i < values.size(); i += 3) {
    ASSERT_EQ(values[i], values[i + 1]);
    ASSERT_EQ(values[i], values[i + 2]);
  }
}

TEST(Image, SixteenBitGreyPngKeepsTheHighByte) {
  const auto samples = read_npy(kDir + "grey16.npy").to_vector<std::int64_t>();
  const auto values = pixels(read_image(kDir + "grey16.png"));
  ASSERT_EQ(values.size(), 3 * samples.size());
  for (std::size_t i = 0; i < samples.size(); ++i) {
    for (int c = 0; c < 3; ++c) ASSERT_EQ(values[3 * i + c], samples[i] >> 8) << "pixel " << i;
  }
}

TEST(Image, PngRoundTripIsExact) {
  const Tensor rgb = test_image(9, 14, 3, false);
  EXPECT_EQ(pixels(decode_image(encode_png(rgb), "<png>")), pixels(rgb));
  // Grey, as [H, W] or [H, W, 1], comes back as RGB with equal channels.
  const Tensor grey = test_image(5, 6, 1, false, 2);
  const Tensor expected = contiguous(expand(grey, {5, 6, 3}));
  EXPECT_EQ(pixels(decode_image(encode_png(grey), "<png>")), pixels(expected));
  EXPECT_EQ(pixels(decode_image(encode_png(squeeze(grey, 2)), "<png>")), pixels(expected));
  // Any strides: a transposed view is encoded as what it shows.
  const Tensor transposed = transpose(rgb, 0, 1);
  EXPECT_EQ(pixels(decode_image(encode_png(transposed), "<png>")), pixels(contiguous(transposed)));
}

TEST(Image, JpegRoundTripIsClose) {
  const Tensor rgb = test_image(24, 40, 3, true);
  // Quality 95 keeps full-resolution chroma; 75 subsamples it (4:2:0).
  const Difference fine = difference(decode_image(encode_jpeg(rgb, 95), "<jpeg>"), rgb);
  EXPECT_LE(fine.max, 3);
  EXPECT_LE(fine.mean, 1.0);
  const Difference coarse = difference(decode_image(encode_jpeg(rgb, 75), "<jpeg>"), rgb);
  EXPECT_LE(coarse.max, 8);
  EXPECT_LE(coarse.mean, 2.5);
  EXPECT_GT(encode_jpeg(rgb, 95).size(), encode_jpeg(rgb, 20).size());
  const Tensor grey = test_image(16, 16, 1, true);
  const Tensor decoded = decode_image(encode_jpeg(grey), "<jpeg>");
  EXPECT_LE(difference(decoded, contiguous(expand(grey, {16, 16, 3}))).max, 3);
}

TEST(Image, WriteImageChoosesTheFormatByExtension) {
  const std::string dir = ::testing::TempDir() + "/mg_image_write";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const Tensor rgb = test_image(8, 10, 3, true);
  write_image(dir + "/a.png", rgb);
  write_image(dir + "/b.JPG", rgb);
  write_image(dir + "/c.jpeg", rgb);
  EXPECT_EQ(pixels(read_image(dir + "/a.png")), pixels(rgb));
  const auto jpeg = read_file_bytes(dir + "/b.JPG");
  ASSERT_GE(jpeg.size(), 2u);
  EXPECT_EQ(jpeg[0], 0xFF);
  EXPECT_EQ(jpeg[1], 0xD8);
  EXPECT_LE(difference(read_image(dir + "/c.jpeg"), rgb).max, 4);
  // Overwriting replaces the file; no temporary file is left behind.
  write_image(dir + "/a.png", test_image(3, 4, 3, false));
  EXPECT_EQ(read_image(dir + "/a.png").shape(), (Shape{3, 4, 3}));
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(dir))
    names.push_back(entry.path().filename().string());
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"a.png", "b.JPG", "c.jpeg"}));

  EXPECT_MG_ERROR(write_image(dir + "/d.bmp", rgb), dir + "/d.bmp", "extension '.bmp'");
  EXPECT_MG_ERROR(write_image(dir + "/no_extension", rgb), dir + "/no_extension", "extension ''");
  EXPECT_MG_ERROR(write_image(dir + "/missing/e.png", rgb), dir + "/missing/e.png");
  EXPECT_MG_ERROR(write_image(dir + "/f.png", zeros({2, 2, 3}, kFloat32)), dir + "/f.png",
                  "encode_png", "float32[2, 2, 3]");
  EXPECT_FALSE(std::filesystem::exists(dir + "/f.png"));
  std::filesystem::remove_all(dir);
}

TEST(Image, EncodersRejectWhatIsNotAnImage) {
  EXPECT_MG_ERROR(encode_png(zeros({2, 2, 3}, kFloat32)), "encode_png", "float32[2, 2, 3]");
  EXPECT_MG_ERROR(encode_png(zeros({2, 2, 2}, kUInt8)), "encode_png", "uint8[2, 2, 2]");
  EXPECT_MG_ERROR(encode_png(zeros({2, 2, 3, 1}, kUInt8)), "encode_png", "uint8[2, 2, 3, 1]");
  EXPECT_MG_ERROR(encode_jpeg(zeros({0, 2, 3}, kUInt8)), "encode_jpeg", "empty image");
  EXPECT_MG_ERROR(encode_jpeg(zeros({70000, 1, 1}, kUInt8)), "encode_jpeg", "too large");
  EXPECT_MG_ERROR(encode_jpeg(zeros({2, 2, 3}, kUInt8), 0), "encode_jpeg", "quality 0");
  EXPECT_MG_ERROR(encode_jpeg(Tensor(), 90), "encode_jpeg", "undefined");
}

// The offset of the first marker segment 0xFF<marker> of a JPEG.
std::size_t find_marker(const std::vector<std::uint8_t>& jpeg, std::uint8_t marker) {
  for (std::size_t i = 2; i + 1 < jpeg.size(); ++i)
    if (jpeg[i] == 0xFF && jpeg[i + 1] == marker) return i;
  ADD_FAILURE() << "no marker " << int(marker);
  return 0;
}

// A PNG whose first IDAT chunk starts with a zlib header that fails its checksum.
std::vector<std::uint8_t> with_bad_zlib_stream(std::vector<std::uint8_t> png) {
  const std::string idat = "IDAT";
  const auto at = std::search(png.begin(), png.end(), idat.begin(), idat.end());
  EXPECT_NE(at, png.end());
  at[5] ^= 1;  // the zlib FLG byte
  return png;
}

// A JPEG whose start-of-scan segment claims 5 components.
std::vector<std::uint8_t> with_bad_scan_header(std::vector<std::uint8_t> jpeg) {
  jpeg[find_marker(jpeg, 0xDA) + 4] = 5;
  return jpeg;
}

TEST(Image, NonImagesAndTruncatedFilesGiveErrorsNamingTheSource) {
  EXPECT_MG_ERROR(decode_image({}, "a.jpg"), "a.jpg: empty file");
  EXPECT_MG_ERROR(decode_image(as_bytes("<!DOCTYPE html>"), "a.jpg"),
                  "a.jpg: not a JPEG, PNG, GIF or BMP image", "3C 21 44 4F");
  EXPECT_MG_ERROR(read_image(kDir + "missing.jpg"), kDir + "missing.jpg", "no such file");
  const std::vector<std::pair<std::string, std::string>> truncations = {
      {"rgb.jpg", "truncated JPEG"},      {"progressive.jpg", "truncated JPEG"},
      {"cmyk.jpg", "truncated JPEG"},     {"rgba16.png", "corrupt or unsupported PNG"},
      {"quantized.gif", "truncated GIF"}, {"rgb24.bmp", "truncated BMP"},
  };
  for (const auto& [name, message] : truncations) {
    auto bytes = fixture(name);
    bytes.resize(bytes.size() * 2 / 3);
    EXPECT_MG_ERROR(decode_image(bytes, "cut/" + name), "cut/" + name + ": ", message);
  }
  auto png = fixture("rgba16.png");
  png[24] = 3;  // bit depth 3
  EXPECT_MG_ERROR(decode_image(png, "b.png"), "b.png: corrupt or unsupported PNG header");
  // Past the header, stb_image's reason comes along.
  EXPECT_MG_ERROR(decode_image(with_bad_zlib_stream(fixture("rgba16.png")), "c.png"),
                  "c.png: corrupt or unsupported PNG (stb_image: bad zlib header)");
  EXPECT_MG_ERROR(decode_image(with_bad_scan_header(fixture("rgb.jpg")), "d.jpg"),
                  "d.jpg: corrupt or unsupported JPEG (stb_image: bad SOS component count)");
}

// A PNG from the signature and chunks (length, type, data, a CRC stb_image does not check).
std::vector<std::uint8_t> png_of(const std::vector<std::pair<std::string, std::string>>& chunks) {
  std::string out("\x89PNG\r\n\x1A\n", 8);
  for (const auto& [type, data] : chunks) out += be32(data.size()) + type + data + be32(0);
  return as_bytes(out);
}

TEST(Image, PngChunksStbImageMishandlesAreRejected) {
  const std::string ihdr = be32(1) + be32(1) + std::string("\x08\x00\0\0\0", 5);  // 1 x 1 grey
  const std::string pixel("\x78\x01\x63\x60\x00\x00\x00\x02\x00\x01", 10);        // zlib: 0, 0
  const auto good = png_of({{"IHDR", ihdr}, {"IDAT", pixel}, {"IEND", ""}});
  EXPECT_EQ(pixels(decode_image(good, "good.png")), (std::vector<int>{0, 0, 0}));
  // Ancillary chunks are skipped, a later empty IDAT is harmless.
  EXPECT_EQ(
      pixels(decode_image(
          png_of({{"IHDR", ihdr}, {"tEXt", "a\0b"}, {"IDAT", pixel}, {"IDAT", ""}, {"IEND", ""}}),
          "ok.png")),
      (std::vector<int>{0, 0, 0}));
  EXPECT_MG_ERROR(
      decode_image(png_of({{"IHDR", ihdr}, {"XHDR", ""}, {"IDAT", pixel}, {"IEND", ""}}), "x.png"),
      "x.png: unsupported PNG: unknown critical chunk 'XHDR' at byte 33");
  EXPECT_MG_ERROR(
      decode_image(png_of({{"IHDR", ihdr}, {"IDAT", ""}, {"IDAT", pixel}, {"IEND", ""}}), "e.png"),
      "e.png: unsupported PNG: empty first IDAT chunk at byte 33");
  EXPECT_MG_ERROR(decode_image(png_of({{"IHDR", ihdr}, {"IDAT", pixel}}), "n.png"),
                  "n.png: truncated PNG: no IEND chunk in its 55 bytes");
  auto long_chunk = good;
  long_chunk[35] = 0x40;  // the IDAT length: 16394
  EXPECT_MG_ERROR(decode_image(long_chunk, "l.png"),
                  "l.png: truncated PNG: chunk 'IDAT' at byte 33 has 16394 bytes");
}

// Sets a baseline JPEG's height and width (in its SOF0 segment).
std::vector<std::uint8_t> with_jpeg_size(std::vector<std::uint8_t> jpeg, int height, int width) {
  const std::size_t sof = find_marker(jpeg, 0xC0);
  jpeg[sof + 5] = height >> 8, jpeg[sof + 6] = height & 0xff;
  jpeg[sof + 7] = width >> 8, jpeg[sof + 8] = width & 0xff;
  return jpeg;
}

TEST(Image, ForgedHugeDimensionsAreRejectedBeforeDecoding) {
  // 65535 x 65535 pixels: over the 2^28 limit.
  EXPECT_MG_ERROR(decode_image(with_jpeg_size(fixture("rgb.jpg"), 65535, 65535), "big.jpg"),
                  "big.jpg: JPEG header claims 65535 x 65535 pixels, more than the limit");
  // 8000 x 8000 is under the limit, but not from a 769-byte file.
  EXPECT_MG_ERROR(decode_image(with_jpeg_size(fixture("rgb.jpg"), 8000, 8000), "big.jpg"),
                  "big.jpg: JPEG header claims 8000 x 8000 pixels, more than a 769-byte file");
  // A PNG header alone, claiming 16384 x 16384 RGBA (1 GiB of pixels).
  const std::string ihdr = "IHDR" + be32(16384) + be32(16384) + std::string("\x08\x06\0\0\0", 5);
  const auto png = as_bytes(std::string("\x89PNG\r\n\x1A\n", 8) + be32(13) + ihdr + be32(0) +
                            be32(0) + "IEND" + be32(0));
  EXPECT_MG_ERROR(decode_image(png, "big.png"), "big.png: PNG header claims 16384 x 16384");
  // A GIF screen of 60000 x 60000.
  auto gif = fixture("quantized.gif");
  gif[6] = gif[8] = 0x60, gif[7] = gif[9] = 0xEA;
  EXPECT_MG_ERROR(decode_image(gif, "big.gif"), "big.gif: GIF header claims 60000 x 60000");
  gif[6] = gif[7] = 0;
  EXPECT_MG_ERROR(decode_image(gif, "empty.gif"), "empty.gif: GIF header claims 0 x 60000 pixels");
}

TEST(Image, HuffmanTableWithTooManyCodesIsRejected) {
  // stb_image 2.27 would write past its tables: 16 code lengths adding up to more than 256.
  auto jpeg = fixture("rgb.jpg");
  const std::size_t dht = find_marker(jpeg, 0xC4);
  ASSERT_GT(dht, 0u);
  for (int length = 0; length < 16; ++length) jpeg[dht + 5 + length] = 17;  // 272 codes
  EXPECT_MG_ERROR(decode_image(jpeg, "dht.jpg"), "dht.jpg: corrupt JPEG: Huffman table at byte ",
                  "declares 272 codes (at most 256)");
}

TEST(Image, EveryTruncationAndByteFlipDecodesOrThrowsNeverCrashes) {
  std::mt19937 rng(7);
  for (const std::string name : {"rgb.jpg", "progressive.jpg", "grey.jpg", "cmyk.jpg", "rgba16.png",
                                 "palette.png", "quantized.gif", "rgb24.bmp"}) {
    const auto bytes = fixture(name);
    for (std::size_t size = 0; size < bytes.size(); ++size) {
      decodes_or_throws(std::span(bytes).first(size), name + " cut at " + std::to_string(size));
    }
    for (int trial = 0; trial < 600; ++trial) {
      auto flipped = bytes;
      const int flips = 1 + trial % 4;
      for (int i = 0; i < flips; ++i) {
        const std::size_t at = rng() % flipped.size();
        flipped[at] = trial % 3 == 0 ? std::uint8_t(rng()) : flipped[at] ^ (1u << (rng() % 8));
      }
      decodes_or_throws(flipped, name + " flip trial " + std::to_string(trial));
    }
  }
}

TEST(Image, DecodingInSeveralThreadsKeepsEachThreadsFailureReason) {
  // stb_image's failure reason is per thread: each thread sees the reason for its own file.
  const auto png = with_bad_zlib_stream(fixture("rgba16.png"));
  const auto jpeg = with_bad_scan_header(fixture("rgb.jpg"));
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      const auto& bytes = t % 2 ? png : jpeg;
      const std::string reason = t % 2 ? "bad zlib header" : "bad SOS component count";
      for (int i = 0; i < 300; ++i) {
        try {
          decode_image(bytes, "t");
          ++wrong;
        } catch (const Error& error) {
          if (std::string(error.what()).find(reason) == std::string::npos) ++wrong;
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(wrong.load(), 0);
}

}  // namespace
}  // namespace mg::data
