#include "datasets/csv.h"

#include <cstdio>
#include <fstream>

#include "test_util.h"

namespace mg::data {
namespace {

using Rows = CsvRows;

TEST(Csv, ReadsCremaDSplitsWithCrlfAndNoTrailingNewline) {
  EXPECT_EQ(
      parse_csv("1001_DFA_ANG_XX,ANG\r\n1001_DFA_DIS_XX,DIS\r\n1002_IEO_HAP_HI,HAP", "s.csv"),
      (Rows{{"1001_DFA_ANG_XX", "ANG"}, {"1001_DFA_DIS_XX", "DIS"}, {"1002_IEO_HAP_HI", "HAP"}}));
}

TEST(Csv, SkipsTheByteOrderMarkAndEmptyLines) {
  EXPECT_EQ(parse_csv("\xEF\xBB\xBFid,label\n\na,1\r\n\r\nb,2\n\n", "s.csv"),
            (Rows{{"id", "label"}, {"a", "1"}, {"b", "2"}}));
  EXPECT_EQ(parse_csv("", "s.csv"), Rows{});
  EXPECT_EQ(parse_csv("\xEF\xBB\xBF", "s.csv"), Rows{});
}

TEST(Csv, KeepsEmptyFields) {
  EXPECT_EQ(parse_csv(",a,,\nb,,c,\n", "s.csv"), (Rows{{"", "a", "", ""}, {"b", "", "c", ""}}));
  EXPECT_EQ(parse_csv("\"\"\n", "s.csv"), (Rows{{""}}));
}

TEST(Csv, QuotedFieldsHoldDelimitersQuotesAndLineBreaks) {
  const std::string text =
      "youtube_id,label,note\r\n"
      "\"-abc,1\",\"playing \"\"drums\"\"\",\"two\r\nlines\"\r\n"
      "x,\"\",\"lf\nonly\"\n";
  EXPECT_EQ(parse_csv(text, "k.csv"), (Rows{{"youtube_id", "label", "note"},
                                            {"-abc,1", "playing \"drums\"", "two\r\nlines"},
                                            {"x", "", "lf\nonly"}}));
}

TEST(Csv, QuotesOutsideAFieldStartAreLiteralAndTextAfterAClosingQuoteIsKept) {
  EXPECT_EQ(parse_csv("a \"b\" c,\"d\"e f,g\"\n", "s.csv"), (Rows{{"a \"b\" c", "de f", "g\""}}));
}

TEST(Csv, ReadsTsvWithQuotingAndWithout) {
  CsvOptions tsv;
  tsv.delimiter = '\t';
  EXPECT_EQ(parse_csv("index\tstring\n1\t\"a\tb\"\n", "t.tsv", tsv),
            (Rows{{"index", "string"}, {"1", "a\tb"}}));
  tsv.quote = '\0';
  EXPECT_EQ(parse_csv("index\t#1 string\n1\t\"quoted\" text, \"open\n", "t.tsv", tsv),
            (Rows{{"index", "#1 string"}, {"1", "\"quoted\" text, \"open"}}));
}

TEST(Csv, LoneCarriageReturnsEndRows) {
  EXPECT_EQ(parse_csv("a,b\rc,d\r", "s.csv"), (Rows{{"a", "b"}, {"c", "d"}}));
}

TEST(Csv, UnterminatedQuotesNameTheLineWhereTheyOpened) {
  EXPECT_MG_ERROR(parse_csv("a,b\r\nc,\"d\r\ne,f\r\n", "bad.csv"),
                  "bad.csv:2:", "unterminated quoted field");
  EXPECT_MG_ERROR(parse_csv("\"x\ny\nz\",1\n\"", "bad.csv"), "bad.csv:4:", "unterminated");
}

TEST(Csv, OptionallyRequiresTheSameFieldCountInEveryRow) {
  const std::string text = "a,b,c\n\"1\n2\",3,4\n5,6\n";
  EXPECT_EQ(parse_csv(text, "s.csv").size(), 3u);
  CsvOptions strict;
  strict.require_same_field_count = true;
  EXPECT_MG_ERROR(parse_csv(text, "s.csv", strict), "s.csv:4:", "2 fields", "the first row has 3");
  CsvOptions bad;
  bad.delimiter = '"';
  EXPECT_MG_ERROR(parse_csv(text, "s.csv", bad), "bad CSV options");
}

TEST(Csv, GivesTheLineEachRowStartsOn) {
  std::vector<std::int64_t> lines{99};
  const Rows rows = parse_csv(
      "\xEF\xBB\xBF"
      "a,b\r\n\r\n\"two\nlines\",c\nd\re\n",
      "s.csv", {}, lines);
  EXPECT_EQ(rows, (Rows{{"a", "b"}, {"two\nlines", "c"}, {"d"}, {"e"}}));
  EXPECT_EQ(lines, (std::vector<std::int64_t>{1, 3, 5, 6}));
}

TEST(Csv, ReadsFilesAndNamesMissingOnes) {
  const std::string path = ::testing::TempDir() + "/mg_csv_test.csv";
  std::ofstream(path, std::ios::binary) << "a,b\r\n1,2\r\n";
  EXPECT_EQ(read_csv(path), (Rows{{"a", "b"}, {"1", "2"}}));
  std::ofstream(path, std::ios::binary) << "a,\"b\n";
  EXPECT_MG_ERROR(read_csv(path), path + ":1:", "unterminated");
  std::remove(path.c_str());
  EXPECT_MG_ERROR(read_csv("/nonexistent/s.csv"), "/nonexistent/s.csv", "no such file");
}

}  // namespace
}  // namespace mg::data
