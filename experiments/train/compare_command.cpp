#include "experiments/train/compare_command.h"

#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <set>
#include <sstream>

#include "core/error.h"
#include "experiments/train/run_files.h"
#include "experiments/train/train_config.h"
#include "experiments/train/trainer.h"

namespace mg::train {
namespace {

namespace fs = std::filesystem;

std::vector<std::string> split_list(const std::string& program, const std::string& flag,
                                    const std::string& list) {
  std::vector<std::string> items;
  std::stringstream stream(list);
  for (std::string item; std::getline(stream, item, ',');) {
    MG_CHECK(!item.empty(), program, ": --", flag, " '", list, "' has an empty entry");
    items.push_back(item);
  }
  MG_CHECK(!items.empty(), program, ": --", flag, " expects a comma-separated list");
  const std::set<std::string> distinct(items.begin(), items.end());
  MG_CHECK(distinct.size() == items.size(), program, ": --", flag, " '", list,
           "' names an entry twice");
  return items;
}

// The settings in which an existing run's config.json differs from what is asked for, leaving
// out those that do not change what is trained.
std::vector<std::string> differing_settings(const TrainConfig& wanted, const std::string& dir) {
  static const std::set<std::string> runtime = {"device", "threads", "workers", "progress", "out"};
  const Json have = read_json_file(dir + "/config.json");
  const Json asked = to_json(wanted);
  std::vector<std::string> names;
  for (const auto& [name, value] : asked.as_object()) {
    if (runtime.contains(name)) continue;
    const Json* other = have.find(name);
    if (other == nullptr || !(*other == value))
      names.push_back(
          str(name, " (run: ", other ? other->dump() : "absent", ", asked: ", value.dump(), ")"));
  }
  return names;
}

// A path as one word for /bin/sh.
std::string shell_quoted(const std::string& text) {
  std::string quoted = "'";
  for (char c : text) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}

void say(const std::string& program, const std::string& text) {
  std::printf("%s: %s\n", program.c_str(), text.c_str());
  std::fflush(stdout);
}

}  // namespace

CompareCommand parse_compare_command_line(const std::vector<std::string>& args,
                                          const std::string& program,
                                          std::vector<std::string> default_methods) {
  CompareCommand command;
  command.program = program;
  command.methods = std::move(default_methods);
  command.out = "runs/" + program.substr(program.find('-') + 1);
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--help" || arg == "-h") {
      command.help = true;
      return command;
    }
    if (arg == "--plots") {
      command.plots = true;
      continue;
    }
    if (!arg.starts_with("--")) {
      command.train_args.push_back(arg);  // parse_command_line names what is wrong with it
      continue;
    }
    std::string name = arg.substr(2), value;
    const auto eq = name.find('=');
    if (eq != std::string::npos) name = name.substr(0, eq);
    for (const char* refused : {"method", "seed", "resume"})
      MG_CHECK(name != refused, program, ": --", name,
               " is not accepted: --methods and --seeds choose the runs, and a run directory that "
               "holds an unfinished run is resumed by itself");
    if (name != "methods" && name != "seeds" && name != "out") {
      command.train_args.push_back(arg);
      // The value of a pass-through flag travels with it, whatever it looks like.
      if (eq == std::string::npos && i + 1 < args.size()) command.train_args.push_back(args[++i]);
      continue;
    }
    if (eq != std::string::npos) {
      value = arg.substr(2 + eq + 1);
    } else {
      MG_CHECK(i + 1 < args.size(), program, ": --", name, " expects a value");
      value = args[++i];
    }
    if (name == "methods") {
      command.methods = split_list(program, name, value);
    } else if (name == "seeds") {
      command.seeds.clear();
      for (const std::string& seed : split_list(program, name, value)) {
        std::uint64_t parsed = 0;
        const auto [end, ec] = std::from_chars(seed.data(), seed.data() + seed.size(), parsed);
        MG_CHECK(ec == std::errc() && end == seed.data() + seed.size(), program,
                 ": --seeds: expects non-negative integers, got '", seed, "'");
        command.seeds.push_back(parsed);
      }
    } else {
      MG_CHECK(!value.empty(), program, ": --out expects a directory");
      command.out = value;
    }
  }
  return command;
}

std::string compare_help_text() {
  return "usage: mg-compare [--methods LIST] [--seeds LIST] [--out DIR] [--plots]\n"
         "                  [any mg-train flag, applied to every run]\n\n"
         "Trains one mg-train run per method and seed into DIR/<method>-seed<seed> and prints one\n"
         "table, a row per method: test accuracy of the model selected on the selection split,\n"
         "per-modality test accuracy, imbalance degree, seconds per training epoch and the best\n"
         "epoch; over several seeds each number is mean ± sample std. The table also goes to\n"
         "DIR/table.md and DIR/table.json. A run directory holding a finished run (summary.json)\n"
         "is reused, one holding a checkpoint is resumed; its settings must match.\n\n"
         "  --methods LIST   comma-separated methods (default: naive,amss,amss_plus,ogm_ge)\n"
         "  --seeds LIST     comma-separated seeds (default: 0)\n"
         "  --out DIR        where the runs and the table go (default: runs/compare)\n"
         "  --plots          plot the runs of the first seed with tools/plot_run.py into "
         "DIR/plots\n"
         "                   (needs /usr/bin/python3 with python3-matplotlib)\n\n"
         "Every mg-train flag (--preset, --config, --epochs, ... see mg-train --help) is accepted\n"
         "and applies to every run, except --method, --seed, --out and --resume.\n";
}

RunsByMethod ensure_runs(const CompareCommand& command) {
  struct Planned {
    std::string method;
    std::uint64_t seed;
    TrainConfig config;
  };
  // Every run's settings first, so a bad flag fails before any training.
  std::vector<Planned> plan;
  for (std::uint64_t seed : command.seeds)
    for (const std::string& method : command.methods) {
      std::vector<std::string> args = command.train_args;
      const std::string dir = str(command.out, "/", method, "-seed", seed);
      for (const std::string& extra : {std::string("--method"), method, std::string("--seed"),
                                       std::to_string(seed), std::string("--out"), dir})
        args.push_back(extra);
      plan.push_back({method, seed, parse_command_line(args).config});
    }

  RunsByMethod runs_by_method;
  for (const std::string& method : command.methods) runs_by_method.push_back({method, {}});
  for (std::size_t r = 0; r < plan.size(); ++r) {
    const Planned& run = plan[r];
    const std::string& dir = run.config.out;
    const std::string name = str(run.method, " seed ", run.seed);
    const bool finished = fs::exists(dir + "/summary.json");
    const bool started = fs::exists(dir + "/checkpoint.safetensors");
    if (finished || started) {
      const std::vector<std::string> differ = differing_settings(run.config, dir);
      std::string list;
      for (const std::string& d : differ) list += str("\n  ", d);
      MG_CHECK(differ.empty(), command.program, ": ", dir,
               " holds a run with other settings; pick another --out or remove it:", list);
    }
    if (finished) {
      say(command.program, str(name, ": reusing the finished run in ", dir));
    } else if (started) {
      say(command.program,
          str(name, ": resuming the unfinished run in ", dir, " (", r + 1, "/", plan.size(), ")"));
      resume(run.config, dir);
    } else {
      say(command.program, str(name, ": training into ", dir, " (", r + 1, "/", plan.size(), ")"));
      train(run.config);
    }
    runs_by_method[r % command.methods.size()].second.push_back(dir);
  }
  return runs_by_method;
}

void plot_runs(const CompareCommand& command, const RunsByMethod& runs,
               const std::string& plot_script, const std::string& extra_flags) {
  std::string shell = str("/usr/bin/python3 ", shell_quoted(plot_script));
  for (const auto& [method, dirs] : runs) shell += str(" ", shell_quoted(dirs.front()));
  shell += str(" --out ", shell_quoted(command.out + "/plots"), extra_flags);
  say(command.program,
      str("plotting the runs of seed ", command.seeds.front(), " into ", command.out, "/plots"));
  std::fflush(stdout);
  // plot_run.py prints the path of each PNG it writes.
  const int status = std::system(shell.c_str());
  MG_CHECK(status == 0, command.program, ": ", plot_script, " failed (", shell,
           "); it needs /usr/bin/python3 with python3-matplotlib");
}

void write_report(const CompareCommand& command, const std::string& name, const std::string& text,
                  const std::string& markdown, const Json& json) {
  std::printf("\n%s", text.c_str());
  write_text_file(str(command.out, "/", name, ".md"), markdown);
  write_text_file(str(command.out, "/", name, ".json"), json.dump() + "\n");
  say(command.program,
      str("written to ", command.out, "/", name, ".md and ", command.out, "/", name, ".json"));
}

Comparison run_compare(const CompareCommand& command, const std::string& plot_script) {
  const RunsByMethod runs = ensure_runs(command);
  const Comparison comparison = compare_runs(runs);
  write_report(command, "table", format_text(comparison), format_markdown(comparison),
               to_json(comparison));
  if (command.plots) plot_runs(command, runs, plot_script);
  return comparison;
}

}  // namespace mg::train
