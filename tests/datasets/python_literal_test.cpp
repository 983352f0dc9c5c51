#include "datasets/python_literal.h"

#include <cstdio>
#include <fstream>

#include "test_util.h"

namespace mg::data {
namespace {

PythonList parse(std::string_view line) {
  return parse_python_list(line, "train.txt", 7);
}

TEST(PythonLiteral, ParsesTheSarcasmReleaseLines) {
  EXPECT_EQ(parse("['840006160660983809', '<user> thanks for showing up for our appointment "
                  "today . ', 1]"),
            (PythonList{std::string("840006160660983809"),
                        std::string("<user> thanks for showing up for our appointment today . "),
                        std::int64_t{1}}));
  EXPECT_EQ(parse("['854334602516733952', \"only a hardcore fan of sir jonny sins will get it . "
                  "won 't it ?\", 1, 0]\r"),
            (PythonList{std::string("854334602516733952"),
                        std::string("only a hardcore fan of sir jonny sins will get it . won 't "
                                    "it ?"),
                        std::int64_t{1}, std::int64_t{0}}));
}

TEST(PythonLiteral, DecodesEscapes) {
  EXPECT_EQ(parse(R"(['it\'s', "say \"hi\"", 'a\\b', 'l1\nl2\tx\r'])"),
            (PythonList{std::string("it's"), std::string("say \"hi\""), std::string("a\\b"),
                        std::string("l1\nl2\tx\r")}));
  // \x and \u give code points, written as UTF-8; raw UTF-8 passes through.
  EXPECT_EQ(parse(R"(['\xe9\x41', '\u2060|\U0001F600', 'café'])"),
            (PythonList{std::string("\xC3\xA9"
                                    "A"),
                        std::string("\xE2\x81\xA0|\xF0\x9F\x98\x80"), std::string("caf\xC3\xA9")}));
  // A surrogate pair joins into one code point; octal; unknown escapes keep their backslash.
  EXPECT_EQ(
      parse(R"(['\ud83d\ude00', '\101\0', '\d\ '])"),
      (PythonList{std::string("\xF0\x9F\x98\x80"), std::string("A\0", 2), std::string("\\d\\ ")}));
  EXPECT_EQ(parse(R"(['\a\b\f\v'])"), (PythonList{std::string("\a\b\f\v")}));
}

TEST(PythonLiteral, AcceptsSpacingEmptyListsAndTrailingCommas) {
  EXPECT_EQ(parse("  [ ]  "), PythonList{});
  EXPECT_EQ(parse("[0,'',\"\",]"), (PythonList{std::int64_t{0}, std::string(), std::string()}));
  EXPECT_EQ(parse("[9223372036854775807]"), (PythonList{INT64_MAX}));
}

TEST(PythonLiteral, ErrorsNameTheFileLineAndColumn) {
  EXPECT_MG_ERROR(parse(""), "train.txt:7:1:", "expected '['");
  EXPECT_MG_ERROR(parse("('a', 1)"), "train.txt:7:1:", "expected '['");
  EXPECT_MG_ERROR(parse("['a', 1"), "train.txt:7:8:", "expected ',' or ']'");
  EXPECT_MG_ERROR(parse("['a',"), "train.txt:7:6:", "line ends inside the list");
  EXPECT_MG_ERROR(parse("['abc, 1]"), "train.txt:7:2:", "unterminated string");
  EXPECT_MG_ERROR(parse("['abc\\"), "train.txt:7:6:", "ends in a backslash");
  EXPECT_MG_ERROR(parse("['a' 'b']"), "train.txt:7:6:", "expected ',' or ']'");
  EXPECT_MG_ERROR(parse("['a'] x"), "train.txt:7:7:", "unexpected text after the list");
  EXPECT_MG_ERROR(parse("[-1]"), "train.txt:7:2:", "expected a string or a non-negative integer");
  EXPECT_MG_ERROR(parse("[True]"), "train.txt:7:2:", "found 'T'");
  EXPECT_MG_ERROR(parse("[1.5]"), "train.txt:7:3:", "expected ',' or ']'");
  EXPECT_MG_ERROR(parse("[b'x']"), "train.txt:7:2:");
  EXPECT_MG_ERROR(parse("[['x']]"), "train.txt:7:2:");
  EXPECT_MG_ERROR(parse("[007]"), "train.txt:7:2:", "leading zero");
  EXPECT_MG_ERROR(parse("[9223372036854775808]"), "train.txt:7:2:", "too large");
  EXPECT_MG_ERROR(parse("['ab\\x4']"), "train.txt:7:5:", "truncated \\x escape");
  EXPECT_MG_ERROR(parse("['\\u12g4']"), "train.txt:7:3:", "truncated \\u escape");
  EXPECT_MG_ERROR(parse("['\\U00110000']"), "train.txt:7:3:", "beyond U+10FFFF");
  EXPECT_MG_ERROR(parse("['\\ud83d']"), "train.txt:7:3:", "lone high surrogate");
  EXPECT_MG_ERROR(parse("['\\ud83d\\u0041']"), "train.txt:7:3:", "not followed by a low");
  EXPECT_MG_ERROR(parse("['\\ude00']"), "train.txt:7:3:", "lone low surrogate");
}

TEST(PythonLiteral, EveryPrefixOfAValidLineIsAnErrorNotACrash) {
  const std::string line = R"(['1', "a \'b\' \u00e9\ud83d\ude00 \x41", 12, 0])";
  for (std::size_t size = 0; size < line.size(); ++size) {
    EXPECT_THROW(parse(std::string_view(line).substr(0, size)), Error) << size;
  }
}

TEST(PythonLiteral, ReadsEveryNonEmptyLineOfAFile) {
  const std::string path = ::testing::TempDir() + "/mg_python_literal_test.txt";
  std::ofstream(path, std::ios::binary)
      << "\xEF\xBB\xBF['1', 'a', 1]\r\n\r\n['2', \"b'\", 0, 1]\r\n";
  const auto lists = read_python_lists(path);
  ASSERT_EQ(lists.size(), 2u);
  std::vector<std::int64_t> lines;
  EXPECT_EQ(read_python_lists(path, lines), lists);
  EXPECT_EQ(lines, (std::vector<std::int64_t>{1, 3}));
  EXPECT_EQ(lists[1],
            (PythonList{std::string("2"), std::string("b'"), std::int64_t{0}, std::int64_t{1}}));
  std::ofstream(path, std::ios::binary) << "['1', 'a', 1]\n\n['2', 'b', x]\n";
  EXPECT_MG_ERROR(read_python_lists(path), path + ":3:12:", "expected a string");
  std::remove(path.c_str());
}

}  // namespace
}  // namespace mg::data
