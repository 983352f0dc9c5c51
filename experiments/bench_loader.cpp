// Loader throughput (samples/s) of the CREMA-D train pipeline at the reference shapes, ours
// (CremadDataset, datasets/cremad.h, train split, through DataLoader) against a PyTorch
// DataLoader doing the same work (tools/bench_loader_torch.py), in the same run.
//
// Per sample (specs/datasets.md §5.5): WAV 16 kHz → resample to 22,050 Hz → tile 3x to 66,150
// samples, clip → STFT (n_fft 512, hop 353, periodic Hann, centred zero padding) →
// ln(|X| + 1e-7) → float32 [1, 257, 188]; one JPEG frame → RandomResizedCrop(224),
// RandomHorizontalFlip, ToTensor, Normalize(ImageNet) → [3, 1, 224, 224]. Batches of --batch,
// shuffled, --workers worker threads, collated. Each worker thread runs its samples on one
// thread (mg::set_num_threads(1) in the worker, as PyTorch's workers run torch with one thread).
//
// One untimed warm-up epoch (page cache, filter tables), then --epochs timed ones; each side
// reports samples per median epoch time, and its peak RSS. The data (a CREMA-D-like tree at
// realistic sizes) is written by `tools/bench_loader_torch.py --make-data`, cached.
#include <sys/resource.h>

#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/json.h"
#include "core/threading.h"
#include "datasets/cremad.h"
#include "datasets/data_loader.h"
#include "datasets/dataset.h"
#include "experiments/bench_harness.h"

namespace {

struct Flags {
  std::string data = "build/bench_data/cremad";
  int samples = 512;
  int workers = 2;
  int batch = 64;
  int epochs = 5;
  bool torch = true;
  std::string python = access("/usr/bin/python3", X_OK) == 0 ? "/usr/bin/python3" : "python3";
};

void print_help(const Flags& defaults) {
  std::cout
      << "usage: bench_loader [options]\n"
      << "Times the CREMA-D train pipeline (WAV -> resample -> log STFT [1, 257, 188]; JPEG ->\n"
      << "RandomResizedCrop, flip, ToTensor, Normalize [3, 1, 224, 224]) through our DataLoader\n"
      << "and through a PyTorch DataLoader in the same run, and prints samples/s of each (median\n"
      << "epoch after a warm-up epoch), the ratio ours / PyTorch (higher is better), CPU time\n"
      << "per sample (all threads and worker processes) and peak RSS.\n"
      << "  --data DIR      the CREMA-D-like tree (default " << defaults.data << ";\n"
      << "                  written by tools/bench_loader_torch.py --make-data when missing)\n"
      << "  --samples N     samples in the tree (default " << defaults.samples << ")\n"
      << "  --workers N     loader worker threads / processes (default " << defaults.workers
      << ")\n"
      << "  --batch N       batch size (default " << defaults.batch << ")\n"
      << "  --epochs N      timed epochs after one warm-up epoch (default " << defaults.epochs
      << ")\n"
      << "  --python PATH   the Python with torch, torchvision, scipy, PIL (default "
      << defaults.python << ")\n"
      << "  --no-torch      time maskgrad only\n";
}

Flags parse(int argc, char** argv) {
  Flags flags;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&]() -> std::string {
      MG_CHECK(i + 1 < argc, "bench_loader: ", arg, " needs a value");
      return argv[++i];
    };
    auto count = [&](int minimum) {
      const std::string text = value();
      int parsed = minimum - 1;
      try {
        std::size_t used = 0;
        parsed = std::stoi(text, &used);
        if (used != text.size()) parsed = minimum - 1;
      } catch (const std::exception&) {
      }
      MG_CHECK(parsed >= minimum, "bench_loader: ", arg, " expects an integer >= ", minimum,
               ", got '", text, "'");
      return parsed;
    };
    if (arg == "--data") {
      flags.data = value();
    } else if (arg == "--samples") {
      flags.samples = count(1);
    } else if (arg == "--workers") {
      flags.workers = count(0);
    } else if (arg == "--batch") {
      flags.batch = count(1);
    } else if (arg == "--epochs") {
      flags.epochs = count(1);
    } else if (arg == "--python") {
      flags.python = value();
    } else if (arg == "--no-torch") {
      flags.torch = false;
    } else if (arg == "--help" || arg == "-h") {
      print_help(flags);
      std::exit(0);
    } else {
      throw mg::Error(mg::str("bench_loader: unknown flag '", arg, "' (see --help)"));
    }
  }
  return flags;
}

std::string quoted(const std::string& text) {
  std::string out = "'";
  for (char c : text) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::string script() {
  return std::string(MG_SOURCE_DIR) + "/tools/bench_loader_torch.py";
}

// Writes the data tree unless it already holds this configuration (the script checks).
void make_data(const Flags& flags) {
  const std::string command = flags.python + " " + quoted(script()) + " --make-data " +
                              quoted(flags.data) + " --samples " + std::to_string(flags.samples);
  MG_CHECK(std::system(command.c_str()) == 0, "bench_loader: writing the data failed (", command,
           "); it needs python3 with numpy, scipy and PIL");
}

// Gives each worker thread one OpenMP/BLAS thread the first time it reads a sample (what
// PyTorch's DataLoader does to torch in its worker processes): two workers on two cores, not two
// workers each starting a team of threads for their copies.
class OneThreadPerWorker final : public mg::data::Dataset {
 public:
  explicit OneThreadPerWorker(std::shared_ptr<const mg::data::Dataset> dataset)
      : dataset_(std::move(dataset)) {}
  std::int64_t size() const override { return dataset_->size(); }
  mg::data::Sample get(std::int64_t index) const override { return get_for_epoch(index, 0); }
  mg::data::Sample get_for_epoch(std::int64_t index, std::int64_t epoch) const override {
    thread_local bool single = false;
    if (!single) mg::set_num_threads(1), single = true;
    return dataset_->get_for_epoch(index, epoch);
  }
  std::string source(std::int64_t index) const override { return dataset_->source(index); }

 private:
  std::shared_ptr<const mg::data::Dataset> dataset_;
};

// User + system CPU seconds of this process so far, all threads.
double cpu_seconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  const auto seconds = [](const timeval& t) {
    return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6;
  };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

struct Result {
  double samples_per_s = -1;
  double median_ms = -1;
  double cpu_ms_per_sample = -1;
  double peak_rss_mb = -1;
  double worker_peak_rss_mb = -1;
};

Result time_ours(const Flags& flags) {
  mg::bench::Options options;
  options.program = "bench_loader";
  options.threads = 1;  // the caller's thread only waits for batches
  const std::vector<double> values = mg::bench::run_in_child(
      [&] {
        // The train split: train transforms, audio from the WAVs on the fly (the defaults).
        mg::data::CremadOptions cremad_options;
        cremad_options.root = flags.data;
        cremad_options.split = "train";
        auto cremad = std::make_shared<mg::data::CremadDataset>(cremad_options);
        MG_CHECK(cremad->size() == flags.samples, "bench_loader: ", flags.data, " holds ",
                 cremad->size(), " usable samples, expected ", flags.samples);
        auto dataset = std::make_shared<OneThreadPerWorker>(cremad);
        const mg::data::Sample first = dataset->get(0);
        MG_CHECK(first.inputs.at("audio").shape() == mg::Shape({1, 257, 188}) &&
                     first.inputs.at("visual").shape() == mg::Shape({3, 1, 224, 224}),
                 "bench_loader: unexpected sample shapes ", describe(first.inputs.at("audio")),
                 ", ", describe(first.inputs.at("visual")));
        mg::data::DataLoader loader(
            dataset, {.batch_size = flags.batch, .shuffle = true, .num_workers = flags.workers});
        std::vector<double> times;
        using Clock = std::chrono::steady_clock;
        double cpu_start = 0;
        for (int epoch = 0; epoch <= flags.epochs; ++epoch) {
          if (epoch == 1) cpu_start = cpu_seconds();
          loader.set_epoch(epoch);  // new order, crops and flips
          const auto start = Clock::now();
          std::int64_t count = 0;
          for (const mg::data::Batch& batch : loader) count += batch.labels.size(0);
          const double ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
          MG_CHECK(count == dataset->size(), "bench_loader: an epoch yielded ", count,
                   " samples, not ", dataset->size());
          if (epoch > 0) times.push_back(ms);
        }
        const double samples = static_cast<double>(dataset->size());
        const double cpu_ms = (cpu_seconds() - cpu_start) * 1e3 / (flags.epochs * samples);
        return std::vector<double>{mg::bench::median(times), samples, cpu_ms};
      },
      options);
  return {.samples_per_s = values.at(1) / (values.at(0) / 1e3),
          .median_ms = values.at(0),
          .cpu_ms_per_sample = values.at(2),
          .peak_rss_mb = values.at(3)};
}

Result time_torch(const Flags& flags, std::string& version) {
  const std::string command = flags.python + " " + quoted(script()) + " --time " +
                              quoted(flags.data) + " --workers " + std::to_string(flags.workers) +
                              " --batch " + std::to_string(flags.batch) + " --epochs " +
                              std::to_string(flags.epochs);
  Result result;
  FILE* out = popen(command.c_str(), "r");
  if (out == nullptr) return result;
  char line[8192];
  while (fgets(line, sizeof line, out) != nullptr) {
    try {
      const mg::Json row = mg::Json::parse(line, script());
      version = row.at("torch").as_string();
      result = {.samples_per_s = row.at("samples_per_s").as_double(),
                .median_ms = row.at("median_ms").as_double(),
                .cpu_ms_per_sample = row.at("cpu_ms_per_sample").as_double(),
                .peak_rss_mb = row.at("peak_rss_mb").as_double(),
                .worker_peak_rss_mb = row.at("worker_peak_rss_mb").as_double()};
    } catch (const mg::Error& error) {
      std::cerr << "bench_loader: ignoring a line from the PyTorch side: " << error.what() << "\n";
    }
  }
  if (pclose(out) != 0) std::cerr << "bench_loader: the PyTorch side failed (" << command << ")\n";
  return result;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const Flags flags = parse(argc, argv);
    make_data(flags);
    const Result ours = time_ours(flags);
    std::string version = "not run";
    const Result theirs = flags.torch ? time_torch(flags, version) : Result{};
    const std::string row = mg::str("cremad_train_b", flags.batch, "_w", flags.workers);
    std::printf(
        "%d samples, batch %d, %d workers, shuffled; median of %d epochs after a warm-up epoch; "
        "ratio = ours / PyTorch samples/s (higher is better); CPU = user + system CPU time per "
        "sample over the timed epochs, all threads and worker processes; PyTorch %s, resampling "
        "with scipy.signal.resample_poly (librosa/soxr are not Debian packages); PyTorch RSS: "
        "main process + the largest worker process\n\n",
        flags.samples, flags.batch, flags.workers, flags.epochs, version.c_str());
    std::printf("| %-22s | %10s | %13s | %6s | %11s | %14s | %9s | %19s |\n", "row", "ours smp/s",
                "PyTorch smp/s", "ratio", "ours CPU ms", "PyTorch CPU ms", "ours RSS",
                "PyTorch RSS");
    std::printf(
        "|%s|%s|%s|%s|%s|%s|%s|%s|\n", std::string(24, '-').c_str(), std::string(12, '-').c_str(),
        std::string(15, '-').c_str(), std::string(8, '-').c_str(), std::string(13, '-').c_str(),
        std::string(16, '-').c_str(), std::string(11, '-').c_str(), std::string(21, '-').c_str());
    if (theirs.samples_per_s > 0) {
      std::printf(
          "| %-22s | %10.1f | %13.1f | %6.2f | %11.2f | %14.2f | %6.0f MB | %6.0f + %6.0f MB |\n",
          row.c_str(), ours.samples_per_s, theirs.samples_per_s,
          ours.samples_per_s / theirs.samples_per_s, ours.cpu_ms_per_sample,
          theirs.cpu_ms_per_sample, ours.peak_rss_mb, theirs.peak_rss_mb,
          theirs.worker_peak_rss_mb);
    } else {
      std::printf("| %-22s | %10.1f | %13s | %6s | %11.2f | %14s | %6.0f MB | %19s |\n",
                  row.c_str(), ours.samples_per_s, "-", "-", ours.cpu_ms_per_sample, "-",
                  ours.peak_rss_mb, "-");
    }
    return 0;
  } catch (const mg::Error& error) {
    std::cerr << error.what() << "\n";
    return 2;
  }
}
