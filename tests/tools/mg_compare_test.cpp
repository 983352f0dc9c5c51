// mg-compare on the tiny embedded data set (MG_EMBEDDED_TINY_DIR, 12/6/6 samples): two methods,
// one seed, a table with both rows; run again, it reuses the finished runs.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "datasets/file_bytes.h"
#include "experiments/train/compare_command.h"
#include "test_util.h"

namespace {

namespace fs = std::filesystem;

std::string read_text(const std::string& path) {
  const std::vector<std::uint8_t> bytes = mg::data::read_file_bytes(path);
  return {bytes.begin(), bytes.end()};
}

std::vector<std::string> tiny_args(const std::string& out) {
  return {"--methods", "naive,amss", "--seeds",      "0",           "--out",
          out,         "--preset",   "embedded",     "--data-root", MG_EMBEDDED_TINY_DIR,
          "--width",   "4",          "--batch-size", "4",           "--eval-batch-size=6",
          "--epochs",  "2",          "--progress",   "false"};
}

TEST(MgCompare, TrainsEachMethodOnceAndTabulatesThemThenReusesTheFinishedRuns) {
  const std::string out = (fs::temp_directory_path() / "mg_compare_test_runs").string();
  fs::remove_all(out);
  const mg::train::CompareCommand command = mg::train::parse_compare_command_line(tiny_args(out));
  ASSERT_EQ(command.methods, (std::vector<std::string>{"naive", "amss"}));
  mg::train::run_compare(command, "");

  const std::string table = read_text(out + "/table.md");
  EXPECT_NE(table.find("model selected on val"), std::string::npos) << table;
  EXPECT_NE(table.find("| naive | "), std::string::npos) << table;
  EXPECT_NE(table.find("| amss | "), std::string::npos) << table;
  EXPECT_TRUE(fs::exists(out + "/table.json"));
  const std::string naive_metrics = read_text(out + "/naive-seed0/metrics.jsonl");
  const std::string amss_metrics = read_text(out + "/amss-seed0/metrics.jsonl");
  EXPECT_NE(amss_metrics.find("\"method\":\"amss\""), std::string::npos);

  // Again: nothing is retrained (a new run would log new timings), the table is the same.
  const mg::train::Comparison again = mg::train::run_compare(command, "");
  EXPECT_EQ(read_text(out + "/naive-seed0/metrics.jsonl"), naive_metrics);
  EXPECT_EQ(read_text(out + "/amss-seed0/metrics.jsonl"), amss_metrics);
  EXPECT_EQ(read_text(out + "/table.md"), table);
  ASSERT_EQ(again.rows.size(), 2U);

  // Asked for other settings, the finished run is not taken for them.
  std::vector<std::string> longer = tiny_args(out);
  longer.insert(longer.end(), {"--epochs", "3"});
  EXPECT_MG_ERROR(mg::train::run_compare(mg::train::parse_compare_command_line(longer), ""),
                  out + "/naive-seed0", "epochs (run: 2, asked: 3)");
}

TEST(MgCompare, RefusesTheFlagsItSetsItself) {
  EXPECT_MG_ERROR(mg::train::parse_compare_command_line({"--seed", "1"}), "--seed", "--seeds");
  EXPECT_MG_ERROR(mg::train::parse_compare_command_line({"--method=amss"}), "--method",
                  "--methods");
  EXPECT_MG_ERROR(mg::train::parse_compare_command_line({"--seeds", "1,x"}), "--seeds", "'x'");
  EXPECT_MG_ERROR(mg::train::parse_compare_command_line({"--methods", "naive,,amss"}), "--methods",
                  "empty entry");
  // An unknown mg-train flag fails before any training.
  const mg::train::CompareCommand bad = mg::train::parse_compare_command_line(
      {"--out", (fs::temp_directory_path() / "mg_compare_test_bad").string(), "--no-such", "1"});
  EXPECT_MG_ERROR(mg::train::run_compare(bad, ""), "--no-such");
  EXPECT_FALSE(fs::exists(fs::temp_directory_path() / "mg_compare_test_bad"));
}

}  // namespace
