#include "experiments/train/run_reports.h"

#include <algorithm>
#include <cstdio>
#include <vector>

#include "core/error.h"
#include "datasets/file_bytes.h"

namespace mg::train {
namespace {

std::vector<Json> metric_lines(const std::string& dir) {
  const std::string path = dir + "/metrics.jsonl";
  const std::vector<std::uint8_t> bytes = data::read_file_bytes(path);
  std::vector<Json> lines;
  for (std::string_view line : data::text_lines(bytes))
    if (!line.empty()) lines.push_back(Json::parse(line, path));
  MG_CHECK(!lines.empty(), path, ": no epoch logged");
  return lines;
}

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  const std::size_t n = values.size();
  return n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

std::string fixed(double value, int digits) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.*f", digits, value);
  return buffer;
}

std::string pad(const std::string& text, std::size_t width) {
  return text.size() >= width ? text : std::string(width - text.size(), ' ') + text;
}

// Rows of cells as aligned text and as a markdown table; the first row is the header.
void render(const std::vector<std::vector<std::string>>& rows, Report& report) {
  std::vector<std::size_t> widths(rows.front().size(), 0);
  for (const auto& row : rows)
    for (std::size_t c = 0; c < row.size(); ++c) widths[c] = std::max(widths[c], row[c].size());
  for (std::size_t r = 0; r < rows.size(); ++r) {
    std::string text, markdown = "|";
    for (std::size_t c = 0; c < rows[r].size(); ++c) {
      text += (c == 0 ? "" : "  ") + pad(rows[r][c], widths[c]);
      markdown += " " + rows[r][c] + " |";
    }
    report.text += text + "\n";
    report.markdown += markdown + "\n";
    if (r == 0) {
      report.markdown += "|";
      for (std::size_t c = 0; c < rows[r].size(); ++c) report.markdown += c == 0 ? "---|" : "---:|";
      report.markdown += "\n";
    }
  }
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
  report.text =
      str("Per-modality ", split, " accuracy and imbalance degree (max − min per-modality",
          " accuracy) over epochs, %\n");
  report.markdown = report.text + "\n";
  render(rows, report);
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
  report.text =
      str("Training time per epoch (medians over epochs and runs; evaluation excluded)\n");
  report.markdown = report.text + "\n";
  render(rows, report);
  return report;
}

}  // namespace mg::train
