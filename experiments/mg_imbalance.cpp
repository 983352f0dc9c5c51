// mg-imbalance: the supplement's Figure A on any data set: per-modality accuracy and imbalance
// degree over epochs, Naive against AMSS+ by default (--help).
#include <cstdio>
#include <string>
#include <vector>

#include "core/error.h"
#include "experiments/train/compare_command.h"
#include "experiments/train/program.h"
#include "experiments/train/run_reports.h"

namespace {

const char* kHelp =
    "usage: mg-imbalance [--methods LIST] [--seeds LIST] [--out DIR] [--split val|test] [--plots]\n"
    "                    [any mg-train flag, applied to every run]\n\n"
    "The supplement's Figure A: trains (or reuses) one mg-train run per method and seed into\n"
    "DIR/<method>-seed<seed> and prints, per epoch, each method's fused accuracy, per-modality\n"
    "accuracy and imbalance degree (the largest minus the smallest per-modality accuracy) on\n"
    "the split, for the first seed; also DIR/imbalance.md and DIR/imbalance.json.\n\n"
    "  --methods LIST   comma-separated methods (default: naive,amss_plus)\n"
    "  --seeds LIST     comma-separated seeds (default: 0)\n"
    "  --out DIR        where the runs and the report go (default: runs/imbalance)\n"
    "  --split S        val (default) or test\n"
    "  --plots          tools/plot_run.py's PNGs of the runs into DIR/plots\n\n"
    "Every mg-train flag is accepted except --method, --seed, --out and --resume.\n";

}  // namespace

int main(int argc, char** argv) {
  return mg::train::run_program([&] {
    std::vector<std::string> args(argv + 1, argv + argc), rest;
    std::string split = "val";
    for (std::size_t i = 0; i < args.size(); ++i) {
      if (args[i] == "--split" && i + 1 < args.size()) {
        split = args[++i];
      } else if (args[i].starts_with("--split=")) {
        split = args[i].substr(8);
      } else {
        rest.push_back(args[i]);
      }
    }
    MG_CHECK(split == "val" || split == "test", "mg-imbalance: --split '", split,
             "': expected val or test");
    const mg::train::CompareCommand command =
        mg::train::parse_compare_command_line(rest, "mg-imbalance", {"naive", "amss_plus"});
    if (command.help) {
      std::fputs(kHelp, stdout);
      return 0;
    }
    const mg::train::RunsByMethod runs = mg::train::ensure_runs(command);
    const mg::train::Report report = mg::train::imbalance_report(runs, split);
    mg::train::write_report(command, "imbalance", report.text, report.markdown, report.json);
    if (command.plots)
      mg::train::plot_runs(command, runs, MG_SOURCE_DIR "/tools/plot_run.py", " --split " + split);
    return 0;
  });
}
