#include "datasets/avi.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstring>
#include <limits>
#include <numeric>
#include <optional>
#include <string_view>

#include "core/error.h"
#include "datasets/byte_order.h"
#include "datasets/file_bytes.h"
#include "datasets/image.h"

namespace mg::data {
namespace {

using Bytes = std::span<const std::uint8_t>;

struct Chunk {
  const std::uint8_t* id;
  Bytes body;
  std::size_t offset;  // of the chunk header in the file

  bool is_list(std::string_view type) const {
    return is_fourcc(id, "LIST") && body.size() >= 4 && is_fourcc(body.data(), type);
  }
};

// Calls visit(chunk) for each chunk in `list` (which starts at byte `offset` of the file),
// checking every size against the bytes left.
template <typename Visit>
void for_each_chunk(Bytes list, std::size_t offset, const std::string& source, Visit visit) {
  std::size_t at = 0;
  while (at < list.size()) {
    MG_CHECK(list.size() - at >= 8, source, ": truncated AVI: chunk header at byte ", offset + at,
             " has ", list.size() - at, " of 8 bytes");
    const std::uint8_t* header = list.data() + at;
    const std::size_t size = load_le(header + 4, 4);
    MG_CHECK(size <= list.size() - at - 8, source, ": truncated AVI: chunk ", quoted_fourcc(header),
             " at byte ", offset + at, " announces ", size, " bytes, ", list.size() - at - 8,
             " remain in its parent");
    MG_CHECK(!is_fourcc(header, "LIST") || size >= 4, source, ": corrupt AVI: LIST chunk at byte ",
             offset + at, " has no list type");
    visit(Chunk{header, list.subspan(at + 8, size), offset + at});
    // Odd sizes are followed by a pad byte, which a last chunk may lack.
    at += 8 + size + size % 2;
  }
}

// The chunks inside a LIST (after its type).
template <typename Visit>
void for_each_child(const Chunk& list, const std::string& source, Visit visit) {
  for_each_chunk(list.body.subspan(4), list.offset + 12, source, visit);
}

bool is_mjpeg(const std::uint8_t* compression) {
  std::string code(reinterpret_cast<const char*>(compression), 4);
  for (char& c : code) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return code == "MJPG" || code == "JPEG";
}

class AviParser {
 public:
  AviParser(Bytes bytes, const std::string& source) : bytes_(bytes), source_(source) {}

  std::vector<std::vector<std::uint8_t>> parse() {
    MG_CHECK(bytes_.size() >= 12 && is_fourcc(bytes_.data(), "RIFF") &&
                 is_fourcc(bytes_.data() + 8, "AVI "),
             source_, ": not an AVI file (no RIFF....AVI  header)");
    // RIFF 'AVI ', then possibly RIFF 'AVIX' continuations; other trailing bytes are ignored.
    std::size_t at = 0;
    do {
      const std::size_t size = load_le(bytes_.data() + at + 4, 4);
      MG_CHECK(size >= 4 && size <= bytes_.size() - at - 8, source_, ": truncated AVI: RIFF ",
               quoted_fourcc(bytes_.data() + at + 8), " chunk at byte ", at, " announces ", size,
               " bytes, ", bytes_.size() - at - 8, " remain");
      const bool first = at == 0;
      for_each_chunk(bytes_.subspan(at + 12, size - 4), at + 12, source_,
                     [&](const Chunk& chunk) { top_level(chunk, first); });
      at += 8 + size + size % 2;
    } while (at < bytes_.size() && bytes_.size() - at >= 12 &&
             is_fourcc(bytes_.data() + at, "RIFF") && is_fourcc(bytes_.data() + at + 8, "AVIX"));
    MG_CHECK(video_stream_ >= 0, source_, ": AVI has no 'hdrl' list with a video stream");
    MG_CHECK(seen_movi_, source_, ": AVI has no 'movi' list");
    return std::move(frames_);
  }

 private:
  void top_level(const Chunk& chunk, bool first_riff) {
    if (first_riff && chunk.is_list("hdrl")) {
      MG_CHECK(video_stream_ < 0, source_, ": AVI has two 'hdrl' lists (the second at byte ",
               chunk.offset, ")");
      for_each_child(chunk, source_, [&](const Chunk& child) {
        if (child.is_list("strl")) stream_list(child);
      });
      MG_CHECK(video_stream_ >= 0, source_, ": AVI 'hdrl' list at byte ", chunk.offset,
               " describes no video stream ('strh' of type 'vids')");
    } else if (chunk.is_list("movi")) {
      MG_CHECK(video_stream_ >= 0, source_, ": AVI 'movi' list at byte ", chunk.offset,
               " comes before a 'hdrl' list describing its video stream");
      seen_movi_ = true;
      movi(chunk, true);
    }
  }

  // One stream's 'strh' and 'strf'; the first video stream is the one read.
  void stream_list(const Chunk& list) {
    const int index = streams_++;
    const std::uint8_t* type = nullptr;
    std::optional<Chunk> format;
    for_each_child(list, source_, [&](const Chunk& child) {
      if (is_fourcc(child.id, "strh")) {
        MG_CHECK(child.body.size() >= 8, source_, ": corrupt AVI: 'strh' chunk at byte ",
                 child.offset, " has ", child.body.size(), " bytes, needs at least 8");
        type = child.body.data();
      } else if (is_fourcc(child.id, "strf")) {
        format = child;
      }
    });
    if (video_stream_ >= 0 || type == nullptr || !is_fourcc(type, "vids")) return;
    MG_CHECK(format && format->body.size() >= 20, source_, ": corrupt AVI: video stream ", index,
             " (at byte ", list.offset, ") has no BITMAPINFOHEADER 'strf' chunk");
    const std::uint8_t* compression = format->body.data() + 16;
    MG_CHECK(is_mjpeg(compression), source_, ": AVI video stream ", index, " has codec ",
             quoted_fourcc(compression), "; only Motion-JPEG ('MJPG') AVIs are read");
    MG_CHECK(index < 100, source_, ": AVI video stream number ", index,
             " has no two-digit chunk id");
    video_stream_ = index;
    frame_id_[0] = static_cast<char>('0' + index / 10);
    frame_id_[1] = static_cast<char>('0' + index % 10);
  }

  // The frames of a 'movi' list, and of the 'rec ' lists directly inside it.
  void movi(const Chunk& list, bool top) {
    for_each_child(list, source_, [&](const Chunk& child) {
      if (child.is_list("rec ")) {
        MG_CHECK(top, source_, ": corrupt AVI: LIST 'rec ' at byte ", child.offset,
                 " is nested in another 'rec ' list");
        movi(child, false);
      } else if (is_frame(child.id)) {
        frames_.emplace_back(child.body.begin(), child.body.end());
      }
    });
  }

  // '##dc' or '##db' for the video stream ##.
  bool is_frame(const std::uint8_t* id) const {
    return id[0] == frame_id_[0] && id[1] == frame_id_[1] && id[2] == 'd' &&
           (id[3] == 'c' || id[3] == 'b');
  }

  Bytes bytes_;
  const std::string& source_;
  int streams_ = 0;
  int video_stream_ = -1;
  char frame_id_[2] = {'0', '0'};
  bool seen_movi_ = false;
  std::vector<std::vector<std::uint8_t>> frames_;
};

// Little-endian RIFF writing with chunk sizes patched in when a chunk ends.
class RiffWriter {
 public:
  void u16(std::uint32_t value) {
    for (int i = 0; i < 2; ++i) out_.push_back((value >> (8 * i)) & 0xff);
  }
  void u32(std::uint32_t value) {
    for (int i = 0; i < 4; ++i) out_.push_back((value >> (8 * i)) & 0xff);
  }
  void fourcc(std::string_view code) { out_.insert(out_.end(), code.begin(), code.end()); }
  void bytes(Bytes data) { out_.insert(out_.end(), data.begin(), data.end()); }

  // Starts a chunk (a list when `list_type` is given); returns its offset for end().
  std::size_t begin(std::string_view id, std::string_view list_type = {}) {
    const std::size_t at = out_.size();
    fourcc(id);
    u32(0);
    if (!list_type.empty()) fourcc(list_type);
    return at;
  }
  void end(std::size_t chunk_at) {
    const std::size_t size = out_.size() - chunk_at - 8;
    for (int i = 0; i < 4; ++i) out_[chunk_at + 4 + i] = (size >> (8 * i)) & 0xff;
    if (size % 2) out_.push_back(0);
  }
  std::size_t size() const { return out_.size(); }
  std::vector<std::uint8_t> take() { return std::move(out_); }

 private:
  std::vector<std::uint8_t> out_;
};

constexpr std::uint32_t kAvifHasIndex = 0x10;
constexpr std::uint32_t kAviifKeyframe = 0x10;

}  // namespace

std::vector<std::vector<std::uint8_t>> parse_mjpeg_avi(std::span<const std::uint8_t> bytes,
                                                       const std::string& source_name) {
  return AviParser(bytes, source_name).parse();
}

std::vector<Tensor> read_mjpeg_avi(const std::string& path) {
  const std::vector<std::vector<std::uint8_t>> frames =
      parse_mjpeg_avi(read_file_bytes(path), path);
  std::vector<Tensor> images;
  images.reserve(frames.size());
  for (std::size_t i = 0; i < frames.size(); ++i) {
    images.push_back(decode_image(frames[i], path + ": frame " + std::to_string(i)));
  }
  return images;
}

std::vector<std::uint8_t> mjpeg_avi_bytes(const std::vector<std::vector<std::uint8_t>>& frames_jpeg,
                                          int width, int height, double fps) {
  MG_CHECK(width > 0 && height > 0 && width <= 65535 && height <= 65535,
           "mjpeg_avi_bytes: frame size ", width, " x ", height, " is outside 1..65535");
  MG_CHECK(std::isfinite(fps) && fps >= 0.001 && fps <= 1e6, "mjpeg_avi_bytes: fps ", fps,
           " is outside [0.001, 1e6]");
  std::uint64_t payload = 0, largest = 0;
  for (std::size_t i = 0; i < frames_jpeg.size(); ++i) {
    const auto& frame = frames_jpeg[i];
    MG_CHECK(frame.size() >= 2 && frame[0] == 0xFF && frame[1] == 0xD8, "mjpeg_avi_bytes: frame ",
             i, " is not a JPEG (no start-of-image marker)");
    payload += 8 + frame.size() + frame.size() % 2 + 16;  // chunk, pad and index entry
    largest = std::max<std::uint64_t>(largest, frame.size());
  }
  MG_CHECK(payload < (std::uint64_t{1} << 32) - 4096, "mjpeg_avi_bytes: ", frames_jpeg.size(),
           " frames make more than the 4 GiB a plain AVI holds");
  const auto frames = static_cast<std::uint32_t>(frames_jpeg.size());
  const auto buffer = static_cast<std::uint32_t>(largest);
  std::uint64_t rate = static_cast<std::uint64_t>(std::llround(fps * 1000)), scale = 1000;
  const std::uint64_t divisor = std::gcd(rate, scale);
  rate /= divisor;
  scale /= divisor;

  RiffWriter out;
  const std::size_t riff = out.begin("RIFF", "AVI ");
  const std::size_t hdrl = out.begin("LIST", "hdrl");
  const std::size_t avih = out.begin("avih");
  out.u32(static_cast<std::uint32_t>(std::llround(1e6 * scale / rate)));  // µs per frame
  out.u32(static_cast<std::uint32_t>(
      std::min<double>(std::ceil(largest * fps), std::numeric_limits<std::uint32_t>::max())));
  out.u32(0);  // padding granularity
  out.u32(kAvifHasIndex);
  out.u32(frames);
  out.u32(0);  // initial frames
  out.u32(1);  // streams
  out.u32(buffer);
  out.u32(width);
  out.u32(height);
  for (int i = 0; i < 4; ++i) out.u32(0);  // reserved
  out.end(avih);
  const std::size_t strl = out.begin("LIST", "strl");
  const std::size_t strh = out.begin("strh");
  out.fourcc("vids");
  out.fourcc("MJPG");
  out.u32(0);  // flags
  out.u16(0);  // priority
  out.u16(0);  // language
  out.u32(0);  // initial frames
  out.u32(static_cast<std::uint32_t>(scale));
  out.u32(static_cast<std::uint32_t>(rate));
  out.u32(0);  // start
  out.u32(frames);
  out.u32(buffer);
  out.u32(0xFFFFFFFF);  // quality: the default
  out.u32(0);           // sample size: varies
  out.u16(0);           // rcFrame left, top, right, bottom
  out.u16(0);
  out.u16(width);
  out.u16(height);
  out.end(strh);
  const std::size_t strf = out.begin("strf");  // BITMAPINFOHEADER
  out.u32(40);
  out.u32(width);
  out.u32(height);
  out.u16(1);   // planes
  out.u16(24);  // bits per pixel once decoded
  out.fourcc("MJPG");
  out.u32(static_cast<std::uint32_t>(std::uint64_t{3} * width * height));
  for (int i = 0; i < 4; ++i) out.u32(0);  // resolution, colours used, colours important
  out.end(strf);
  out.end(strl);
  out.end(hdrl);

  const std::size_t movi = out.begin("LIST", "movi");
  std::vector<std::uint32_t> offsets;
  offsets.reserve(frames_jpeg.size());
  for (const auto& frame : frames_jpeg) {
    offsets.push_back(static_cast<std::uint32_t>(out.size() - (movi + 8)));
    const std::size_t chunk = out.begin("00dc");
    out.bytes(frame);
    out.end(chunk);
  }
  out.end(movi);
  const std::size_t idx1 = out.begin("idx1");
  for (std::size_t i = 0; i < frames_jpeg.size(); ++i) {
    out.fourcc("00dc");
    out.u32(kAviifKeyframe);
    out.u32(offsets[i]);
    out.u32(static_cast<std::uint32_t>(frames_jpeg[i].size()));
  }
  out.end(idx1);
  out.end(riff);
  return out.take();
}

void write_mjpeg_avi(const std::string& path,
                     const std::vector<std::vector<std::uint8_t>>& frames_jpeg, int width,
                     int height, double fps) {
  std::vector<std::uint8_t> bytes;
  try {
    bytes = mjpeg_avi_bytes(frames_jpeg, width, height, fps);
  } catch (const Error& error) {
    throw Error(path + ": " + error.what());
  }
  write_file_bytes(path, bytes);
}

}  // namespace mg::data
