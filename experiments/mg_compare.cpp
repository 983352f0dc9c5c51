// mg-compare: one mg-train run per method and seed, then one table of their results (--help).
#include <cstdio>
#include <string>
#include <vector>

#include "experiments/train/compare_command.h"
#include "experiments/train/program.h"

int main(int argc, char** argv) {
  return mg::train::run_program([&] {
    const mg::train::CompareCommand command =
        mg::train::parse_compare_command_line(std::vector<std::string>(argv + 1, argv + argc));
    if (command.help) {
      std::fputs(mg::train::compare_help_text().c_str(), stdout);
      return 0;
    }
    mg::train::run_compare(command, MG_SOURCE_DIR "/tools/plot_run.py");
    return 0;
  });
}
