// mg-bench-overhead: Table A's overhead half on any data set: the training time per epoch of
// every method against Naive's, same data, same batch (--help).
#include <cstdio>
#include <string>
#include <vector>

#include "experiments/train/compare_command.h"
#include "experiments/train/program.h"
#include "experiments/train/run_reports.h"

namespace {

const char* kHelp =
    "usage: mg-bench-overhead [--methods LIST] [--seeds LIST] [--out DIR]\n"
    "                         [any mg-train flag, applied to every run]\n\n"
    "Table A's overhead half: trains one mg-train run per method and seed (the seeds are\n"
    "repeats) into DIR/<method>-seed<seed>, every run with the same data, batch and epochs, and\n"
    "prints each method's median training seconds per epoch and median step time (evaluation\n"
    "excluded) and their ratios to the first method's; also DIR/overhead.md and .json. Runs go\n"
    "seed by seed, every method once per seed, so that a drifting machine speed spreads over all\n"
    "methods. Finished runs are reused: remove DIR to time afresh.\n\n"
    "  --methods LIST   comma-separated methods, the first the baseline\n"
    "                   (default: naive,amss,amss_plus,ogm_ge,pmr,agm)\n"
    "  --seeds LIST     comma-separated seeds (default: 0)\n"
    "  --out DIR        where the runs and the report go (default: runs/bench-overhead)\n\n"
    "Every mg-train flag is accepted except --method, --seed, --out and --resume; --epochs 2\n"
    "or 3 is usually enough.\n";

}  // namespace

int main(int argc, char** argv) {
  return mg::train::run_program([&] {
    const mg::train::CompareCommand command = mg::train::parse_compare_command_line(
        std::vector<std::string>(argv + 1, argv + argc), "mg-bench-overhead",
        {"naive", "amss", "amss_plus", "ogm_ge", "pmr", "agm"});
    if (command.help) {
      std::fputs(kHelp, stdout);
      return 0;
    }
    const mg::train::Report report = mg::train::overhead_report(mg::train::ensure_runs(command));
    mg::train::write_report(command, "overhead", report.text, report.markdown, report.json);
    return 0;
  });
}
