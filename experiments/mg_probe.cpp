// mg-probe: linear probes of a trained mg-train run's modality encoders (--help).
#include <cstdio>
#include <string>
#include <vector>

#include "core/error.h"
#include "experiments/train/linear_probe.h"
#include "experiments/train/program.h"

namespace {

constexpr const char* kUsage =
    "usage: mg-probe --run RUN_DIR [--modality NAME]... [--epochs N] [--lr X] [--threads N]\n"
    "                [--workers N]\n"
    "Trains a linear softmax classifier on the frozen, standardised features of each modality's\n"
    "encoder (RUN_DIR/best.safetensors, data from RUN_DIR/config.json; train split fits, val\n"
    "split judges), prints the accuracies and writes RUN_DIR/probe.json.\n"
    "  --modality NAME  probe this modality (repeatable; default: every modality)\n"
    "  --epochs N       full-batch Adam steps (default 500)\n"
    "  --lr X           Adam learning rate (default 0.01)\n"
    "  --threads N      CPU threads (default: the OpenMP default)\n"
    "  --workers N      loader threads (default: the run's)\n";

std::int64_t parse_int(const std::string& flag, const std::string& text) {
  try {
    std::size_t used = 0;
    const long long value = std::stoll(text, &used);
    if (used == text.size()) return value;
  } catch (const std::exception&) {
  }
  throw mg::Error("mg-probe: " + flag + " '" + text + "' is not an integer");
}

double parse_double(const std::string& flag, const std::string& text) {
  try {
    std::size_t used = 0;
    const double value = std::stod(text, &used);
    if (used == text.size()) return value;
  } catch (const std::exception&) {
  }
  throw mg::Error("mg-probe: " + flag + " '" + text + "' is not a number");
}

}  // namespace

int main(int argc, char** argv) {
  return mg::train::run_program([&] {
    const std::vector<std::string> args(argv + 1, argv + argc);
    mg::train::ProbeRunOptions options;
    for (std::size_t i = 0; i < args.size(); ++i) {
      const std::string& flag = args[i];
      if (flag == "--help" || flag == "-h") {
        std::fputs(kUsage, stdout);
        return 0;
      }
      if (i + 1 >= args.size()) throw mg::Error("mg-probe: " + flag + " needs a value\n" + kUsage);
      const std::string& value = args[++i];
      if (flag == "--run") {
        options.run_dir = value;
      } else if (flag == "--modality") {
        options.modalities.push_back(value);
      } else if (flag == "--epochs") {
        options.probe.epochs = parse_int(flag, value);
      } else if (flag == "--lr") {
        options.probe.lr = parse_double(flag, value);
      } else if (flag == "--threads") {
        options.threads = parse_int(flag, value);
      } else if (flag == "--workers") {
        options.workers = parse_int(flag, value);
      } else {
        throw mg::Error("mg-probe: unknown flag '" + flag + "'\n" + kUsage);
      }
    }
    if (options.run_dir.empty())
      throw mg::Error(std::string("mg-probe: --run is required\n") + kUsage);
    const mg::Json result = mg::train::probe_run(options);
    for (const auto& [name, entry] : result.as_object())
      std::printf("%-10s val %.4f  train %.4f\n", name.c_str(),
                  entry.at("val_accuracy").as_double(), entry.at("train_accuracy").as_double());
    return 0;
  });
}
