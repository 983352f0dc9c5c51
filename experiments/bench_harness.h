#pragma once

// What bench_ops and bench_models share: flags, timing each row in a forked child (so its peak
// RSS is its own and rows do not warm each other's caches), running the PyTorch script for the
// same rows, and the table of ours against theirs.
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <iostream>
#include <map>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "core/cuda/cuda_runtime.h"
#include "core/device.h"
#include "core/error.h"
#include "core/json.h"
#include "core/ops_copy.h"
#include "core/threading.h"

namespace mg::bench {

using Step = std::function<void()>;
using Rows = std::vector<std::pair<std::string, std::function<Step()>>>;

struct Options {
  std::string program;  // "bench_ops": names errors and the PyTorch script tools/<program>_torch.py
  int threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  int warmup = 3;
  int repeats = 11;
  std::string python = access("/usr/bin/python3", X_OK) == 0 ? "/usr/bin/python3" : "python3";
  std::string rows;  // comma-separated; empty means all
  bool torch = true;
  bool accepts_device = false;  // whether the program's rows honour --device
  Device device = Device::cpu();
  int batch = 0;  // --batch, for programs that set accepts_batch; 0: the program's default
  bool accepts_batch = false;
};

// The device the rows build their models and inputs on: --device, set by parse().
inline Device& target_device() {
  static Device device = Device::cpu();
  return device;
}

// `t` on the rows' device.
inline Tensor on_device(const Tensor& t) {
  return native::to(t, target_device());
}

// Waits for the step's queued GPU work, so that a timer stopped after it measures the work.
inline void wait_for(const Options& options) {
  if (options.device.is_cuda()) cuda::synchronize(options.device.index);
}

// The most device memory that tensors held on the GPU (the caching allocator's peak), in MB: the
// memory column of a GPU row (a CPU row reports its process's peak RSS).
inline double peak_device_mb(const Options& options) {
  return static_cast<double>(cuda::memory_stats(options.device.index).peak_allocated_bytes) /
         (1 << 20);
}

struct Timing {
  double median_ms = -1;
  double peak_rss_mb = -1;
};

inline double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

constexpr auto kMinWarmup = std::chrono::milliseconds(50);
constexpr auto kMinTimed = std::chrono::milliseconds(250);
constexpr std::size_t kMaxRuns = 10000;

// Runs `work` in a forked child with the benchmark's thread count and returns the numbers it
// returns (at most 16), followed by the child's peak RSS in MB.
inline std::vector<double> run_in_child(const std::function<std::vector<double>()>& work,
                                        const Options& options) {
  constexpr std::size_t kMaxValues = 17;
  int fds[2];
  MG_CHECK(pipe(fds) == 0, options.program, ": pipe() failed");
  const pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    mg::set_num_threads(options.threads);
    std::vector<double> values;
    try {
      values = work();
    } catch (const std::exception& error) {
      std::cerr << options.program << ": " << error.what() << "\n";
      _exit(1);
    }
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    values.push_back(static_cast<double>(usage.ru_maxrss) / 1024);
    values.resize(kMaxValues, -1);
    const auto bytes = static_cast<ssize_t>(kMaxValues * sizeof(double));
    if (write(fds[1], values.data(), kMaxValues * sizeof(double)) != bytes) _exit(1);
    _exit(0);
  }
  close(fds[1]);
  std::vector<double> values(kMaxValues);
  const auto bytes = static_cast<ssize_t>(kMaxValues * sizeof(double));
  const bool complete = read(fds[0], values.data(), kMaxValues * sizeof(double)) == bytes;
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  MG_CHECK(complete, options.program, ": a benchmark child process failed");
  while (!values.empty() && values.back() == -1) values.pop_back();
  return values;
}

// The median time of `make()`'s step: fast rows run more often than `repeats`, for at least
// kMinTimed, so that their median is not one of a handful of noisy samples (the PyTorch side
// does the same).
inline Timing time_in_child(const std::function<Step()>& make, const Options& options) {
  const std::vector<double> values = run_in_child(
      [&] {
        Step step = make();
        using Clock = std::chrono::steady_clock;
        const auto warmup_start = Clock::now();
        for (int i = 0; i < options.warmup || Clock::now() - warmup_start < kMinWarmup; ++i) {
          step();
          wait_for(options);
        }
        std::vector<double> times;
        const auto timed_start = Clock::now();
        while (static_cast<int>(times.size()) < options.repeats ||
               (Clock::now() - timed_start < kMinTimed && times.size() < kMaxRuns)) {
          const auto start = Clock::now();
          step();
          wait_for(options);
          times.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
        }
        if (options.device.is_cuda())
          return std::vector<double>{median(times), peak_device_mb(options)};
        return std::vector<double>{median(times)};
      },
      options);
  return {values.at(0), values.at(1)};  // RSS on the CPU, device memory on a GPU
}

// Runs tools/<program>_torch.py once for all rows and reads its JSON lines.
inline std::map<std::string, Timing> torch_timings(const std::vector<std::string>& names,
                                                   const Options& options, std::string& version) {
  std::string list;
  for (const auto& name : names) list += (list.empty() ? "" : ",") + name;
  const std::string script = std::string(MG_SOURCE_DIR) + "/tools/" + options.program + "_torch.py";
  const std::string command = options.python + " " + script + " --threads " +
                              std::to_string(options.threads) + " --warmup " +
                              std::to_string(options.warmup) + " --repeats " +
                              std::to_string(options.repeats) + " --rows '" + list + "'" +
                              (options.device.is_cuda() ? " --device cuda" : "");
  std::map<std::string, Timing> timings;
  FILE* out = popen(command.c_str(), "r");
  if (out == nullptr) return timings;
  char line[4096];
  while (fgets(line, sizeof line, out) != nullptr) {
    try {
      const Json row = Json::parse(line, script);
      version = row.at("torch").as_string();
      const char* memory = options.device.is_cuda() ? "peak_device_mb" : "peak_rss_mb";
      timings[row.at("row").as_string()] = {row.at("median_ms").as_double(),
                                            row.at(memory).as_double()};
    } catch (const Error& error) {
      std::cerr << options.program << ": ignoring a line from the PyTorch side: " << error.what()
                << "\n";
    }
  }
  if (pclose(out) != 0)
    std::cerr << options.program << ": the PyTorch side failed (" << command << ")\n";
  return timings;
}

inline void print_help(const Options& defaults, const std::string& what) {
  std::cout << "usage: " << defaults.program << " [options]\n"
            << "Times " << what << " against PyTorch (same work, same thread count) and prints\n"
            << "each row, ours ms, PyTorch ms, ratio (ours / PyTorch) and peak RSS of each side.\n"
            << "  --threads N     threads for both sides (default: all cores)\n"
            << "  --warmup N      untimed runs per row (default " << defaults.warmup << ")\n"
            << "  --repeats N     timed runs per row, at least (fast rows run for 0.25 s);\n"
            << "                  the median is reported (default " << defaults.repeats << ")\n"
            << "  --rows A,B      only these rows (default: all)\n"
            << "  --python PATH   the Python that has torch (default /usr/bin/python3)\n"
            << "  --no-torch      time maskgrad only\n";
  if (defaults.accepts_batch) {
    std::cout << "  --batch N       batch size (default " << defaults.batch << ")\n";
  }
  if (defaults.accepts_device) {
    std::cout
        << "  --device D      cpu or cuda[:N] (default cpu); on a GPU the memory columns are\n"
        << "                  the peak device memory held by tensors, not RSS\n";
  }
  std::cout << "  --list          print the row names and exit\n";
}

// The rows --rows selects (all when empty), in table order; throws when none matches.
inline std::vector<std::string> selected_rows(const Options& options, const Rows& rows) {
  std::vector<std::string> names;
  for (const auto& row : rows) {
    if (options.rows.empty() ||
        ("," + options.rows + ",").find("," + row.first + ",") != std::string::npos)
      names.push_back(row.first);
  }
  MG_CHECK(!names.empty(), options.program, ": no row matches --rows '", options.rows,
           "' (see --list)");
  return names;
}

inline Options parse(int argc, char** argv, Options options, const Rows& rows,
                     const std::string& what) {
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&]() -> std::string {
      MG_CHECK(i + 1 < argc, options.program, ": ", arg, " needs a value");
      return argv[++i];
    };
    auto positive = [&](const std::string& text) {
      int parsed = 0;
      try {
        parsed = std::stoi(text);
      } catch (const std::exception&) {
      }
      MG_CHECK(parsed > 0, options.program, ": ", arg, " expects a positive integer, got '", text,
               "'");
      return parsed;
    };
    if (arg == "--threads") {
      options.threads = positive(value());
    } else if (arg == "--warmup") {
      options.warmup = positive(value());
    } else if (arg == "--repeats") {
      options.repeats = positive(value());
    } else if (arg == "--rows") {
      options.rows = value();
    } else if (arg == "--python") {
      options.python = value();
    } else if (arg == "--device" && options.accepts_device) {
      // Not checked here: asking CUDA anything in this process would break CUDA in the forked
      // children that time the rows; the first child reports a missing device.
      options.device = Device::parse(value());
    } else if (arg == "--batch" && options.accepts_batch) {
      options.batch = positive(value());
    } else if (arg == "--no-torch") {
      options.torch = false;
    } else if (arg == "--list") {
      for (const auto& row : rows) std::cout << row.first << "\n";
      std::exit(0);
    } else if (arg == "--help" || arg == "-h") {
      print_help(options, what);
      std::exit(0);
    } else {
      throw Error(str(options.program, ": unknown flag '", arg, "' (see --help)"));
    }
  }
  target_device() = options.device;
  return options;
}

// Times the selected rows on both sides and prints the table; returns the exit status.
inline int run(int argc, char** argv, Options defaults, const Rows& rows, const std::string& what) {
  try {
    const Options options = parse(argc, argv, std::move(defaults), rows, what);
    const std::vector<std::string> names = selected_rows(options, rows);
    std::map<std::string, Timing> ours;
    for (const auto& [name, make] : rows) {
      if (std::find(names.begin(), names.end(), name) != names.end())
        ours[name] = time_in_child(make, options);
    }
    std::string version = "not run";
    const auto theirs =
        options.torch ? torch_timings(names, options, version) : std::map<std::string, Timing>{};
    std::printf(
        "threads %d; median of at least %d runs and 0.25 s of runs, after at least %d warm-up "
        "runs and 0.05 s; PyTorch %s\n",
        options.threads, options.repeats, options.warmup, version.c_str());
    if (options.device.is_cuda()) {
      std::printf("device %s (%s); memory: peak device memory held by tensors; TF32 %s\n",
                  str(options.device).c_str(), cuda::device_name(options.device.index).c_str(),
                  cuda::allow_tf32() ? "on" : "off");
    }
    std::printf("\n");
    std::printf("| %-40s | %9s | %11s | %6s | %10s | %14s |\n", "row", "ours ms", "PyTorch ms",
                "ratio", options.device.is_cuda() ? "ours mem" : "ours RSS",
                options.device.is_cuda() ? "PyTorch mem" : "PyTorch RSS");
    std::printf("|%s|%s|%s|%s|%s|%s|\n", std::string(42, '-').c_str(), std::string(11, '-').c_str(),
                std::string(13, '-').c_str(), std::string(8, '-').c_str(),
                std::string(12, '-').c_str(), std::string(16, '-').c_str());
    for (const auto& name : names) {
      const Timing& mine = ours[name];
      const auto it = theirs.find(name);
      if (it == theirs.end()) {
        std::printf("| %-40s | %9.3f | %11s | %6s | %7.0f MB | %14s |\n", name.c_str(),
                    mine.median_ms, "-", "-", mine.peak_rss_mb, "-");
      } else {
        std::printf("| %-40s | %9.3f | %11.3f | %6.2f | %7.0f MB | %11.0f MB |\n", name.c_str(),
                    mine.median_ms, it->second.median_ms, mine.median_ms / it->second.median_ms,
                    mine.peak_rss_mb, it->second.peak_rss_mb);
      }
    }
    return 0;
  } catch (const Error& error) {
    std::cerr << error.what() << "\n";
    return 2;
  }
}

}  // namespace mg::bench
