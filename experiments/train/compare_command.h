#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "experiments/train/comparison.h"

// The commands that train one mg-train run per method and seed into <out>/<method>-seed<seed>
// and report on them: mg-compare (the table of experiments/train/comparison.h, to
// <out>/table.md and <out>/table.json), mg-imbalance and mg-bench-overhead. A run directory that
// holds a finished run (summary.json) is reused, one with a checkpoint but no summary is
// resumed; either way its config.json must match what is asked for (apart from device, threads,
// workers and progress, which do not change what is trained).
namespace mg::train {

struct CompareCommand {
  std::string program = "mg-compare";  // what messages start with
  std::vector<std::string> methods = {"naive", "amss", "amss_plus", "ogm_ge"};
  std::vector<std::uint64_t> seeds = {0};
  std::string out = "runs/compare";  // runs/<program without "mg-">
  bool plots = false;
  bool help = false;
  // Every other flag, given to parse_command_line for each run.
  std::vector<std::string> train_args;
};

// argv[1..] of `program`, whose --methods default to `default_methods`; mg::Error naming the
// flag or value. --method, --seed and --resume are refused (--methods and --seeds choose the
// runs; finished runs are picked up by themselves).
CompareCommand parse_compare_command_line(const std::vector<std::string>& args,
                                          const std::string& program = "mg-compare",
                                          std::vector<std::string> default_methods = {
                                              "naive", "amss", "amss_plus", "ogm_ge"});

std::string compare_help_text();

// Method → its run directories, one per seed in seed order.
using RunsByMethod = std::vector<std::pair<std::string, std::vector<std::string>>>;

// Trains, resumes or reuses every run of `command`, resolving every run's settings before
// training any.
RunsByMethod ensure_runs(const CompareCommand& command);

// `plot_script` (tools/plot_run.py) over the first seed's runs into <out>/plots, with
// `extra_flags` (" --split test") appended to its command line.
void plot_runs(const CompareCommand& command, const RunsByMethod& runs,
               const std::string& plot_script, const std::string& extra_flags = "");

// Prints `text` and writes <out>/<name>.md and <out>/<name>.json.
void write_report(const CompareCommand& command, const std::string& name, const std::string& text,
                  const std::string& markdown, const Json& json);

// mg-compare: ensure_runs, the table, and with --plots the plots.
Comparison run_compare(const CompareCommand& command, const std::string& plot_script);

}  // namespace mg::train
