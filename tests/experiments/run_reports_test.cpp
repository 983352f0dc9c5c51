// The per-epoch reports of mg-imbalance and mg-bench-overhead, from fabricated metrics.jsonl.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "datasets/file_bytes.h"
#include "experiments/train/run_reports.h"
#include "test_util.h"

namespace {

namespace fs = std::filesystem;

// A run directory whose metrics.jsonl has one line per entry of `epochs`: {seconds, step_ms,
// val accuracy, audio, visual}.
std::string fake_run(const std::string& name, const std::vector<std::vector<double>>& epochs) {
  const fs::path dir = fs::temp_directory_path() / ("mg_run_reports_" + name);
  fs::remove_all(dir);
  fs::create_directories(dir);
  std::string text;
  for (std::size_t e = 0; e < epochs.size(); ++e) {
    const auto& v = epochs[e];
    const std::string split =
        mg::str(R"({"accuracy":)", v[2], R"(,"modality_accuracy":{"audio":)", v[3], R"(,"visual":)",
                v[4], R"(},"imbalance_degree":)", v[3] - v[4], "}");
    text += mg::str(R"({"epoch":)", e, R"(,"train":{"seconds":)", v[0], R"(,"step_ms":)", v[1],
                    R"(},"val":)", split, R"(,"test":)", split, "}\n");
  }
  mg::data::write_file_bytes((dir / "metrics.jsonl").string(),
                             {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()});
  return dir.string();
}

TEST(OverheadReport, MediansPerMethodAndRatiosToTheFirst) {
  const mg::train::RunsByMethod runs = {
      {"naive",
       {fake_run("n0", {{10, 100, 0, 0, 0}, {12, 120, 0, 0, 0}}),
        fake_run("n1", {{11, 110, 0, 0, 0}})}},
      {"amss_plus",
       {fake_run("a0", {{11, 105, 0, 0, 0}, {99, 900, 0, 0, 0}, {12, 106, 0, 0, 0}})}}};
  const mg::train::Report report = mg::train::overhead_report(runs);
  const mg::Json& methods = report.json.at("methods");
  EXPECT_DOUBLE_EQ(methods.as_array()[0].at("epoch_seconds").as_double(), 11);
  EXPECT_DOUBLE_EQ(methods.as_array()[0].at("epoch_ratio").as_double(), 1);
  EXPECT_EQ(methods.as_array()[0].at("epochs").as_int(), 3);
  // The 99 s outlier does not move the median.
  EXPECT_DOUBLE_EQ(methods.as_array()[1].at("epoch_seconds").as_double(), 12);
  EXPECT_DOUBLE_EQ(methods.as_array()[1].at("epoch_ratio").as_double(), 12.0 / 11);
  EXPECT_DOUBLE_EQ(methods.as_array()[1].at("step_ratio").as_double(), 106.0 / 110);
  EXPECT_NE(report.text.find("1.091"), std::string::npos) << report.text;
  EXPECT_NE(report.markdown.find("| amss_plus | 12.00 | 1.091 |"), std::string::npos)
      << report.markdown;
}

TEST(ImbalanceReport, EpochByEpochPerMethodFromTheFirstSeed) {
  const mg::train::RunsByMethod runs = {
      {"naive", {fake_run("i_n", {{1, 1, 0.5, 0.6, 0.2}, {1, 1, 0.6, 0.7, 0.25}})}},
      {"amss_plus", {fake_run("i_a", {{1, 1, 0.4, 0.45, 0.35}})}}};
  const mg::train::Report report = mg::train::imbalance_report(runs, "val");
  const mg::Json& epochs = report.json.at("epochs");
  ASSERT_EQ(epochs.as_array().size(), 2U);
  EXPECT_DOUBLE_EQ(epochs.as_array()[1].at("naive").at("imbalance_degree").as_double(), 0.7 - 0.25);
  EXPECT_EQ(epochs.as_array()[1].find("amss_plus"), nullptr);  // that run logged one epoch
  EXPECT_NE(report.markdown.find("| 1 | 50.0 | 60.0 | 20.0 | 40.0 | 40.0 | 45.0 | 35.0 | 10.0 |"),
            std::string::npos)
      << report.markdown;
  EXPECT_MG_ERROR(mg::train::imbalance_report(runs, "train"), "split 'train'");
  EXPECT_MG_ERROR(mg::train::imbalance_report({{"naive", {"/nonexistent/run"}}}, "val"),
                  "/nonexistent/run/metrics.jsonl");
}

}  // namespace
