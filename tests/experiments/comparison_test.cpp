// The mg-compare table from fabricated run directories: what it reads, the mean and sample std
// over seeds, the formats, and errors that name the file.
#include "experiments/train/comparison.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "test_util.h"

namespace {

namespace fs = std::filesystem;
using mg::Json;
using mg::train::Comparison;

std::string scratch(const std::string& name) {
  const fs::path dir = fs::temp_directory_path() / ("mg_comparison_test_" + name);
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir.string();
}

void write(const std::string& path, const std::string& text) {
  std::ofstream(path) << text;
}

// A finished run: summary.json with the test numbers, metrics.jsonl with one line per epoch
// taking `seconds[e]` to train.
std::string fake_run(const std::string& dir, double accuracy, double audio, double visual,
                     std::int64_t best_epoch, const std::vector<double>& seconds,
                     const std::string& selected_on = "val") {
  fs::create_directories(dir);
  Json modality = Json::object();
  modality.set("audio", audio);
  modality.set("visual", visual);
  Json test = Json::object();
  test.set("loss", 1.0);
  test.set("accuracy", accuracy);
  test.set("modality_accuracy", modality);
  test.set("imbalance_degree", std::fabs(audio - visual));
  Json summary = Json::object();
  summary.set("method", "m");
  summary.set("best_epoch", best_epoch);
  summary.set("selected_on", selected_on);
  summary.set("val", test);
  summary.set("test", test);
  write(dir + "/summary.json", summary.dump() + "\n");
  std::string lines;
  for (std::size_t e = 0; e < seconds.size(); ++e) {
    Json train = Json::object();
    train.set("loss", 2.0);
    train.set("seconds", seconds[e]);
    Json line = Json::object();
    line.set("epoch", static_cast<std::int64_t>(e));
    line.set("train", train);
    lines += line.dump() + "\n";
  }
  write(dir + "/metrics.jsonl", lines);
  return dir;
}

TEST(Comparison, ReadsTheSelectedModelsTestNumbersAndTheMeanEpochTime) {
  const std::string dir = fake_run(scratch("one") + "/run", 0.5, 0.4, 0.25, 3, {1.0, 2.0, 6.0});
  const mg::train::RunResult run = mg::train::read_run(dir);
  EXPECT_EQ(run.selected_on, "val");
  EXPECT_DOUBLE_EQ(run.test_accuracy, 0.5);
  ASSERT_EQ(run.modality_accuracy.size(), 2U);
  EXPECT_EQ(run.modality_accuracy[0].first, "audio");
  EXPECT_DOUBLE_EQ(run.modality_accuracy[1].second, 0.25);
  EXPECT_DOUBLE_EQ(run.imbalance_degree, 0.15);
  EXPECT_DOUBLE_EQ(run.epoch_seconds, 3.0);
  EXPECT_EQ(run.best_epoch, 3);
}

TEST(Comparison, AveragesOverSeedsWithTheSampleStd) {
  const std::string root = scratch("seeds");
  const Comparison c = mg::train::compare_runs(
      {{"naive",
        {fake_run(root + "/naive-0", 0.5, 0.6, 0.2, 1, {2.0}),
         fake_run(root + "/naive-1", 0.7, 0.4, 0.2, 3, {4.0})}},
       {"amss", {fake_run(root + "/amss-0", 0.6, 0.5, 0.5, 2, {1.0, 3.0})}}});
  EXPECT_EQ(c.selected_on, "val");
  EXPECT_EQ(c.modalities, (std::vector<std::string>{"audio", "visual"}));
  ASSERT_EQ(c.rows.size(), 2U);
  const auto& naive = c.rows[0];
  EXPECT_EQ(naive.method, "naive");
  // Two values a and b: mean (a + b) / 2, sample std |a − b| / √2.
  EXPECT_DOUBLE_EQ(naive.test_accuracy.mean, 0.6);
  EXPECT_DOUBLE_EQ(naive.test_accuracy.std, 0.2 / std::sqrt(2.0));
  EXPECT_DOUBLE_EQ(naive.modality_accuracy[0].mean, 0.5);
  EXPECT_DOUBLE_EQ(naive.modality_accuracy[1].std, 0);
  EXPECT_DOUBLE_EQ(naive.imbalance_degree.mean, 0.3);
  EXPECT_DOUBLE_EQ(naive.epoch_seconds.mean, 3.0);
  EXPECT_DOUBLE_EQ(naive.epoch_seconds.std, std::sqrt(2.0));
  EXPECT_DOUBLE_EQ(naive.best_epoch.mean, 2.0);
  const auto& amss = c.rows[1];
  EXPECT_DOUBLE_EQ(amss.epoch_seconds.mean, 2.0);
  EXPECT_DOUBLE_EQ(amss.test_accuracy.std, 0);

  const std::string text = mg::train::format_text(c);
  EXPECT_NE(text.find("model selected on val"), std::string::npos) << text;
  EXPECT_NE(text.find("60.0 ± 14.1"), std::string::npos) << text;  // naive, test, in percent
  EXPECT_NE(text.find("3.00 ± 1.41"), std::string::npos) << text;  // naive, s / epoch
  // amss has one run: plain numbers, the columns still aligned.
  EXPECT_NE(text.find("\namss           60.0         50.0          50.0          0.0         2.00"),
            std::string::npos)
      << text;
  const std::string markdown = mg::train::format_markdown(c);
  EXPECT_NE(markdown.find("## Test results, model selected on val"), std::string::npos);
  EXPECT_NE(markdown.find("| naive | 60.0 ± 14.1 | 50.0 ± 14.1 | 20.0 ± 0.0 | 30.0 ± 14.1 | "
                          "3.00 ± 1.41 | 2.0 ± 1.4 |"),
            std::string::npos)
      << markdown;
  const Json json = mg::train::to_json(c);
  EXPECT_EQ(json.at("selected_on").as_string(), "val");
  const Json& row = json.at("rows").as_array()[0];
  EXPECT_EQ(row.at("runs").as_int(), 2);
  EXPECT_DOUBLE_EQ(row.at("modality_accuracy").at("audio").at("mean").as_double(), 0.5);
}

TEST(Comparison, OneSeedPrintsPlainNumbers) {
  const std::string root = scratch("single");
  const Comparison c =
      mg::train::compare_runs({{"naive", {fake_run(root + "/naive", 0.125, 0.5, 0.25, 4, {1.5})}}});
  const std::string markdown = mg::train::format_markdown(c);
  EXPECT_NE(markdown.find("| naive | 12.5 | 50.0 | 25.0 | 25.0 | 1.50 | 4 |"), std::string::npos)
      << markdown;
  EXPECT_EQ(markdown.find("±"), std::string::npos) << markdown;
}

TEST(Comparison, MissingOrBrokenFilesAreNamed) {
  const std::string root = scratch("missing");
  const std::string no_summary = fake_run(root + "/a", 0.5, 0.5, 0.5, 0, {1.0});
  fs::remove(no_summary + "/summary.json");
  EXPECT_MG_ERROR(mg::train::read_run(no_summary), no_summary + "/summary.json", "missing");
  const std::string no_metrics = fake_run(root + "/b", 0.5, 0.5, 0.5, 0, {1.0});
  fs::remove(no_metrics + "/metrics.jsonl");
  EXPECT_MG_ERROR(mg::train::read_run(no_metrics), no_metrics + "/metrics.jsonl", "missing");
  const std::string no_seconds = fake_run(root + "/c", 0.5, 0.5, 0.5, 0, {1.0});
  write(no_seconds + "/metrics.jsonl", "{\"epoch\": 0, \"train\": {}}\n");
  EXPECT_MG_ERROR(mg::train::read_run(no_seconds), no_seconds + "/metrics.jsonl", "seconds");
  const std::string no_test = fake_run(root + "/d", 0.5, 0.5, 0.5, 0, {1.0});
  write(no_test + "/summary.json", "{\"selected_on\": \"val\", \"best_epoch\": 0}\n");
  EXPECT_MG_ERROR(mg::train::read_run(no_test), no_test + "/summary.json", "test");
}

TEST(Comparison, RefusesToMixSelectionSplits) {
  const std::string root = scratch("mixed");
  const std::vector<std::pair<std::string, std::vector<std::string>>> runs = {
      {"naive", {fake_run(root + "/a", 0.5, 0.5, 0.5, 0, {1.0})}},
      {"amss", {fake_run(root + "/b", 0.5, 0.5, 0.5, 0, {1.0}, "test")}}};
  EXPECT_MG_ERROR(mg::train::compare_runs(runs), root + "/b", "selected its model on test");
}

}  // namespace
