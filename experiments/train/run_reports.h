#pragma once

#include <string>

#include "core/json.h"
#include "experiments/train/compare_command.h"

// The per-epoch reports of mg-imbalance and mg-bench-overhead, from the runs' metrics.jsonl.
namespace mg::train {

struct Report {
  std::string text;      // aligned columns, for the terminal
  std::string markdown;  // a table
  Json json;
};

// The supplement's Figure A as numbers: per epoch, each method's fused accuracy, per-modality
// accuracy and imbalance degree on `split` (val or test), from each method's first run.
Report imbalance_report(const RunsByMethod& runs, const std::string& split);

// Table A's overhead half: per method, the median seconds per training epoch and the median
// step time over every epoch of all its runs, and both as ratios to the first method's.
Report overhead_report(const RunsByMethod& runs);

}  // namespace mg::train
