#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "experiments/train/comparison.h"

// mg-compare: one mg-train run per method and seed into <out>/<method>-seed<seed>, then the
// table of experiments/train/comparison.h over them, printed and written to <out>/table.md and
// <out>/table.json. A run directory that holds a finished run (summary.json) is reused, one with
// a checkpoint but no summary is resumed; either way its config.json must match what is asked
// for (apart from device, threads, workers and progress, which do not change what is trained).
namespace mg::train {

struct CompareCommand {
  std::vector<std::string> methods = {"naive", "amss", "amss_plus", "ogm_ge"};
  std::vector<std::uint64_t> seeds = {0};
  std::string out = "runs/compare";
  bool plots = false;
  bool help = false;
  // Every other flag, given to parse_command_line for each run.
  std::vector<std::string> train_args;
};

// argv[1..]; mg::Error naming the flag or value. --method, --seed and --resume are refused
// (--methods and --seeds choose the runs; finished runs are picked up by themselves).
CompareCommand parse_compare_command_line(const std::vector<std::string>& args);

std::string compare_help_text();

// Runs `command` (resolving every run's settings before training any). With --plots,
// `plot_script` (tools/plot_run.py) draws the runs of the first seed into <out>/plots.
Comparison run_compare(const CompareCommand& command, const std::string& plot_script);

}  // namespace mg::train
