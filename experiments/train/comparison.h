#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "core/json.h"

// The table of mg-compare: finished mg-train runs, one row per method, read from their run
// directories (summary.json: the model selected on the selection split, evaluated on test;
// metrics.jsonl: the time per epoch). With several runs per method (seeds) each number is the
// mean and the sample standard deviation (n − 1) over the runs.
namespace mg::train {

// What the table takes from one finished run.
struct RunResult {
  std::string dir;
  std::string selected_on;  // the split that picked the model: val or test
  double test_accuracy = 0;
  std::vector<std::pair<std::string, double>> modality_accuracy;  // test, summary.json's order
  double imbalance_degree = 0;                                    // test
  double epoch_seconds = 0;     // mean over the logged epochs of train.seconds
  std::int64_t best_epoch = 0;  // counted from 0, as summary.json and metrics.jsonl count
};

// Reads <dir>/summary.json and <dir>/metrics.jsonl; mg::Error naming the file otherwise.
RunResult read_run(const std::string& dir);

// Mean and sample standard deviation of one number over the runs of a method; std is 0 for a
// single run.
struct MeanStd {
  double mean = 0;
  double std = 0;
};

struct ComparisonRow {
  std::string method;
  std::vector<std::string> run_dirs;
  MeanStd test_accuracy;
  std::vector<MeanStd> modality_accuracy;  // Comparison::modalities' order
  MeanStd imbalance_degree;
  MeanStd epoch_seconds;
  MeanStd best_epoch;
};

struct Comparison {
  std::string selected_on;
  std::vector<std::string> modalities;
  std::vector<ComparisonRow> rows;
};

// One row per method, in the given order, from each method's run directories. Every run must
// have been selected on the same split and report the same modalities; mg::Error otherwise.
Comparison compare_runs(
    const std::vector<std::pair<std::string, std::vector<std::string>>>& runs_by_method);

// The table as aligned plain text (a title line, a header, one line per method) and as
// markdown (the title as a heading). Accuracies and the imbalance degree are in percent, the
// time in seconds; "mean ± std" where a method has several runs.
std::string format_text(const Comparison& comparison);
std::string format_markdown(const Comparison& comparison);
// {"selected_on", "modalities", "rows": [{"method", "runs", "run_dirs", "test_accuracy": {"mean",
// "std"}, "modality_accuracy": {name: {"mean", "std"}}, "imbalance_degree", "epoch_seconds",
// "best_epoch"}]}, accuracies as fractions.
Json to_json(const Comparison& comparison);

}  // namespace mg::train
