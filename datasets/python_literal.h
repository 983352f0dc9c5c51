#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

// Python list literals of strings and integers, one per line, as in the Sarcasm release's
// text/*.txt (`['8400061', 'a \'quoted\' tweet', 1]`), parsed without eval. Grammar: optional
// spaces, '[', values separated by ',' (a trailing ',' allowed), ']', optional spaces. A value is
// - a string in single or double quotes (no prefixes such as r or b), with Python's escapes
//   \\ \' \" \n \r \t \a \b \f \v \ooo (octal) \xXX \uXXXX \UXXXXXXXX, the code points written as
//   UTF-8 (a \u surrogate pair is joined into one code point; a lone surrogate is an error);
//   as in Python, an unknown escape such as \d keeps its backslash; other bytes, raw UTF-8
//   included, are copied as they are;
// - a non-negative decimal integer that fits int64 (no leading zeros, as in Python 3).
namespace mg::data {

using PythonValue = std::variant<std::string, std::int64_t>;
using PythonList = std::vector<PythonValue>;

// Parses one line (without its line break; a trailing '\r' is allowed). Errors read
// "<source_name>:<line_number>:<column>: what", the column 1-based in bytes.
PythonList parse_python_list(std::string_view line, const std::string& source_name,
                             std::int64_t line_number);

// Parses every non-empty line of a file (LF or CRLF, a UTF-8 byte order mark skipped).
std::vector<PythonList> read_python_lists(const std::string& path);
// The same, also giving each list's 1-based line number.
std::vector<PythonList> read_python_lists(const std::string& path,
                                          std::vector<std::int64_t>& line_numbers);

}  // namespace mg::data
