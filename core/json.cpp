#include "core/json.h"

#include <charconv>
#include <cmath>
#include <string_view>
#include <system_error>
#include <unordered_set>

#include "core/error.h"
#include "core/utf8.h"

namespace mg {

namespace {

std::string quoted(std::string_view text) {
  return Json(text).dump();
}

// Recursive descent over the RFC 8259 grammar; `pos_` is the byte offset errors report.
class Parser {
 public:
  Parser(std::string_view text, const std::string& source) : text_(text), source_(source) {}

  Json parse_document() {
    skip_whitespace();
    Json value = parse_value(0);
    skip_whitespace();
    if (pos_ != text_.size()) fail("expected the end of the input after the JSON value");
    return value;
  }

 private:
  [[noreturn]] void fail(std::string_view expected) const {
    std::string found = "the end of the input";
    if (pos_ < text_.size()) {
      const auto byte = static_cast<unsigned char>(text_[pos_]);
      found = byte >= 0x20 && byte < 0x7f ? str("'", text_[pos_], "'") : str("byte ", int(byte));
    }
    throw Error(str(source_, ": invalid JSON at byte ", pos_, ": ", expected, ", found ", found));
  }

  bool at_end() const { return pos_ >= text_.size(); }
  char peek() const { return at_end() ? '\0' : text_[pos_]; }

  void skip_whitespace() {
    while (!at_end() && (peek() == ' ' || peek() == '\t' || peek() == '\n' || peek() == '\r')) {
      ++pos_;
    }
  }

  void expect_literal(std::string_view literal) {
    if (text_.substr(pos_, literal.size()) != literal) fail(str("expected '", literal, "'"));
    pos_ += literal.size();
  }

  Json parse_value(int depth) {
    switch (peek()) {
      case '{':
        return parse_object(depth + 1);
      case '[':
        return parse_array(depth + 1);
      case '"':
        return Json(parse_string());
      case 't':
        expect_literal("true");
        return Json(true);
      case 'f':
        expect_literal("false");
        return Json(false);
      case 'n':
        expect_literal("null");
        return Json();
      default:
        if (peek() == '-' || (peek() >= '0' && peek() <= '9')) return parse_number();
        fail("expected a JSON value");
    }
  }

  void check_depth(int depth) const {
    if (depth > Json::kMaxDepth) fail(str("nesting deeper than ", Json::kMaxDepth, " levels"));
  }

  Json parse_object(int depth) {
    check_depth(depth);
    ++pos_;  // '{'
    Json::Object members;
    std::unordered_set<std::string> keys;
    skip_whitespace();
    if (peek() == '}') {
      ++pos_;
      return Json(std::move(members));
    }
    while (true) {
      if (peek() != '"') fail("expected a string key");
      const std::size_t key_pos = pos_;
      std::string key = parse_string();
      if (!keys.insert(key).second) {
        pos_ = key_pos;
        fail(str("expected a new key, not the duplicate ", quoted(key)));
      }
      skip_whitespace();
      if (peek() != ':') fail("expected ':' after an object key");
      ++pos_;
      skip_whitespace();
      Json value = parse_value(depth);
      members.emplace_back(std::move(key), std::move(value));
      skip_whitespace();
      if (peek() == ',') {
        ++pos_;
        skip_whitespace();
      } else if (peek() == '}') {
        ++pos_;
        return Json(std::move(members));
      } else {
        fail("expected ',' or '}' after an object member");
      }
    }
  }

  Json parse_array(int depth) {
    check_depth(depth);
    ++pos_;  // '['
    Json::Array elements;
    skip_whitespace();
    if (peek() == ']') {
      ++pos_;
      return Json(std::move(elements));
    }
    while (true) {
      elements.push_back(parse_value(depth));
      skip_whitespace();
      if (peek() == ',') {
        ++pos_;
        skip_whitespace();
      } else if (peek() == ']') {
        ++pos_;
        return Json(std::move(elements));
      } else {
        fail("expected ',' or ']' after an array element");
      }
    }
  }

  void skip_digits() {
    while (peek() >= '0' && peek() <= '9') ++pos_;
  }

  Json parse_number() {
    const std::size_t begin = pos_;
    if (peek() == '-') ++pos_;
    if (peek() == '0') {
      ++pos_;
    } else if (peek() >= '1' && peek() <= '9') {
      skip_digits();
    } else {
      fail("expected a digit");
    }
    bool integral = true;
    if (peek() == '.') {
      integral = false;
      ++pos_;
      if (!(peek() >= '0' && peek() <= '9')) fail("expected a digit after '.'");
      skip_digits();
    }
    if (peek() == 'e' || peek() == 'E') {
      integral = false;
      ++pos_;
      if (peek() == '+' || peek() == '-') ++pos_;
      if (!(peek() >= '0' && peek() <= '9')) fail("expected a digit in the exponent");
      skip_digits();
    }
    const char* first = text_.data() + begin;
    const char* last = text_.data() + pos_;
    if (integral) {
      std::int64_t integer = 0;
      const auto [end, error] = std::from_chars(first, last, integer);
      if (error == std::errc() && end == last) return Json(integer);
      // Out of int64 range: it is still a valid (double) number.
    }
    double value = 0;
    const auto [end, error] = std::from_chars(first, last, value);
    if (error != std::errc() || end != last) {
      pos_ = begin;
      fail("expected a number within the range of a double");
    }
    return Json(value);
  }

  unsigned parse_hex4() {
    unsigned code = 0;
    for (int i = 0; i < 4; ++i) {
      const int digit = hex_digit_value(peek());
      if (digit < 0) fail("expected 4 hex digits after \\u");
      code = code * 16 + static_cast<unsigned>(digit);
      ++pos_;
    }
    return code;
  }

  // The code point after "\u", joining a surrogate pair into one.
  std::uint32_t parse_unicode_escape() {
    const std::size_t escape_pos = pos_ - 2;
    const std::uint32_t high = parse_hex4();
    if (high >= 0xdc00 && high <= 0xdfff) {
      pos_ = escape_pos;
      fail("expected a high surrogate before a low surrogate");
    }
    if (high < 0xd800 || high > 0xdbff) return high;
    if (text_.substr(pos_, 2) != "\\u") fail("expected a low surrogate (\\uDC00-\\uDFFF)");
    pos_ += 2;
    const std::uint32_t low = parse_hex4();
    if (low < 0xdc00 || low > 0xdfff) {
      pos_ -= 6;
      fail("expected a low surrogate (\\uDC00-\\uDFFF)");
    }
    return 0x10000 + ((high - 0xd800) << 10) + (low - 0xdc00);
  }

  // Copies one well-formed UTF-8 sequence (no overlong forms, surrogates or code points past
  // U+10FFFF) starting at a byte >= 0x80.
  void copy_utf8_sequence(std::string& out) {
    const auto byte = [&](std::size_t i) {
      return pos_ + i < text_.size() ? static_cast<unsigned char>(text_[pos_ + i]) : 0u;
    };
    const unsigned lead = byte(0);
    std::size_t length = 0;
    unsigned low = 0x80, high = 0xbf;  // the allowed range of the second byte
    if (lead >= 0xc2 && lead <= 0xdf) {
      length = 2;
    } else if (lead >= 0xe0 && lead <= 0xef) {
      length = 3;
      if (lead == 0xe0) low = 0xa0;
      if (lead == 0xed) high = 0x9f;
    } else if (lead >= 0xf0 && lead <= 0xf4) {
      length = 4;
      if (lead == 0xf0) low = 0x90;
      if (lead == 0xf4) high = 0x8f;
    } else {
      fail("expected valid UTF-8");
    }
    for (std::size_t i = 1; i < length; ++i) {
      const unsigned next = byte(i);
      const bool ok = i == 1 ? next >= low && next <= high : next >= 0x80 && next <= 0xbf;
      if (!ok) fail("expected valid UTF-8");
    }
    out.append(text_.substr(pos_, length));
    pos_ += length;
  }

  std::string parse_string() {
    ++pos_;  // opening quote
    std::string out;
    while (true) {
      if (at_end()) fail("expected '\"' to close the string");
      const auto c = static_cast<unsigned char>(peek());
      if (c == '"') {
        ++pos_;
        return out;
      }
      if (c < 0x20) fail("expected an escape sequence instead of a control character in a string");
      if (c >= 0x80) {
        copy_utf8_sequence(out);
        continue;
      }
      ++pos_;
      if (c != '\\') {
        out += static_cast<char>(c);
        continue;
      }
      const char escape = peek();
      ++pos_;
      switch (escape) {
        case '"':
        case '\\':
        case '/':
          out += escape;
          break;
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case 'n':
          out += '\n';
          break;
        case 'r':
          out += '\r';
          break;
        case 't':
          out += '\t';
          break;
        case 'u':
          append_utf8(out, parse_unicode_escape());
          break;
        default:
          --pos_;
          fail("expected one of \" \\ / b f n r t u after a backslash");
      }
    }
  }

  std::string_view text_;
  const std::string& source_;
  std::size_t pos_ = 0;
};

void dump_string(const std::string& text, std::string& out) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  for (const char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          out += "\\u00";
          out += kHex[c >> 4];
          out += kHex[c & 0xf];
        } else {
          out += c;
        }
    }
  }
  out += '"';
}

void dump_double(double value, std::string& out) {
  MG_CHECK(std::isfinite(value), "Json::dump: ", value, " is not representable in JSON");
  char buffer[32];
  const auto [end, error] = std::to_chars(buffer, buffer + sizeof(buffer), value);
  const std::string_view text(buffer, end - buffer);
  out += text;
  // Keeps a whole double a double when read back ("2.0", not the integer 2).
  if (text.find_first_of(".e") == std::string_view::npos) out += ".0";
}

void dump_value(const Json& value, std::string& out) {
  switch (value.type()) {
    case Json::Type::Null:
      out += "null";
      break;
    case Json::Type::Bool:
      out += value.as_bool() ? "true" : "false";
      break;
    case Json::Type::Number:
      if (value.is_integer()) {
        out += std::to_string(value.as_int());
      } else {
        dump_double(value.as_double(), out);
      }
      break;
    case Json::Type::String:
      dump_string(value.as_string(), out);
      break;
    case Json::Type::Array: {
      out += '[';
      bool first = true;
      for (const Json& element : value.as_array()) {
        if (!first) out += ',';
        first = false;
        dump_value(element, out);
      }
      out += ']';
      break;
    }
    case Json::Type::Object: {
      out += '{';
      bool first = true;
      for (const auto& [key, member] : value.as_object()) {
        if (!first) out += ',';
        first = false;
        dump_string(key, out);
        out += ':';
        dump_value(member, out);
      }
      out += '}';
      break;
    }
  }
}

}  // namespace

Json Json::parse(std::string_view text, const std::string& source_name) {
  return Parser(text, source_name).parse_document();
}

std::string Json::dump() const {
  std::string out;
  dump_value(*this, out);
  return out;
}

std::string_view Json::type_name(Type type) {
  switch (type) {
    case Type::Null:
      return "null";
    case Type::Bool:
      return "bool";
    case Type::Number:
      return "number";
    case Type::String:
      return "string";
    case Type::Array:
      return "array";
    case Type::Object:
      return "object";
  }
  return "unknown";
}

void Json::expect_type(Type expected) const {
  MG_CHECK(type() == expected, "Json: expected ",
           expected == Type::Array || expected == Type::Object ? "an " : "a ", type_name(expected),
           ", got ", type_name(type()));
}

bool Json::as_bool() const {
  expect_type(Type::Bool);
  return std::get<bool>(value_);
}

std::int64_t Json::as_int() const {
  expect_type(Type::Number);
  const Number& number = std::get<Number>(value_);
  MG_CHECK(number.integer.has_value(), "Json: expected an integer, got the number ", dump());
  return *number.integer;
}

double Json::as_double() const {
  expect_type(Type::Number);
  return std::get<Number>(value_).value;
}

const std::string& Json::as_string() const {
  expect_type(Type::String);
  return std::get<std::string>(value_);
}

const Json::Array& Json::as_array() const {
  expect_type(Type::Array);
  return std::get<Array>(value_);
}

Json::Array& Json::as_array() {
  expect_type(Type::Array);
  return std::get<Array>(value_);
}

const Json::Object& Json::as_object() const {
  expect_type(Type::Object);
  return std::get<Object>(value_);
}

Json::Object& Json::as_object() {
  expect_type(Type::Object);
  return std::get<Object>(value_);
}

const Json* Json::find(std::string_view key) const {
  for (const auto& [name, member] : as_object()) {
    if (name == key) return &member;
  }
  return nullptr;
}

const Json& Json::at(std::string_view key) const {
  const Json* member = find(key);
  MG_CHECK(member != nullptr, "Json: missing key ", quoted(key));
  return *member;
}

void Json::set(std::string key, Json value) {
  Object& members = as_object();
  for (auto& [name, member] : members) {
    if (name == key) {
      member = std::move(value);
      return;
    }
  }
  members.emplace_back(std::move(key), std::move(value));
}

void Json::push_back(Json value) {
  as_array().push_back(std::move(value));
}

bool operator==(const Json& a, const Json& b) {
  if (a.type() != b.type()) return false;
  if (a.is_number()) {
    if (a.is_integer() && b.is_integer()) return a.as_int() == b.as_int();
    return a.as_double() == b.as_double();
  }
  return a.value_ == b.value_;
}

}  // namespace mg
