#include "datasets/image.h"

#include <stb/stb_image.h>
#include <stb/stb_image_write.h>

#include <algorithm>
#include <cctype>
#include <climits>
#include <cstring>
#include <memory>
#include <optional>
#include <string_view>

#include "core/creation.h"
#include "core/error.h"
#include "core/ops_copy.h"
#include "datasets/file_bytes.h"
#include "datasets/stb_guards.h"

namespace mg::data {
namespace {

constexpr std::int64_t kMaxPixels = std::int64_t{1} << 28;
constexpr std::int64_t kMaxPixelsPerByte = std::int64_t{1} << 14;

enum class Format { Jpeg, Png, Gif, Bmp };

const char* format_name(Format format) {
  switch (format) {
    case Format::Jpeg:
      return "JPEG";
    case Format::Png:
      return "PNG";
    case Format::Gif:
      return "GIF";
    case Format::Bmp:
      return "BMP";
  }
  return "image";
}

bool starts_with(std::span<const std::uint8_t> bytes, std::string_view magic) {
  return bytes.size() >= magic.size() &&
         std::equal(magic.begin(), magic.end(), bytes.begin(),
                    [](char a, std::uint8_t b) { return std::uint8_t(a) == b; });
}

// The format by its magic number (stb_image would guess the same).
std::optional<Format> sniff(std::span<const std::uint8_t> bytes) {
  if (starts_with(bytes, "\xFF\xD8\xFF")) return Format::Jpeg;
  if (starts_with(bytes, "\x89PNG\r\n\x1A\n")) return Format::Png;
  if (starts_with(bytes, "GIF87a") || starts_with(bytes, "GIF89a")) return Format::Gif;
  if (starts_with(bytes, "BM")) return Format::Bmp;
  return std::nullopt;
}

std::string leading_bytes(std::span<const std::uint8_t> bytes) {
  constexpr char kDigits[] = "0123456789ABCDEF";
  std::string out;
  for (std::size_t i = 0; i < std::min<std::size_t>(bytes.size(), 8); ++i) {
    out += (i > 0 ? " " : "");
    out += kDigits[bytes[i] >> 4];
    out += kDigits[bytes[i] & 15];
  }
  return out;
}

// stb_image's reason for its last failure on this thread.
std::string stb_reason() {
  const char* reason = stbi_failure_reason();
  return reason ? reason : "no reason given";
}

// A uint8 [H, W, C] image as contiguous CPU pixels, checked for the encoders.
struct Pixels {
  Tensor data;
  int height, width, channels;
};

Pixels encoder_input(const Tensor& image, const char* op) {
  MG_CHECK(image.defined(), op,
           ": expected a uint8 image [H, W, 3], [H, W, 1] or [H, W], got an "
           "undefined tensor");
  MG_CHECK(
      image.dtype() == kUInt8 &&
          (image.dim() == 2 || (image.dim() == 3 && (image.size(2) == 1 || image.size(2) == 3))),
      op, ": expected a uint8 image [H, W, 3], [H, W, 1] or [H, W], got ", describe(image));
  const std::int64_t height = image.size(0), width = image.size(1);
  const std::int64_t channels = image.dim() == 3 ? image.size(2) : 1;
  MG_CHECK(height > 0 && width > 0, op, ": empty image ", describe(image));
  // JPEG stores 16-bit sizes; stb_image_write computes buffer sizes in int.
  MG_CHECK(height <= 65535 && width <= 65535 && height * (width * channels + 1) < (1 << 30), op,
           ": image ", describe(image), " is too large (at most 65535 a side and 2^30 bytes)");
  return {native::contiguous(native::to(image, Device::cpu())), static_cast<int>(height),
          static_cast<int>(width), static_cast<int>(channels)};
}

// stb_image_write's output callback: appends to a std::vector<std::uint8_t>.
void append_bytes(void* context, void* data, int size) {
  auto* out = static_cast<std::vector<std::uint8_t>*>(context);
  const auto* first = static_cast<const std::uint8_t*>(data);
  out->insert(out->end(), first, first + size);
}

std::string lower_extension(const std::string& path) {
  const std::size_t dot = path.find_last_of('.');
  const std::size_t slash = path.find_last_of('/');
  if (dot == std::string::npos || (slash != std::string::npos && dot < slash)) return "";
  std::string extension = path.substr(dot);
  std::transform(extension.begin(), extension.end(), extension.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  return extension;
}

}  // namespace

Tensor decode_image(std::span<const std::uint8_t> bytes, const std::string& source_name) {
  const std::string& source = source_name;
  MG_CHECK(!bytes.empty(), source, ": empty file, not an image");
  const std::optional<Format> format = sniff(bytes);
  MG_CHECK(format, source, ": not a JPEG, PNG, GIF or BMP image (it starts with bytes ",
           leading_bytes(bytes), ")");
  const char* name = format_name(*format);
  MG_CHECK(bytes.size() <= static_cast<std::size_t>(INT_MAX), source, ": ", bytes.size(),
           " bytes, more than stb_image reads (2^31 - 1)");
  if (*format == Format::Jpeg) check_jpeg_segments(bytes, source);
  if (*format == Format::Png) check_png_chunks(bytes, source);

  const int size = static_cast<int>(bytes.size());
  int width = 0, height = 0, channels = 0;
  // stbi_info tries every format before it gives up, so its failure reason is always "unknown
  // image type": not worth repeating.
  MG_CHECK(stbi_info_from_memory(bytes.data(), size, &width, &height, &channels), source,
           ": corrupt or unsupported ", name, " header (stb_image cannot read it)");
  MG_CHECK(width > 0 && height > 0, source, ": ", name, " header claims ", width, " x ", height,
           " pixels");
  const std::int64_t pixels = std::int64_t{width} * height;
  MG_CHECK(pixels <= kMaxPixels, source, ": ", name, " header claims ", width, " x ", height,
           " pixels, more than the limit of 2^28");
  MG_CHECK(pixels <= kMaxPixelsPerByte * size, source, ": ", name, " header claims ", width, " x ",
           height, " pixels, more than a ", size, "-byte file can encode (corrupt header)");
  if (*format == Format::Bmp) check_bmp_size(bytes, width, height, source);
  if (*format == Format::Gif) check_gif_trailer(bytes, source);

  // JPEGs are decoded to RGBA and packed to RGB here: stb_image converts YCbCr to RGB with SSE2
  // only for 4-byte pixels (its scalar path for 3-byte ones computes the same values, at a
  // third of the speed; the colour conversion was a third of the decoding time).
  const int components = *format == Format::Jpeg ? 4 : 3;
  std::unique_ptr<stbi_uc, decltype(&stbi_image_free)> decoded(
      stbi_load_from_memory(bytes.data(), size, &width, &height, &channels, components),
      &stbi_image_free);
  MG_CHECK(decoded, source, ": corrupt or unsupported ", name, " (stb_image: ", stb_reason(), ")");
  Tensor out = empty({height, width, 3}, kUInt8);
  const std::size_t pixels_decoded = static_cast<std::size_t>(height) * width;
  auto* rgb = static_cast<std::uint8_t*>(out.raw_data());
  if (components == 3) {
    std::memcpy(rgb, decoded.get(), pixels_decoded * 3);
  } else {
    const stbi_uc* rgba = decoded.get();
    for (std::size_t p = 0; p < pixels_decoded; ++p) {
      rgb[3 * p] = rgba[4 * p];
      rgb[3 * p + 1] = rgba[4 * p + 1];
      rgb[3 * p + 2] = rgba[4 * p + 2];
    }
  }
  return out;
}

Tensor read_image(const std::string& path) {
  const std::vector<std::uint8_t> bytes = read_file_bytes(path);
  return decode_image(bytes, path);
}

std::vector<std::uint8_t> encode_jpeg(const Tensor& image, int quality) {
  MG_CHECK(quality >= 1 && quality <= 100, "encode_jpeg: quality ", quality, " is outside 1..100");
  const Pixels pixels = encoder_input(image, "encode_jpeg");
  std::vector<std::uint8_t> out;
  MG_CHECK(stbi_write_jpg_to_func(append_bytes, &out, pixels.width, pixels.height, pixels.channels,
                                  pixels.data.raw_data(), quality),
           "encode_jpeg: stb_image_write failed on ", describe(image));
  return out;
}

std::vector<std::uint8_t> encode_png(const Tensor& image) {
  const Pixels pixels = encoder_input(image, "encode_png");
  std::vector<std::uint8_t> out;
  MG_CHECK(stbi_write_png_to_func(append_bytes, &out, pixels.width, pixels.height, pixels.channels,
                                  pixels.data.raw_data(), pixels.width * pixels.channels),
           "encode_png: stb_image_write failed on ", describe(image));
  return out;
}

void write_image(const std::string& path, const Tensor& image) {
  const std::string extension = lower_extension(path);
  const bool jpeg = extension == ".jpg" || extension == ".jpeg";
  MG_CHECK(jpeg || extension == ".png", path, ": cannot write an image with extension '", extension,
           "' (expected .jpg, .jpeg or .png)");
  std::vector<std::uint8_t> bytes;
  try {
    bytes = jpeg ? encode_jpeg(image) : encode_png(image);
  } catch (const Error& error) {
    throw Error(path + ": " + error.what());
  }
  write_file_bytes(path, bytes);
}

}  // namespace mg::data
