// mg-train: one training run of a multimodal classifier with one rebalancing method (--help).
#include <cstdio>
#include <string>
#include <vector>

#include "experiments/train/program.h"
#include "experiments/train/trainer.h"

int main(int argc, char** argv) {
  return mg::train::run_program([&] {
    const mg::train::CommandLine line =
        mg::train::parse_command_line(std::vector<std::string>(argv + 1, argv + argc));
    if (line.help) {
      std::fputs(mg::train::help_text().c_str(), stdout);
      return 0;
    }
    if (line.resume.empty()) {
      mg::train::train(line.config);
    } else {
      mg::train::resume(line.config, line.resume);
    }
    return 0;
  });
}
