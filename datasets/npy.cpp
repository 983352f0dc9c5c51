#include "datasets/npy.h"

#include <algorithm>
#include <bit>
#include <fstream>
#include <optional>
#include <string_view>

#include "core/creation.h"
#include "core/error.h"
#include "core/ops_copy.h"
#include "datasets/byte_order.h"
#include "datasets/file_bytes.h"
#include "datasets/numpy_dtype.h"

namespace mg::data {
namespace {

constexpr std::string_view kMagic = "\x93NUMPY";

struct Header {
  std::string descr;
  bool fortran_order = false;
  Shape shape;
};

// Recursive descent over the header's dict literal; every failure names the column.
class HeaderParser {
 public:
  HeaderParser(std::string_view text, const std::string& source) : text_(text), source_(source) {}

  Header parse() {
    Header header;
    bool seen_descr = false, seen_order = false, seen_shape = false;
    expect('{');
    skip_space();
    while (peek() != '}') {
      const std::size_t key_at = at_;
      const std::string key = string_literal();
      skip_space();
      expect(':');
      skip_space();
      if (key == "descr") {
        require(!seen_descr, key_at, "'descr' appears twice");
        require(peek() == '\'' || peek() == '"', at_,
                "'descr' is not a string (structured dtypes are not supported)");
        header.descr = string_literal();
        seen_descr = true;
      } else if (key == "fortran_order") {
        require(!seen_order, key_at, "'fortran_order' appears twice");
        header.fortran_order = boolean_literal();
        seen_order = true;
      } else if (key == "shape") {
        require(!seen_shape, key_at, "'shape' appears twice");
        header.shape = shape_tuple();
        seen_shape = true;
      } else {
        fail(key_at, "unexpected key '" + key + "'");
      }
      skip_space();
      if (peek() == ',') {
        ++at_;
        skip_space();
      } else {
        require(peek() == '}', at_, "expected ',' or '}'");
      }
    }
    ++at_;
    skip_space();
    require(at_ == text_.size(), at_, "unexpected text after the dict");
    require(seen_descr && seen_order && seen_shape, at_,
            "the dict lacks one of 'descr', 'fortran_order', 'shape'");
    return header;
  }

 private:
  [[noreturn]] void fail(std::size_t at, const std::string& what) const {
    throw Error(str(source_, ": bad npy header at character ", at + 1, ": ", what, " (header ",
                    quoted_header(), ")"));
  }
  void require(bool cond, std::size_t at, const std::string& what) const {
    if (!cond) fail(at, what);
  }
  // The header for the message, shortened and with non-printable bytes escaped.
  std::string quoted_header() const {
    std::string out = "\"";
    for (char c : text_.substr(0, 120)) {
      if (c >= 0x20 && c < 0x7f) {
        out += c;
      } else {
        out += str("\\x", "0123456789abcdef"[(c >> 4) & 15], "0123456789abcdef"[c & 15]);
      }
    }
    return out + (text_.size() > 120 ? "...\"" : "\"");
  }
  char peek() const { return at_ < text_.size() ? text_[at_] : '\0'; }
  void skip_space() {
    while (at_ < text_.size() &&
           (text_[at_] == ' ' || text_[at_] == '\t' || text_[at_] == '\n' || text_[at_] == '\r')) {
      ++at_;
    }
  }
  void expect(char c) {
    require(peek() == c, at_, str("expected '", c, "'"));
    ++at_;
  }
  std::string string_literal() {
    const char quote = peek();
    require(quote == '\'' || quote == '"', at_, "expected a quoted string");
    const std::size_t start = ++at_;
    while (at_ < text_.size() && text_[at_] != quote) {
      require(text_[at_] != '\\', at_, "escapes are not supported in header strings");
      ++at_;
    }
    require(at_ < text_.size(), start - 1, "unterminated string");
    return std::string(text_.substr(start, at_++ - start));
  }
  bool boolean_literal() {
    if (text_.substr(at_, 4) == "True") {
      at_ += 4;
      return true;
    }
    if (text_.substr(at_, 5) == "False") {
      at_ += 5;
      return false;
    }
    fail(at_, "'fortran_order' is neither True nor False");
  }
  std::int64_t integer_literal() {
    require(peek() >= '0' && peek() <= '9', at_, "expected a non-negative integer dimension");
    std::int64_t value = 0;
    const std::size_t start = at_;
    while (peek() >= '0' && peek() <= '9') {
      require(value <= (INT64_MAX - (peek() - '0')) / 10, start, "dimension too large");
      value = value * 10 + (text_[at_++] - '0');
    }
    if (peek() == 'L') ++at_;  // Python 2 long, in files written by old numpy
    return value;
  }
  Shape shape_tuple() {
    expect('(');
    skip_space();
    Shape shape;
    bool trailing_comma = false;
    while (peek() != ')') {
      shape.push_back(integer_literal());
      skip_space();
      trailing_comma = peek() == ',';
      if (trailing_comma) {
        ++at_;
        skip_space();
      } else {
        require(peek() == ')', at_, "expected ',' or ')' in 'shape'");
      }
    }
    require(shape.size() != 1 || trailing_comma, at_, "'shape' (n) is not a tuple; write (n,)");
    ++at_;
    return shape;
  }

  std::string_view text_;
  const std::string& source_;
  std::size_t at_ = 0;
};

}  // namespace

Tensor parse_npy(std::span<const std::uint8_t> bytes, const std::string& source_name) {
  const auto& source = source_name;
  MG_CHECK(
      bytes.size() >= 10 && std::equal(kMagic.begin(), kMagic.end(), bytes.begin(),
                                       [](char a, std::uint8_t b) { return std::uint8_t(a) == b; }),
      source, ": not a .npy file (no \\x93NUMPY magic at the start)");
  const int major = bytes[6], minor = bytes[7];
  MG_CHECK(major >= 1 && major <= 3 && minor == 0, source, ": unsupported npy version ", major, ".",
           minor, " (supported: 1.0, 2.0, 3.0)");
  const std::size_t length_size = major == 1 ? 2 : 4;
  MG_CHECK(bytes.size() >= 8 + length_size, source, ": truncated npy preamble (", bytes.size(),
           " bytes)");
  const std::size_t header_len = load_le(bytes.data() + 8, length_size);
  const std::size_t header_start = 8 + length_size;
  MG_CHECK(header_len <= bytes.size() - header_start, source, ": truncated npy header (",
           header_len, " bytes announced, ", bytes.size() - header_start, " present)");
  const std::string_view text(reinterpret_cast<const char*>(bytes.data() + header_start),
                              header_len);
  const Header header = HeaderParser(text, source).parse();
  const NumpyElementType type = parse_numpy_descr(header.descr, source, "npy");
  MG_CHECK(!header.fortran_order, source,
           ": npy array in Fortran order (fortran_order: True) is not supported; save it in C "
           "order");

  const std::span<const std::uint8_t> payload = bytes.subspan(header_start + header_len);
  const std::optional<std::uint64_t> needed = numpy_payload_size(header.shape, type.itemsize);
  MG_CHECK(needed == payload.size(), source, ": npy shape ", header.shape, " of ", header.descr,
           " needs ", needed ? std::to_string(*needed) : std::string("more"),
           " bytes of data but the file holds ", payload.size());
  Tensor out = empty(header.shape, type.loaded_dtype());
  decode_numpy_elements(payload.data(), type, out, source, "npy");
  return out;
}

Tensor read_npy(const std::string& path) {
  const std::vector<std::uint8_t> bytes = read_file_bytes(path);
  return parse_npy(bytes, path);
}

std::vector<std::uint8_t> npy_bytes(const Tensor& tensor) {
  const Tensor data = native::contiguous(native::to(tensor, Device::cpu()));
  std::string descr;
  switch (data.dtype()) {
    case kFloat32:
      descr = "<f4";
      break;
    case kFloat64:
      descr = "<f8";
      break;
    case kUInt8:
      descr = "|u1";
      break;
    case kInt64:
      descr = "<i8";
      break;
    case kBool:
      descr = "|b1";
      break;
  }
  static_assert(std::endian::native == std::endian::little, "npy_bytes writes the native order");
  std::string shape = "(";
  for (std::size_t i = 0; i < data.shape().size(); ++i) {
    shape += (i > 0 ? ", " : "") + std::to_string(data.shape()[i]);
  }
  shape += data.shape().size() == 1 ? ",)" : ")";
  std::string header =
      "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + shape + ", }";
  // numpy pads magic + version + length + header + '\n' to a multiple of 64 bytes, and moves to
  // version 2 (a 4-byte length) only when the padded header outgrows 2 bytes.
  const auto padded = [&](std::size_t length_size) {
    const std::size_t unpadded = 8 + length_size + header.size() + 1;
    return header + std::string((64 - unpadded % 64) % 64, ' ') + '\n';
  };
  std::size_t length_size = 2;
  std::string text = padded(2);
  if (text.size() > 65535) text = padded(length_size = 4);
  MG_CHECK(text.size() <= UINT32_MAX, "write_npy: header too long");

  std::vector<std::uint8_t> bytes(kMagic.begin(), kMagic.end());
  bytes.push_back(length_size == 2 ? 1 : 2);
  bytes.push_back(0);
  for (std::size_t i = 0; i < length_size; ++i) bytes.push_back((text.size() >> (8 * i)) & 0xff);
  bytes.insert(bytes.end(), text.begin(), text.end());
  const auto* raw = static_cast<const std::uint8_t*>(data.raw_data());
  bytes.insert(bytes.end(), raw, raw + data.numel() * element_size(data.dtype()));
  return bytes;
}

void write_npy(const std::string& path, const Tensor& tensor) {
  write_file_bytes(path, npy_bytes(tensor));
}

}  // namespace mg::data
