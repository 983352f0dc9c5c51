// The cost of each rebalancing method: the median training-step time of the AV classifier at
// CREMA-D shapes (batch 8, audio 1×257×188, one 3×224×224 frame, concat head, SGD momentum 0.9
// and weight decay 1e-4) under every method, through the same train_step, and its ratio to
// Naive's, in one table from one run. Each method runs in a forked child (bench_harness.h).
#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/random.h"
#include "experiments/bench_harness.h"
#include "layers/models/av_classifier.h"
#include "optim/rebalancer.h"
#include "optim/sgd.h"

namespace {

using mg::Tensor;
using MethodFactory = std::function<std::unique_ptr<mg::optim::Rebalancer>()>;

const std::vector<std::pair<std::string, MethodFactory>>& methods() {
  static const std::vector<std::pair<std::string, MethodFactory>> all = {
      {"naive", [] { return std::make_unique<mg::optim::Naive>(); }},
  };
  return all;
}

mg::bench::Step training(const MethodFactory& make_method) {
  auto model = std::make_shared<mg::nn::AVClassifier>();
  model->train();
  auto optimizer = std::make_shared<mg::optim::SGD>(
      model->named_parameters(),
      mg::optim::SGDOptions{.lr = 0.01, .momentum = 0.9, .weight_decay = 1e-4});
  std::shared_ptr<mg::optim::Rebalancer> method = make_method();
  auto generator = std::make_shared<mg::Generator>(0);
  auto batch = std::make_shared<mg::optim::Batch>(mg::optim::Batch{
      {mg::randn({8, 1, 257, 188}), mg::randn({8, 3, 1, 224, 224})}, mg::randint(0, 6, {8})});
  auto step = std::make_shared<std::int64_t>(0);
  return
      [=] { mg::optim::train_step(*model, *optimizer, *method, *batch, 0, (*step)++, *generator); };
}

}  // namespace

int main(int argc, char** argv) {
  mg::bench::Rows rows;
  for (const auto& [name, make] : methods())
    rows.emplace_back(name, [make = make] { return training(make); });
  mg::bench::Options defaults;
  defaults.program = "bench_overhead";
  defaults.warmup = 2;
  defaults.repeats = 7;
  try {
    const mg::bench::Options options = mg::bench::parse(
        argc, argv, defaults, rows, "the training step under each rebalancing method");
    std::map<std::string, mg::bench::Timing> times;
    for (const auto& [name, make] : rows) times[name] = mg::bench::time_in_child(make, options);
    std::printf("threads %d; median of at least %d steps after %d warm-up steps\n\n",
                options.threads, options.repeats, options.warmup);
    std::printf("| %-24s | %9s | %9s | %10s |\n", "method", "step ms", "/ naive", "peak RSS");
    std::printf("|%s|%s|%s|%s|\n", std::string(26, '-').c_str(), std::string(11, '-').c_str(),
                std::string(11, '-').c_str(), std::string(12, '-').c_str());
    const double naive = times.at("naive").median_ms;
    for (const auto& [name, make] : rows) {
      const mg::bench::Timing& t = times[name];
      std::printf("| %-24s | %9.1f | %9.3f | %7.0f MB |\n", name.c_str(), t.median_ms,
                  t.median_ms / naive, t.peak_rss_mb);
    }
    return 0;
  } catch (const mg::Error& error) {
    std::fprintf(stderr, "%s\n", error.what());
    return 2;
  }
}
