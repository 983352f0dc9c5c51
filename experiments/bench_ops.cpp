// Times maskgrad's core ops against PyTorch doing the same work with the same thread count, in
// the same run, and prints one table: op, ours ms, PyTorch ms, ratio, peak RSS of each.
// Every row runs in a forked child (here and in tools/bench_ops_torch.py), so its peak RSS is
// its own and rows do not warm each other's caches.
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <functional>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "autograd/ops.h"
#include "core/autograd_meta.h"

namespace {

using mg::Tensor;
using Step = std::function<void()>;

struct Options {
  int threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  int warmup = 3;
  int repeats = 11;
  std::string python = access("/usr/bin/python3", X_OK) == 0 ? "/usr/bin/python3" : "python3";
  std::string rows;  // comma-separated; empty means all
  bool torch = true;
};

void clear_grads(std::initializer_list<Tensor> tensors) {
  for (const Tensor& t : tensors) {
    if (t.autograd_meta()) t.autograd_meta()->grad = Tensor();
  }
}

Tensor parameter(const mg::Shape& shape) {
  Tensor t = mg::randn(shape);
  t.requires_grad_(true);
  return t;
}

Step gemm(std::int64_t m, std::int64_t n, std::int64_t k) {
  Tensor a = mg::randn({m, k}), b = mg::randn({k, n});
  return [a, b] { mg::matmul(a, b); };
}

Step conv(std::int64_t n, std::int64_t c_in, std::int64_t c_out, std::int64_t h, std::int64_t w,
          std::int64_t kernel, std::int64_t stride, std::int64_t padding) {
  Tensor x = parameter({n, c_in, h, w}), weight = parameter({c_out, c_in, kernel, kernel});
  const std::int64_t h_out = (h + 2 * padding - kernel) / stride + 1;
  const std::int64_t w_out = (w + 2 * padding - kernel) / stride + 1;
  Tensor grad = mg::randn({n, c_out, h_out, w_out});
  return [=] {
    clear_grads({x, weight});
    mg::backward(mg::conv2d(x, weight, {}, {stride}, {padding}), grad);
  };
}

Step softmax_cross_entropy(std::int64_t n, std::int64_t c) {
  Tensor logits = parameter({n, c});
  Tensor target = mg::randint(0, c, {n});
  return [=] {
    clear_grads({logits});
    mg::backward(mg::cross_entropy(logits, target));
  };
}

Step layer_norm(const mg::Shape& shape) {
  Tensor x = parameter(shape), weight = parameter({shape.back()}), bias = parameter({shape.back()});
  Tensor grad = mg::randn(shape);
  return [=] {
    clear_grads({x, weight, bias});
    mg::backward(mg::layer_norm(x, {shape.back()}, weight, bias), grad);
  };
}

// Keep in step with ROWS in tools/bench_ops_torch.py.
const std::vector<std::pair<std::string, std::function<Step()>>>& rows() {
  static const std::vector<std::pair<std::string, std::function<Step()>>> all = {
      {"gemm 1024x1024x1024", [] { return gemm(1024, 1024, 1024); }},
      {"gemm 4096x512x512", [] { return gemm(4096, 512, 512); }},
      {"conv2d fwd+bwd stage1 8x64x56x56", [] { return conv(8, 64, 64, 56, 56, 3, 1, 1); }},
      {"conv2d fwd+bwd stage2 8x128x28x28", [] { return conv(8, 128, 128, 28, 28, 3, 1, 1); }},
      {"conv2d fwd+bwd stage3 8x256x14x14", [] { return conv(8, 256, 256, 14, 14, 3, 1, 1); }},
      {"conv2d fwd+bwd stage4 8x512x7x7", [] { return conv(8, 512, 512, 7, 7, 3, 1, 1); }},
      {"conv2d fwd+bwd stem 8x1x257x188", [] { return conv(8, 1, 64, 257, 188, 7, 2, 3); }},
      {"softmax+cross_entropy fwd+bwd 64x1000", [] { return softmax_cross_entropy(64, 1000); }},
      {"layer_norm fwd+bwd 16x64x256",
       [] {
         return layer_norm({16, 64, 256});
       }},
  };
  return all;
}

constexpr auto kMinWarmup = std::chrono::milliseconds(50);
constexpr auto kMinTimed = std::chrono::milliseconds(250);
constexpr std::size_t kMaxRuns = 10000;

struct Timing {
  double median_ms = -1;
  double peak_rss_mb = -1;
};

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

Timing time_in_child(const std::function<Step()>& make, const Options& options) {
  int fds[2];
  if (pipe(fds) != 0) throw mg::Error("bench_ops: pipe() failed");
  const pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    mg::set_num_threads(options.threads);
    Step step = make();
    // Fast rows run more often than `repeats`, for at least kMinTimed, so that their median
    // is not one of a handful of noisy samples (the PyTorch side does the same).
    using Clock = std::chrono::steady_clock;
    const auto warmup_start = Clock::now();
    for (int i = 0; i < options.warmup || Clock::now() - warmup_start < kMinWarmup; ++i) step();
    std::vector<double> times;
    const auto timed_start = Clock::now();
    while (static_cast<int>(times.size()) < options.repeats ||
           (Clock::now() - timed_start < kMinTimed && times.size() < kMaxRuns)) {
      const auto start = Clock::now();
      step();
      times.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
    }
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    const Timing result{median(times), static_cast<double>(usage.ru_maxrss) / 1024};
    if (write(fds[1], &result, sizeof result) != sizeof result) _exit(1);
    _exit(0);
  }
  close(fds[1]);
  Timing result;
  const bool complete = read(fds[0], &result, sizeof result) == sizeof result;
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  if (!complete) throw mg::Error("bench_ops: a benchmark child process failed");
  return result;
}

// Runs tools/bench_ops_torch.py once for all rows and reads its JSON lines.
std::map<std::string, Timing> torch_timings(const std::vector<std::string>& names,
                                            const Options& options, std::string& version) {
  std::string list;
  for (const auto& name : names) list += (list.empty() ? "" : ",") + name;
  const std::string script = std::string(MG_SOURCE_DIR) + "/tools/bench_ops_torch.py";
  const std::string command = options.python + " " + script + " --threads " +
                              std::to_string(options.threads) + " --warmup " +
                              std::to_string(options.warmup) + " --repeats " +
                              std::to_string(options.repeats) + " --rows '" + list + "'";
  std::map<std::string, Timing> timings;
  FILE* out = popen(command.c_str(), "r");
  if (out == nullptr) return timings;
  char line[4096];
  while (fgets(line, sizeof line, out) != nullptr) {
    const std::string text = line;
    auto field = [&](const std::string& key) {
      const auto at = text.find("\"" + key + "\": ");
      if (at == std::string::npos) return std::string();
      const auto begin = at + key.size() + 4;
      const auto end = text.find_first_of(",}", begin);
      return text.substr(begin, end - begin);
    };
    std::string row = field("row");
    if (row.size() < 2) continue;
    row = row.substr(1, row.size() - 2);
    version = field("torch");
    if (version.size() >= 2) version = version.substr(1, version.size() - 2);
    timings[row] = {std::stod(field("median_ms")), std::stod(field("peak_rss_mb"))};
  }
  if (pclose(out) != 0) std::cerr << "bench_ops: the PyTorch side failed (" << command << ")\n";
  return timings;
}

void print_help() {
  std::cout << "usage: bench_ops [options]\n"
               "Times maskgrad ops against PyTorch (same work, same thread count) and prints\n"
               "op, ours ms, PyTorch ms, ratio (ours / PyTorch) and peak RSS of each side.\n"
               "  --threads N     threads for both sides (default: all cores)\n"
               "  --warmup N      untimed runs per row (default 3)\n"
               "  --repeats N     timed runs per row, at least (fast rows run for 0.25 s);\n"
               "                  the median is reported (default 11)\n"
               "  --rows A,B      only these rows (default: all)\n"
               "  --python PATH   the Python that has torch (default /usr/bin/python3)\n"
               "  --no-torch      time maskgrad only\n"
               "  --list          print the row names and exit\n";
}

Options parse(int argc, char** argv) {
  Options options;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&]() -> std::string {
      MG_CHECK(i + 1 < argc, "bench_ops: ", arg, " needs a value");
      return argv[++i];
    };
    auto positive = [&](const std::string& text) {
      int parsed = 0;
      try {
        parsed = std::stoi(text);
      } catch (const std::exception&) {
      }
      MG_CHECK(parsed > 0, "bench_ops: ", arg, " expects a positive integer, got '", text, "'");
      return parsed;
    };
    if (arg == "--threads")
      options.threads = positive(value());
    else if (arg == "--warmup")
      options.warmup = positive(value());
    else if (arg == "--repeats")
      options.repeats = positive(value());
    else if (arg == "--rows")
      options.rows = value();
    else if (arg == "--python")
      options.python = value();
    else if (arg == "--no-torch")
      options.torch = false;
    else if (arg == "--list") {
      for (const auto& [name, make] : rows()) std::cout << name << "\n";
      std::exit(0);
    } else if (arg == "--help" || arg == "-h") {
      print_help();
      std::exit(0);
    } else {
      throw mg::Error("bench_ops: unknown flag '" + arg + "' (see --help)");
    }
  }
  return options;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const Options options = parse(argc, argv);
    std::vector<std::string> names;
    for (const auto& [name, make] : rows()) {
      if (options.rows.empty() ||
          ("," + options.rows + ",").find("," + name + ",") != std::string::npos) {
        names.push_back(name);
      }
    }
    MG_CHECK(!names.empty(), "bench_ops: no row matches --rows '", options.rows, "' (see --list)");
    std::map<std::string, Timing> ours;
    for (const auto& [name, make] : rows()) {
      if (std::find(names.begin(), names.end(), name) != names.end())
        ours[name] = time_in_child(make, options);
    }
    std::string version = "not run";
    const auto theirs =
        options.torch ? torch_timings(names, options, version) : std::map<std::string, Timing>{};
    std::printf(
        "threads %d; median of at least %d runs and 0.25 s of runs, after at least %d warm-up "
        "runs and 0.05 s; PyTorch %s\n\n",
        options.threads, options.repeats, options.warmup, version.c_str());
    std::printf("| %-40s | %9s | %11s | %6s | %10s | %14s |\n", "op", "ours ms", "PyTorch ms",
                "ratio", "ours RSS", "PyTorch RSS");
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
  } catch (const mg::Error& error) {
    std::cerr << error.what() << "\n";
    return 2;
  }
}
