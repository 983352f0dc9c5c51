#include "datasets/npy.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <fstream>
#include <optional>
#include <string_view>

#include "core/creation.h"
#include "core/error.h"
#include "core/float16.h"
#include "core/ops_copy.h"
#include "datasets/file_bytes.h"

namespace mg::data {
namespace {

constexpr std::string_view kMagic = "\x93NUMPY";

// A descr the reader understands: its kind ('f', 'i', 'u', 'b'), item size and byte order.
struct ElementType {
  char kind;
  std::size_t itemsize;
  bool big_endian;
};

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

ElementType element_type(const std::string& descr, const std::string& source) {
  const auto unsupported = [&](const std::string& why) {
    return Error(str(source, ": unsupported npy dtype '", descr, "': ", why,
                     " (supported: f2 f4 f8 u1 b1 i1 i2 i4 i8, byte order '<', '|' or '>')"));
  };
  if (descr.size() != 3) throw unsupported("not a simple numeric dtype");
  const char order = descr[0], kind = descr[1], size = descr[2];
  if (order == '=') throw unsupported("native byte order depends on the writing machine");
  if (order != '<' && order != '>' && order != '|') throw unsupported("unknown byte order");
  const std::string code = descr.substr(1);
  static constexpr std::string_view kKnown[] = {"f2", "f4", "f8", "u1", "b1",
                                                "i1", "i2", "i4", "i8"};
  if (std::find(std::begin(kKnown), std::end(kKnown), code) == std::end(kKnown)) {
    throw unsupported("unknown type code");
  }
  return {kind, static_cast<std::size_t>(size - '0'), order == '>'};
}

DType loaded_dtype(const ElementType& type) {
  switch (type.kind) {
    case 'f':
      return type.itemsize == 8 ? kFloat64 : kFloat32;
    case 'u':
      return kUInt8;
    case 'b':
      return kBool;
    default:
      return kInt64;
  }
}

// Element i of the payload as the unsigned integer of its bytes, in the machine's order.
template <typename Bits>
Bits element_bits(const std::uint8_t* data, std::int64_t i, bool big_endian) {
  std::uint8_t raw[sizeof(Bits)];
  std::memcpy(raw, data + i * sizeof(Bits), sizeof(Bits));
  if (big_endian != (std::endian::native == std::endian::big))
    std::reverse(raw, raw + sizeof(Bits));
  return std::bit_cast<Bits>(raw);
}

template <typename Stored, typename Loaded>
void decode(const std::uint8_t* data, const ElementType& type, const Tensor& out) {
  using Bits = std::conditional_t<
      sizeof(Stored) == 1, std::uint8_t,
      std::conditional_t<sizeof(Stored) == 2, std::uint16_t,
                         std::conditional_t<sizeof(Stored) == 4, std::uint32_t, std::uint64_t>>>;
  auto* values = out.data_ptr<Loaded>();
  for (std::int64_t i = 0; i < out.numel(); ++i) {
    const Bits bits = element_bits<Bits>(data, i, type.big_endian);
    if constexpr (std::is_same_v<Stored, std::uint16_t> && std::is_same_v<Loaded, float>) {
      values[i] = half_to_float(bits);  // f2
    } else {
      values[i] = static_cast<Loaded>(std::bit_cast<Stored>(bits));
    }
  }
}

void decode_payload(const std::uint8_t* data, const ElementType& type, const Tensor& out,
                    const std::string& source) {
  switch (type.kind) {
    case 'f':
      if (type.itemsize == 2) return decode<std::uint16_t, float>(data, type, out);
      if (type.itemsize == 4) return decode<float, float>(data, type, out);
      return decode<double, double>(data, type, out);
    case 'u':
      if (out.numel() > 0) std::memcpy(out.raw_data(), data, out.numel());
      return;
    case 'b': {
      const auto* bad = std::find_if(data, data + out.numel(), [](auto b) { return b > 1; });
      MG_CHECK(bad == data + out.numel(), source, ": npy bool element ", bad - data, " is ",
               int(*bad), ", not 0 or 1");
      if (out.numel() > 0) std::memcpy(out.raw_data(), data, out.numel());
      return;
    }
    default:
      if (type.itemsize == 1) return decode<std::int8_t, std::int64_t>(data, type, out);
      if (type.itemsize == 2) return decode<std::int16_t, std::int64_t>(data, type, out);
      if (type.itemsize == 4) return decode<std::int32_t, std::int64_t>(data, type, out);
      return decode<std::int64_t, std::int64_t>(data, type, out);
  }
}

std::uint32_t little_endian(std::span<const std::uint8_t> bytes) {
  std::uint32_t value = 0;
  for (std::size_t i = bytes.size(); i-- > 0;) value = value << 8 | bytes[i];
  return value;
}

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
  const std::size_t header_len = little_endian(bytes.subspan(8, length_size));
  const std::size_t header_start = 8 + length_size;
  MG_CHECK(header_len <= bytes.size() - header_start, source, ": truncated npy header (",
           header_len, " bytes announced, ", bytes.size() - header_start, " present)");
  const std::string_view text(reinterpret_cast<const char*>(bytes.data() + header_start),
                              header_len);
  const Header header = HeaderParser(text, source).parse();
  const ElementType type = element_type(header.descr, source);
  MG_CHECK(!header.fortran_order, source,
           ": npy array in Fortran order (fortran_order: True) is not supported; save it in C "
           "order");

  const std::span<const std::uint8_t> payload = bytes.subspan(header_start + header_len);
  // Computed so that no product overflows (even for empty arrays, whose strides multiply the
  // other dimensions).
  std::int64_t nonzero_product = 1;
  bool overflow = false;
  for (std::int64_t dim : header.shape) {
    if (dim != 0)
      overflow = overflow || __builtin_mul_overflow(nonzero_product, dim, &nonzero_product);
  }
  const bool empty_array =
      std::find(header.shape.begin(), header.shape.end(), 0) != header.shape.end();
  std::uint64_t needed = 0;
  if (!empty_array)
    overflow = overflow || __builtin_mul_overflow(static_cast<std::uint64_t>(nonzero_product),
                                                  type.itemsize, &needed);
  MG_CHECK(!overflow && needed == payload.size(), source, ": npy shape ", header.shape, " of ",
           header.descr, " needs ", overflow ? std::string("more") : std::to_string(needed),
           " bytes of data but the file holds ", payload.size());
  Tensor out = empty(header.shape, loaded_dtype(type));
  decode_payload(payload.data(), type, out, source);
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
  const std::vector<std::uint8_t> bytes = npy_bytes(tensor);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  MG_CHECK(out.good(), path, ": cannot open for writing");
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
  out.close();
  MG_CHECK(out.good(), path, ": write failed");
}

}  // namespace mg::data
