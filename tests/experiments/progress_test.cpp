#include "experiments/train/progress.h"

#include <algorithm>
#include <cstdio>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "test_util.h"

namespace mg::train {
namespace {

// A tmpfile() the bar writes to, read back whole; and a clock the test moves by hand.
class ProgressTest : public ::testing::Test {
 protected:
  ProgressOptions options(bool terminal) {
    ProgressOptions result;
    result.out = file_.get();
    result.terminal = terminal;
    result.now_seconds = [this] { return now_; };
    return result;
  }

  std::string written() {
    std::fflush(file_.get());
    std::rewind(file_.get());
    std::string text;
    for (int c; (c = std::fgetc(file_.get())) != EOF;) text += static_cast<char>(c);
    return text;
  }

  std::vector<std::string> lines() {
    std::vector<std::string> result;
    std::string text = written();
    for (std::size_t begin = 0; begin < text.size();) {
      const std::size_t end = text.find('\n', begin);
      EXPECT_NE(end, std::string::npos) << "unterminated line: " << text.substr(begin);
      if (end == std::string::npos) break;
      result.push_back(text.substr(begin, end - begin));
      begin = end + 1;
    }
    return result;
  }

  static std::size_t count(const std::string& text, char c) {
    return static_cast<std::size_t>(std::count(text.begin(), text.end(), c));
  }

  std::unique_ptr<std::FILE, int (*)(std::FILE*)> file_{std::tmpfile(), &std::fclose};
  double now_ = 100.0;
};

TEST(ProgressFormat, DurationIsMinutesSecondsThenHours) {
  EXPECT_EQ(format_duration(0), "00:00");
  EXPECT_EQ(format_duration(59.99), "00:59");
  EXPECT_EQ(format_duration(754), "12:34");
  EXPECT_EQ(format_duration(3599), "59:59");
  EXPECT_EQ(format_duration(3600), "1:00:00");
  EXPECT_EQ(format_duration(37 * 3600 + 5 * 60 + 7), "37:05:07");
  EXPECT_EQ(format_duration(-1), "?");
  EXPECT_EQ(format_duration(std::numeric_limits<double>::infinity()), "?");
}

TEST(ProgressFormat, RateHasThreeSignificantDigits) {
  EXPECT_EQ(format_rate(0.1234), "0.123");
  EXPECT_EQ(format_rate(2.5), "2.50");
  EXPECT_EQ(format_rate(37.54), "37.5");
  EXPECT_EQ(format_rate(1234.4), "1234");
}

TEST_F(ProgressTest, PlainWritesOneLinePerTenthAndTheFinalOne) {
  ProgressBar bar("train", 1000, options(false));
  for (int done = 1; done <= 1000; ++done) {
    now_ += 0.0625;  // 16 it/s, exact in binary
    bar.update(done, "loss 1.23");
  }
  bar.finish();
  const std::string text = written();
  EXPECT_EQ(count(text, '\r'), 0u);
  EXPECT_EQ(text.find('\x1b'), std::string::npos);
  const std::vector<std::string> got = lines();
  ASSERT_EQ(got.size(), 10u) << text;
  // 100 items in 6.25 s; 900 left at 16 it/s: 56.25 s.
  EXPECT_EQ(got[0], "train  100/1000  10%  16.0 it/s  00:06 eta 00:56  loss 1.23");
  EXPECT_EQ(got[9], "train  1000/1000  100%  16.0 it/s  01:02 eta 00:00  loss 1.23");
}

TEST_F(ProgressTest, PlainFinishAddsALineOnlyWhenItSaysSomethingNew) {
  {
    ProgressBar bar("val", 4, options(false));
    now_ += 2;
    bar.update(4, "loss 1");
    bar.finish();
  }
  EXPECT_EQ(lines().size(), 1u);
  {
    ProgressBar bar("val", 4, options(false));
    now_ += 2;
    bar.update(4, "loss 1");
    bar.finish("acc 0.50");
  }
  const std::vector<std::string> got = lines();
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[2], "val  4/4  100%  2.00 it/s  00:02 eta 00:00  acc 0.50");
}

TEST_F(ProgressTest, PlainEtaIsUnknownBeforeTheFirstItem) {
  ProgressBar bar("train", 10, options(false));
  now_ += 5;
  bar.finish();
  EXPECT_EQ(written(), "train  0/10  0%  ? it/s  00:05 eta ?\n");
}

TEST_F(ProgressTest, PlainLargeJumpsWriteOneLineEach) {
  ProgressBar bar("train", 7, options(false));
  bar.update(1);  // 1/7 is past the first tenth
  bar.update(1);
  bar.update(6);
  bar.update(7);
  bar.update(7);
  bar.finish();
  EXPECT_EQ(lines().size(), 3u);
}

TEST_F(ProgressTest, TerminalRedrawsAtMostTenTimesASecondAndOnTheFinalItem) {
  ProgressBar bar("train", 1000, options(true));
  for (int done = 1; done <= 1000; ++done) {
    now_ += 1.0 / 512;  // 512 it/s: 1000 items in 1.95 s
    bar.update(done);
  }
  const std::string text = written();
  // The first item, then one each 0.1 s (19 more), and the final item.
  const std::size_t redraws = count(text, '\r');
  EXPECT_GE(redraws, 20u);
  EXPECT_LE(redraws, 22u);
  EXPECT_EQ(count(text, '\n'), 0u);
  EXPECT_NE(text.rfind("\rtrain [####################]  1000/1000  512 it/s  00:01 eta 00:00"),
            std::string::npos)
      << text;
}

TEST_F(ProgressTest, TerminalLineHasBarRateElapsedEtaAndSuffix) {
  ProgressBar bar("epoch 3", 100, options(true));
  now_ += 10;
  bar.update(25, "loss 1.23");
  // 25 items in 10 s: 2.5 it/s; 75 left: 30 s.
  EXPECT_EQ(written(),
            "\repoch 3 [#####---------------]  25/100  2.50 it/s  00:10 eta 00:30  loss 1.23"
            "\x1b[K");
}

TEST_F(ProgressTest, TerminalFinishDrawsTheFinalStateAndEndsTheLine) {
  {
    ProgressBar bar("train", 3, options(true));
    bar.update(1, "loss 2");  // no time has passed: no rate, no ETA
    bar.update(2);            // throttled: no time has passed
    now_ += 3600 + 62;
    bar.finish();
    bar.finish();           // ignored
    bar.update(3, "late");  // ignored
  }
  const std::string text = written();
  EXPECT_EQ(count(text, '\r'), 2u) << text;
  EXPECT_EQ(count(text, '\n'), 1u) << text;
  EXPECT_TRUE(text.starts_with("\rtrain [######--------------]  1/3  ? it/s  00:00 eta ?  loss 2"))
      << text;
  EXPECT_TRUE(text.ends_with("2/3  0.001 it/s  1:01:02 eta 30:31  loss 2\x1b[K\n")) << text;
}

TEST_F(ProgressTest, TerminalLineLeftOpenIsEndedByTheDestructor) {
  { ProgressBar("train", 5, options(true)).update(2); }
  EXPECT_TRUE(written().ends_with("\n"));
}

TEST_F(ProgressTest, TerminalLineIsCutToTheColumns) {
  ProgressOptions narrow = options(true);
  narrow.columns = 29;
  ProgressBar bar("train", 5, narrow);
  bar.update(1, "a long suffix that would wrap");
  EXPECT_EQ(written(), "\rtrain [####----------------]\x1b[K");
}

TEST_F(ProgressTest, ClampsDoneAndAcceptsAnEmptyTotal) {
  {
    ProgressBar bar("train", 4, options(false));
    bar.update(-3);
    bar.update(9);
    EXPECT_EQ(bar.done(), 4);
    bar.finish();
  }
  {
    ProgressBar bar("empty", 0, options(false));
    bar.update(0);
    bar.update(1);
    bar.finish();
  }
  {
    ProgressBar bar("empty", 0, options(true));
    bar.update(0);
    bar.finish();
  }
  const std::vector<std::string> got = lines();
  ASSERT_EQ(got.size(), 3u) << written();
  EXPECT_EQ(got[0], "train  4/4  100%  ? it/s  00:00 eta 00:00");
  EXPECT_EQ(got[1], "empty  0/0  100%  ? it/s  00:00 eta 00:00");
  EXPECT_NE(got[2].find("empty [####################]  0/0"), std::string::npos) << got[2];
}

TEST_F(ProgressTest, NegativeTotalThrows) {
  EXPECT_MG_ERROR(ProgressBar("train", -1, options(false)), "ProgressBar", "train", "-1");
}

}  // namespace
}  // namespace mg::train
