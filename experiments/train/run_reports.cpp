#include "experiments/train/run_reports.h"

#include <algorithm>
#include <vector>

#include "core/error.h"
#include "experiments/train/metrics.h"
#include "experiments/train/run_files.h"

namespace mg::train {
namespace {

std::vector<Json> metric_lines(const std::string& dir) {
  const std::string path = dir + "/metrics.jsonl";
  std::vector<Json> lines = read_json_lines(path);
  MG_CHECK(!lines.empty(), path, ": no epoch logged");
  return lines;
}

// The rows as the report's text and markdown, under `title`.
void render(const std::string& title, const std::vector<std::vector<std::string>>& rows,
            Report& report) {
  report.text = title + "\n" + table_text(rows);
  report.markdown = title + "\n\n" + table_markdown(rows);
}

}  // namespace

Report imbalance_report(const RunsByMethod& runs, const std::string& split) {
  MG_CHECK(split == "val" || split == "test", "imbalance_report: split '", split,
           "': expected val or test");
  MG_CHECK(!runs.empty(), "imbalance_report: no runs");
  std::vector<std::vector<Json>> lines;
  std::vector<std::string> modalities;
  for (const auto& [method, dirs] : runs) {
    MG_CHECK(!dirs.empty(), "imbalance_report: method ", method, " has no run");
    lines.push_back(metric_lines(dirs.front()));
    if (modalities.empty())
      for (const auto& [name, value] :
           lines.back().front().at(split).at("modality_accuracy").as_object())
        modalities.push_back(name);
  }
  std::vector<std::string> header = {"epoch"};
  for (const auto& [method, dirs] : runs) {
    header.push_back(method + " fused");
    for (const std::string& m : modalities) header.push_back(m);
    header.push_back("imbalance");
  }
  std::vector<std::vector<std::string>> rows = {header};
  Report report;
  report.json = Json::object();
  report.json.set("split", split);
  Json epochs = Json::array();
  std::size_t count = 0;
  for (const auto& l : lines) count = std::max(count, l.size());
  for (std::size_t e = 0; e < count; ++e) {
    std::vector<std::string> row = {std::to_string(e + 1)};
    Json epoch = Json::object();
    epoch.set("epoch", static_cast<std::int64_t>(e));
    for (std::size_t r = 0; r < runs.size(); ++r) {
      if (e >= lines[r].size()) {
        row.insert(row.end(), modalities.size() + 2, "");
        continue;
      }
      const Json& metrics = lines[r][e].at(split);
      Json entry = Json::object();
      entry.set("accuracy", metrics.at("accuracy"));
      entry.set("modality_accuracy", metrics.at("modality_accuracy"));
      entry.set("imbalance_degree", metrics.at("imbalance_degree"));
      row.push_back(fixed(100 * metrics.at("accuracy").as_double(), 1));
      for (const std::string& m : modalities)
        row.push_back(fixed(100 * metrics.at("modality_accuracy").at(m).as_double(), 1));
      row.push_back(fixed(100 * metrics.at("imbalance_degree").as_double(), 1));
      epoch.set(runs[r].first, std::move(entry));
    }
    rows.push_back(std::move(row));
    epochs.push_back(std::move(epoch));
  }
  report.json.set("epochs", std::move(epochs));
  render(str("Per-modality ", split,
             " accuracy and imbalance degree (max − min per-modality accuracy) over epochs, %"),
         rows, report);
  return report;
}

Report overhead_report(const RunsByMethod& runs) {
  MG_CHECK(!runs.empty(), "overhead_report: no runs");
  std::vector<std::vector<std::string>> rows = {{"method", "s / epoch", "/ " + runs.front().first,
                                                 "step ms", "/ " + runs.front().first, "epochs"}};
  Report report;
  report.json = Json::object();
  Json methods = Json::array();
  double base_epoch = 0, base_step = 0;
  for (const auto& [method, dirs] : runs) {
    std::vector<double> seconds, steps;
    for (const std::string& dir : dirs)
      for (const Json& line : metric_lines(dir)) {
        seconds.push_back(line.at("train").at("seconds").as_double());
        steps.push_back(line.at("train").at("step_ms").as_double());
      }
    MG_CHECK(!seconds.empty(), "overhead_report: method ", method, " has no run");
    const double epoch = median(seconds), step = median(steps);
    if (base_epoch == 0) {
      base_epoch = epoch;
      base_step = step;
    }
    rows.push_back({method, fixed(epoch, 2), fixed(epoch / base_epoch, 3), fixed(step, 1),
                    fixed(step / base_step, 3), std::to_string(seconds.size())});
    Json entry = Json::object();
    entry.set("method", method);
    entry.set("epoch_seconds", epoch);
    entry.set("epoch_ratio", epoch / base_epoch);
    entry.set("step_ms", step);
    entry.set("step_ratio", step / base_step);
    entry.set("epochs", static_cast<std::int64_t>(seconds.size()));
    methods.push_back(std::move(entry));
  }
  report.json.set("methods", std::move(methods));
  render("Training time per epoch (medians over epochs and runs; evaluation excluded)", rows,
         report);
  return report;
}

}  // namespace mg::train
