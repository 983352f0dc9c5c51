#include "experiments/train/comparison.h"

#include <algorithm>
#include <filesystem>

#include "core/error.h"
#include "experiments/train/metrics.h"
#include "experiments/train/run_files.h"

namespace mg::train {
namespace {

const std::string& existing(const std::string& path) {
  MG_CHECK(std::filesystem::exists(path), "mg-compare: ", path,
           " is missing (is the run finished?)");
  return path;
}

// `read` applied to the file's contents; errors from it name the file.
template <typename F>
auto reading(const std::string& path, F read) {
  try {
    return read();
  } catch (const Error& e) {
    const std::string message = e.what();
    if (message.find(path) != std::string::npos) throw;
    throw Error(str("mg-compare: ", path, ": ", message));
  }
}

MeanStd mean_std(const std::vector<double>& values) {
  RunningStats stats;
  for (double v : values) stats.add(v);
  return {stats.mean(), stats.stddev()};
}

// "mean", or "mean ± std" over several runs; `scale` turns fractions into percent.
std::string cell(const MeanStd& value, std::size_t runs, double scale, int digits) {
  std::string text = fixed(scale * value.mean, digits);
  if (runs > 1) text += " ± " + fixed(scale * value.std, digits);
  return text;
}

std::string title(const Comparison& comparison) {
  std::size_t most_runs = 0;
  for (const ComparisonRow& row : comparison.rows)
    most_runs = std::max(most_runs, row.run_dirs.size());
  std::string text = "Test results, model selected on " + comparison.selected_on;
  if (most_runs > 1) text += str(" (mean ± sample std over ", most_runs, " seeds)");
  return text;
}

// The header and one line of cells per method.
std::vector<std::vector<std::string>> cells(const Comparison& comparison) {
  std::vector<std::string> header = {"method", "test acc %"};
  for (const std::string& m : comparison.modalities) header.push_back(m + " acc %");
  for (const char* name : {"imbalance %", "s / epoch", "best epoch (from 0)"})
    header.push_back(name);
  std::vector<std::vector<std::string>> table = {header};
  for (const ComparisonRow& row : comparison.rows) {
    const std::size_t runs = row.run_dirs.size();
    std::vector<std::string> line = {row.method, cell(row.test_accuracy, runs, 100, 1)};
    for (const MeanStd& accuracy : row.modality_accuracy)
      line.push_back(cell(accuracy, runs, 100, 1));
    line.push_back(cell(row.imbalance_degree, runs, 100, 1));
    line.push_back(cell(row.epoch_seconds, runs, 1, 2));
    line.push_back(cell(row.best_epoch, runs, 1, runs > 1 ? 1 : 0));
    table.push_back(line);
  }
  return table;
}

Json to_json(const MeanStd& value) {
  Json json = Json::object();
  json.set("mean", value.mean);
  json.set("std", value.std);
  return json;
}

}  // namespace

RunResult read_run(const std::string& dir) {
  RunResult run;
  run.dir = dir;
  const std::string summary_path = dir + "/summary.json";
  reading(summary_path, [&] {
    const Json summary = read_json_file(existing(summary_path));
    run.selected_on = summary.at("selected_on").as_string();
    run.best_epoch = summary.at("best_epoch").as_int();
    const Json& test = summary.at("test");
    run.test_accuracy = test.at("accuracy").as_double();
    run.imbalance_degree = test.at("imbalance_degree").as_double();
    for (const auto& [name, accuracy] : test.at("modality_accuracy").as_object())
      run.modality_accuracy.emplace_back(name, accuracy.as_double());
    return 0;
  });
  const std::string metrics_path = dir + "/metrics.jsonl";
  reading(metrics_path, [&] {
    std::vector<double> seconds;
    for (const Json& line : read_json_lines(existing(metrics_path)))
      seconds.push_back(line.at("train").at("seconds").as_double());
    MG_CHECK(!seconds.empty(), "no epoch logged");
    run.epoch_seconds = mean_std(seconds).mean;
    return 0;
  });
  return run;
}

Comparison compare_runs(
    const std::vector<std::pair<std::string, std::vector<std::string>>>& runs_by_method) {
  Comparison comparison;
  std::string first_dir;
  for (const auto& [method, dirs] : runs_by_method) {
    MG_CHECK(!dirs.empty(), "mg-compare: method ", method, " has no runs");
    std::vector<RunResult> runs;
    for (const std::string& dir : dirs) runs.push_back(read_run(dir));
    for (const RunResult& run : runs) {
      std::vector<std::string> modalities;
      for (const auto& [name, accuracy] : run.modality_accuracy) modalities.push_back(name);
      if (first_dir.empty()) {
        first_dir = run.dir;
        comparison.selected_on = run.selected_on;
        comparison.modalities = modalities;
      }
      MG_CHECK(run.selected_on == comparison.selected_on, "mg-compare: ", run.dir,
               " selected its model on ", run.selected_on, " but ", first_dir, " on ",
               comparison.selected_on, ": the table would mix selection splits");
      MG_CHECK(modalities == comparison.modalities, "mg-compare: ", run.dir,
               " reports other modalities than ", first_dir);
    }
    ComparisonRow row;
    row.method = method;
    row.run_dirs = dirs;
    auto over_runs = [&](auto field) {
      std::vector<double> values;
      for (const RunResult& run : runs) values.push_back(static_cast<double>(field(run)));
      return mean_std(values);
    };
    row.test_accuracy = over_runs([](const RunResult& r) { return r.test_accuracy; });
    for (std::size_t m = 0; m < comparison.modalities.size(); ++m)
      row.modality_accuracy.push_back(
          over_runs([m](const RunResult& r) { return r.modality_accuracy[m].second; }));
    row.imbalance_degree = over_runs([](const RunResult& r) { return r.imbalance_degree; });
    row.epoch_seconds = over_runs([](const RunResult& r) { return r.epoch_seconds; });
    row.best_epoch = over_runs([](const RunResult& r) { return r.best_epoch; });
    comparison.rows.push_back(std::move(row));
  }
  return comparison;
}

std::string format_text(const Comparison& comparison) {
  return title(comparison) + "\n" + table_text(cells(comparison));
}

std::string format_markdown(const Comparison& comparison) {
  return "## " + title(comparison) + "\n\n" + table_markdown(cells(comparison));
}

Json to_json(const Comparison& comparison) {
  Json modalities = Json::array();
  for (const std::string& m : comparison.modalities) modalities.push_back(m);
  Json rows = Json::array();
  for (const ComparisonRow& row : comparison.rows) {
    Json json = Json::object();
    json.set("method", row.method);
    json.set("runs", static_cast<std::int64_t>(row.run_dirs.size()));
    Json dirs = Json::array();
    for (const std::string& dir : row.run_dirs) dirs.push_back(dir);
    json.set("run_dirs", std::move(dirs));
    json.set("test_accuracy", to_json(row.test_accuracy));
    Json by_modality = Json::object();
    for (std::size_t m = 0; m < comparison.modalities.size(); ++m)
      by_modality.set(comparison.modalities[m], to_json(row.modality_accuracy[m]));
    json.set("modality_accuracy", std::move(by_modality));
    json.set("imbalance_degree", to_json(row.imbalance_degree));
    json.set("epoch_seconds", to_json(row.epoch_seconds));
    json.set("best_epoch", to_json(row.best_epoch));
    rows.push_back(std::move(json));
  }
  Json json = Json::object();
  json.set("selected_on", comparison.selected_on);
  json.set("modalities", std::move(modalities));
  json.set("rows", std::move(rows));
  return json;
}

}  // namespace mg::train
