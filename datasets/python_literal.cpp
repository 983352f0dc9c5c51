#include "datasets/python_literal.h"

#include "core/error.h"
#include "core/utf8.h"
#include "datasets/file_bytes.h"

namespace mg::data {
namespace {

class ListParser {
 public:
  ListParser(std::string_view line, const std::string& source, std::int64_t line_number)
      : text_(line), source_(source), line_number_(line_number) {}

  PythonList parse() {
    PythonList values;
    skip_space();
    require(peek() == '[', at_, "expected '[' to start a list");
    ++at_;
    skip_space();
    while (peek() != ']') {
      values.push_back(value());
      skip_space();
      if (peek() == ',') {
        ++at_;
        skip_space();
      } else {
        require(peek() == ']', at_, "expected ',' or ']' after a list element");
      }
    }
    ++at_;
    skip_space();
    require(at_ == text_.size(), at_, "unexpected text after the list");
    return values;
  }

 private:
  [[noreturn]] void fail(std::size_t at, const std::string& what) const {
    throw Error(str(source_, ":", line_number_, ":", at + 1, ": ", what));
  }
  void require(bool cond, std::size_t at, const std::string& what) const {
    if (!cond) fail(at, what);
  }
  char peek() const { return at_ < text_.size() ? text_[at_] : '\0'; }
  bool at_end() const { return at_ >= text_.size(); }
  void skip_space() {
    while (!at_end() && (text_[at_] == ' ' || text_[at_] == '\t' || text_[at_] == '\r')) ++at_;
  }

  PythonValue value() {
    const char c = peek();
    if (c == '\'' || c == '"') return string_literal();
    if (c >= '0' && c <= '9') return integer_literal();
    if (at_end()) fail(at_, "the line ends inside the list");
    fail(at_, str("expected a string or a non-negative integer, found '", c, "'"));
  }

  std::int64_t integer_literal() {
    const std::size_t start = at_;
    std::int64_t value = 0;
    while (peek() >= '0' && peek() <= '9') {
      const int digit = text_[at_] - '0';
      require(value <= (INT64_MAX - digit) / 10, start, "integer too large for int64");
      value = value * 10 + digit;
      ++at_;
    }
    require(!(text_[start] == '0' && at_ - start > 1), start,
            "integer with a leading zero (not valid Python 3)");
    return value;
  }

  // `count` hex digits at at_, consumed; `escape_at` is where the backslash was.
  std::uint32_t hex_digits(int count, std::size_t escape_at) {
    std::uint32_t value = 0;
    for (int i = 0; i < count; ++i) {
      const int digit = hex_digit_value(peek());
      if (digit < 0) {
        fail(escape_at,
             str("truncated \\", text_[escape_at + 1], " escape: needs ", count, " hex digits"));
      }
      value = value << 4 | digit;
      ++at_;
    }
    return value;
  }

  std::string string_literal() {
    const char quote = text_[at_];
    const std::size_t start = at_++;
    std::string out;
    while (true) {
      require(!at_end(), start, "unterminated string");
      const char c = text_[at_];
      if (c == quote) {
        ++at_;
        return out;
      }
      require(c != '\n', at_, "line break inside a string");
      if (c != '\\') {
        out += c;
        ++at_;
        continue;
      }
      escape(out);
    }
  }

  void escape(std::string& out) {
    const std::size_t escape_at = at_++;
    require(!at_end(), escape_at, "unterminated string (it ends in a backslash)");
    const char c = text_[at_++];
    switch (c) {
      case '\\':
      case '\'':
      case '"':
        out += c;
        return;
      case 'n':
        out += '\n';
        return;
      case 'r':
        out += '\r';
        return;
      case 't':
        out += '\t';
        return;
      case 'a':
        out += '\a';
        return;
      case 'b':
        out += '\b';
        return;
      case 'f':
        out += '\f';
        return;
      case 'v':
        out += '\v';
        return;
      case 'x':
        append_utf8(out, hex_digits(2, escape_at));
        return;
      case 'u':
      case 'U':
        append_utf8(out, unicode_escape(c == 'u' ? 4 : 8, escape_at));
        return;
      default:
        break;
    }
    if (c >= '0' && c <= '7') {
      std::uint32_t value = c - '0';
      for (int i = 0; i < 2 && peek() >= '0' && peek() <= '7'; ++i)
        value = value * 8 + (text_[at_++] - '0');
      append_utf8(out, value);
      return;
    }
    // Python keeps unknown escapes as written.
    out += '\\';
    out += c;
  }

  std::uint32_t unicode_escape(int digits, std::size_t escape_at) {
    const std::uint32_t code_point = hex_digits(digits, escape_at);
    require(code_point <= 0x10FFFF, escape_at, "\\U escape beyond U+10FFFF");
    if (code_point >= 0xDC00 && code_point <= 0xDFFF) {
      fail(escape_at, "lone low surrogate (cannot be written as UTF-8)");
    }
    if (code_point < 0xD800 || code_point > 0xDBFF) return code_point;
    // A high surrogate must be followed by an escaped low one.
    const std::size_t low_at = at_;
    require(text_.substr(at_, 2) == "\\u" || text_.substr(at_, 2) == "\\U", escape_at,
            "lone high surrogate (cannot be written as UTF-8)");
    at_ += 2;
    const std::uint32_t low = hex_digits(text_[low_at + 1] == 'u' ? 4 : 8, low_at);
    require(low >= 0xDC00 && low <= 0xDFFF, escape_at,
            "high surrogate not followed by a low one (cannot be written as UTF-8)");
    return 0x10000 + ((code_point - 0xD800) << 10) + (low - 0xDC00);
  }

  std::string_view text_;
  const std::string& source_;
  std::int64_t line_number_;
  std::size_t at_ = 0;
};

}  // namespace

PythonList parse_python_list(std::string_view line, const std::string& source_name,
                             std::int64_t line_number) {
  return ListParser(line, source_name, line_number).parse();
}

std::vector<PythonList> read_python_lists(const std::string& path,
                                          std::vector<std::int64_t>& line_numbers) {
  line_numbers.clear();
  const std::vector<std::uint8_t> bytes = read_file_bytes(path);
  std::vector<PythonList> lists;
  std::int64_t line_number = 0;
  for (const std::string_view line : text_lines(bytes)) {
    ++line_number;
    if (line.find_first_not_of(" \t") == std::string_view::npos) continue;
    lists.push_back(parse_python_list(line, path, line_number));
    line_numbers.push_back(line_number);
  }
  return lists;
}

std::vector<PythonList> read_python_lists(const std::string& path) {
  std::vector<std::int64_t> line_numbers;
  return read_python_lists(path, line_numbers);
}

}  // namespace mg::data
