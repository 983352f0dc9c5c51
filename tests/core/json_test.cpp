#include "core/json.h"

#include <cmath>
#include <cstdint>
#include <string>

#include "test_util.h"

namespace mg {
namespace {

Json parse(std::string_view text) {
  return Json::parse(text, "test.json");
}

TEST(Json, ParsesScalars) {
  EXPECT_TRUE(parse("null").is_null());
  EXPECT_TRUE(parse(" true ").as_bool());
  EXPECT_FALSE(parse("false").as_bool());
  EXPECT_EQ(parse("\"hi\"").as_string(), "hi");
  EXPECT_EQ(parse("-0").as_int(), 0);
  EXPECT_EQ(parse("1.5e2").as_double(), 150.0);
  EXPECT_EQ(parse("-2.25").as_double(), -2.25);
  EXPECT_EQ(parse("1E-2").as_double(), 0.01);
}

TEST(Json, KeepsExactIntegers) {
  const Json big = parse("9007199254740993");  // 2^53 + 1, not a double
  ASSERT_TRUE(big.is_integer());
  EXPECT_EQ(big.as_int(), 9007199254740993LL);
  EXPECT_EQ(big.dump(), "9007199254740993");
  EXPECT_EQ(parse("-9223372036854775808").as_int(), INT64_MIN);
  // Past int64: still a number, only as a double.
  const Json huge = parse("9223372036854775808");
  EXPECT_FALSE(huge.is_integer());
  EXPECT_EQ(huge.as_double(), 9223372036854775808.0);
  EXPECT_MG_ERROR(huge.as_int(), "expected an integer", "9223372036854775808.0");
  EXPECT_FALSE(parse("1e3").is_integer());
  EXPECT_MG_ERROR(parse("2.5").as_int(), "expected an integer", "2.5");
  EXPECT_EQ(parse("7").as_double(), 7.0);
  EXPECT_EQ(Json(std::size_t{3}).as_int(), 3);
  EXPECT_EQ(Json(std::int8_t{-3}).dump(), "-3");
  EXPECT_FALSE(Json(UINT64_MAX).is_integer());
  EXPECT_EQ(Json(UINT64_MAX).as_double(), 18446744073709551615.0);
  EXPECT_TRUE(Json(true).is_bool());
}

TEST(Json, ParsesStringEscapes) {
  EXPECT_EQ(parse(R"("a\"b\\c\/d\b\f\n\r\t")").as_string(), "a\"b\\c/d\b\f\n\r\t");
  EXPECT_EQ(parse(R"("\u0041\u00e9\u20AC")").as_string(), "A\xc3\xa9\xe2\x82\xac");
  EXPECT_EQ(parse(R"("\u0000")").as_string(), std::string(1, '\0'));
  // U+1F600 as a surrogate pair, and as raw UTF-8.
  EXPECT_EQ(parse(R"("\ud83d\ude00")").as_string(), "\xf0\x9f\x98\x80");
  EXPECT_EQ(parse("\"\xf0\x9f\x98\x80\"").as_string(), "\xf0\x9f\x98\x80");
}

TEST(Json, KeepsObjectKeysInInsertionOrder) {
  const Json json = parse(R"({"b": 1, "a": [true, null, "x"], "c": {}})");
  const auto& members = json.as_object();
  ASSERT_EQ(members.size(), 3u);
  EXPECT_EQ(members[0].first, "b");
  EXPECT_EQ(members[1].first, "a");
  EXPECT_EQ(members[2].first, "c");
  EXPECT_EQ(json.at("b").as_int(), 1);
  EXPECT_EQ(json.at("a").as_array().size(), 3u);
  EXPECT_EQ(json.find("zz"), nullptr);
  EXPECT_EQ(json.find("c"), &members[2].second);
  EXPECT_EQ(json.dump(), R"({"b":1,"a":[true,null,"x"],"c":{}})");
}

TEST(Json, DumpsAndReparses) {
  Json json = Json::object();
  json.set("name", "w\"\n\x01\xc3\xa9");
  json.set("pi", 3.141592653589793);
  json.set("whole", 2.0);
  json.set("tiny", 1e-300);
  json.set("n", -12);
  Json list = Json::array();
  list.push_back(true);
  list.push_back(nullptr);
  list.push_back(Json::object());
  json.set("list", list);
  json.set("n", 13);  // replaces, keeping the position
  EXPECT_EQ(json.dump(),
            R"({"name":"w\"\n\u0001)"
            "\xc3\xa9"
            R"(","pi":3.141592653589793,"whole":2.0,"tiny":1e-300,"n":13,"list":[true,null,{}]})");
  const Json again = parse(json.dump());
  EXPECT_EQ(again, json);
  EXPECT_FALSE(again.at("whole").is_integer());
  EXPECT_TRUE(again.at("n").is_integer());
  EXPECT_EQ(again.at("pi").as_double(), 3.141592653589793);
}

TEST(Json, DumpRejectsNonFinite) {
  EXPECT_MG_ERROR(Json(std::nan("")).dump(), "Json::dump", "not representable");
  EXPECT_MG_ERROR(Json(INFINITY).dump(), "Json::dump", "inf");
}

TEST(Json, AccessorsNameTheTypes) {
  const Json json = parse(R"({"a": 1})");
  EXPECT_MG_ERROR(json.as_string(), "expected a string, got object");
  EXPECT_MG_ERROR(json.at("a").as_bool(), "expected a bool, got number");
  EXPECT_MG_ERROR(json.as_array(), "expected an array, got object");
  EXPECT_MG_ERROR(json.at("a").as_object(), "expected an object, got number");
  EXPECT_MG_ERROR(parse("\"1\"").as_int(), "expected a number, got string");
  EXPECT_MG_ERROR(parse("null").as_double(), "expected a number, got null");
  EXPECT_MG_ERROR(json.at("b"), "missing key \"b\"");
  EXPECT_MG_ERROR(parse("[]").find("a"), "expected an object, got array");
}

TEST(Json, ParseErrorsNameSourceOffsetAndExpectation) {
  EXPECT_MG_ERROR(parse(""), "test.json: invalid JSON at byte 0", "expected a JSON value",
                  "the end of the input");
  EXPECT_MG_ERROR(parse("[1, 2"), "at byte 5", "expected ',' or ']'");
  EXPECT_MG_ERROR(parse("[1,]"), "at byte 3", "expected a JSON value", "found ']'");
  EXPECT_MG_ERROR(parse(R"({"a" 1})"), "at byte 5", "expected ':'");
  EXPECT_MG_ERROR(parse(R"({"a": 1,})"), "at byte 8", "expected a string key");
  EXPECT_MG_ERROR(parse(R"({"a": 1 "b": 2})"), "at byte 8", "expected ',' or '}'");
  EXPECT_MG_ERROR(parse(R"({"a": 1, "a": 2})"), "at byte 9", "duplicate \"a\"");
  EXPECT_MG_ERROR(parse("{} x"), "at byte 3", "expected the end of the input", "found 'x'");
  EXPECT_MG_ERROR(parse("tru"), "at byte 0", "expected 'true'");
  EXPECT_MG_ERROR(parse("01"), "at byte 1", "expected the end of the input");
  EXPECT_MG_ERROR(parse("-"), "at byte 1", "expected a digit");
  EXPECT_MG_ERROR(parse("1."), "at byte 2", "expected a digit after '.'");
  EXPECT_MG_ERROR(parse("1e+"), "at byte 3", "expected a digit in the exponent");
  EXPECT_MG_ERROR(parse("1e400"), "at byte 0", "within the range of a double");
  EXPECT_MG_ERROR(parse("NaN"), "at byte 0", "expected a JSON value");
  EXPECT_MG_ERROR(parse("\"abc"), "at byte 4", "expected '\"' to close the string");
  EXPECT_MG_ERROR(parse("\"a\nb\""), "at byte 2", "control character");
  EXPECT_MG_ERROR(parse(R"("\x")"), "at byte 2", "after a backslash");
  EXPECT_MG_ERROR(parse(R"("\u12G4")"), "at byte 5", "4 hex digits");
  EXPECT_MG_ERROR(parse(R"("\ud83d")"), "at byte 7", "low surrogate");
  EXPECT_MG_ERROR(parse(R"("\ud83d\u0041")"), "at byte 7", "low surrogate");
  EXPECT_MG_ERROR(parse(R"("\ude00")"), "at byte 1", "high surrogate");
  EXPECT_MG_ERROR(parse("\"\xc3\""), "at byte 1", "valid UTF-8");              // truncated
  EXPECT_MG_ERROR(parse("\"\xc0\xaf\""), "at byte 1", "valid UTF-8");          // overlong
  EXPECT_MG_ERROR(parse("\"\xed\xa0\x80\""), "at byte 1", "valid UTF-8");      // surrogate
  EXPECT_MG_ERROR(parse("\"\xf4\x90\x80\x80\""), "at byte 1", "valid UTF-8");  // > U+10FFFF
  EXPECT_MG_ERROR(parse("\xef\xbb\xbf{}"), "at byte 0", "found byte 239");
}

TEST(Json, LimitsNesting) {
  const auto nested = [](int depth) { return std::string(depth, '[') + std::string(depth, ']'); };
  EXPECT_TRUE(parse(nested(Json::kMaxDepth)).is_array());
  EXPECT_MG_ERROR(parse(nested(Json::kMaxDepth + 1)), "at byte 256", "nesting deeper than 256");
  EXPECT_MG_ERROR(parse(std::string(100000, '[')), "nesting deeper than 256");
}

}  // namespace
}  // namespace mg
