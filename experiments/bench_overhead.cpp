// The cost of each rebalancing method: the median training-step time of the AV classifier at
// CREMA-D shapes (batch 8 or --batch, audio 1×257×188, one 3×224×224 frame, concat head, SGD
// momentum 0.9 and weight decay 1e-4) under every method, through the same train_step, and its
// ratio to Naive's. Each method runs in a forked child (bench_harness.h) beside its own Naive
// model, the two stepping in turn, so that the ratio compares steps taken in the same seconds: on a
// shared machine the speed drifts by more than the few percent being measured. --device cuda runs
// it on a GPU, each step timed to the end of its GPU work.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "autograd/elementwise.h"
#include "core/random.h"
#include "experiments/bench_harness.h"
#include "layers/models/av_classifier.h"
#include "optim/agm.h"
#include "optim/amss.h"
#include "optim/ogm.h"
#include "optim/pmr.h"
#include "optim/rebalancer.h"
#include "optim/sgd.h"

namespace {

using mg::Tensor;
using MethodFactory = std::function<std::unique_ptr<mg::optim::Rebalancer>()>;

MethodFactory amss(bool plus, mg::optim::AmssMode mode) {
  return [=] {
    mg::optim::AmssOptions options;
    options.plus = plus;
    options.mode = mode;
    return std::make_unique<mg::optim::Amss>(options);
  };
}

const std::vector<std::pair<std::string, MethodFactory>>& methods() {
  using mg::optim::AmssMode;
  static const std::vector<std::pair<std::string, MethodFactory>> all = {
      {"naive", [] { return std::make_unique<mg::optim::Naive>(); }},
      {"amss (paper)", amss(false, AmssMode::Paper)},
      {"amss+ (paper)", amss(true, AmssMode::Paper)},
      {"amss (reference)", amss(false, AmssMode::Reference)},
      {"amss+ (reference)", amss(true, AmssMode::Reference)},
      {"ogm-ge",
       [] {
         return std::make_unique<mg::optim::Ogm>(
             mg::optim::OgmOptions{.alpha = 0.8, .gradient_enhancement = true});
       }},
      // The prototypes are computed once before timing (an epoch-start cost, not a step's).
      {"pmr",
       [] {
         return std::make_unique<mg::optim::Pmr>(mg::optim::PmrOptions{.prototype_batches = 1});
       }},
      {"agm", [] { return std::make_unique<mg::optim::Agm>(); }},
  };
  return all;
}

mg::bench::Step training(const MethodFactory& make_method, std::int64_t batch_size) {
  const mg::Device device = mg::bench::target_device();
  auto model = std::make_shared<mg::nn::AVClassifier>();
  model->to(device);
  model->train();
  auto optimizer = std::make_shared<mg::optim::SGD>(
      model->named_parameters(),
      mg::optim::SGDOptions{.lr = 0.01, .momentum = 0.9, .weight_decay = 1e-4});
  std::shared_ptr<mg::optim::Rebalancer> method = make_method();
  auto generator = std::make_shared<mg::Generator>(0);
  auto batch = std::make_shared<mg::optim::Batch>(
      mg::optim::Batch{{mg::to(mg::randn({batch_size, 1, 257, 188}), device),
                        mg::to(mg::randn({batch_size, 3, 1, 224, 224}), device)},
                       mg::to(mg::randint(0, 6, {batch_size}), device)});
  auto step = std::make_shared<std::int64_t>(0);
  method->on_epoch_start(*model, 0, [batch, served = false](mg::optim::Batch& out) mutable {
    if (served) return false;
    out = *batch;
    return served = true;
  });
  model->train();
  return
      [=] { mg::optim::train_step(*model, *optimizer, *method, *batch, 0, (*step)++, *generator); };
}

}  // namespace

// Medians of the method's steps and of Naive's, taken in turn (the child's peak RSS, which the
// table reports, holds both models).
std::vector<double> paired_medians(const MethodFactory& make, const mg::bench::Options& options) {
  mg::bench::Step method = training(make, options.batch);
  mg::bench::Step naive =
      training([] { return std::make_unique<mg::optim::Naive>(); }, options.batch);
  for (int i = 0; i < options.warmup; ++i) {
    method();
    naive();
  }
  mg::bench::wait_for(options);
  std::vector<double> method_ms, naive_ms;
  const auto time = [&](const mg::bench::Step& step) {
    const auto start = std::chrono::steady_clock::now();
    step();
    mg::bench::wait_for(options);
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
        .count();
  };
  for (int i = 0; i < options.repeats; ++i) {
    method_ms.push_back(time(method));
    naive_ms.push_back(time(naive));
  }
  return {mg::bench::median(method_ms), mg::bench::median(naive_ms)};
}

int main(int argc, char** argv) {
  mg::bench::Rows rows;
  for (const auto& [name, make] : methods())
    rows.emplace_back(name, [make = make] { return training(make, 8); });
  mg::bench::Options defaults;
  defaults.program = "bench_overhead";
  defaults.warmup = 2;
  defaults.repeats = 9;
  defaults.accepts_device = true;
  defaults.batch = 8;
  defaults.accepts_batch = true;
  try {
    const mg::bench::Options options = mg::bench::parse(
        argc, argv, defaults, rows, "the training step under each rebalancing method");
    std::printf(
        "threads %d; device %s; batch %d; medians of %d steps after %d warm-up steps, each method "
        "in turn with its own Naive model\n\n",
        options.threads, mg::str(options.device).c_str(), options.batch, options.repeats,
        options.warmup);
    std::printf("| %-20s | %9s | %9s | %9s | %10s |\n", "method", "step ms", "naive ms", "/ naive",
                "both RSS");
    std::printf("|%s|%s|%s|%s|%s|\n", std::string(22, '-').c_str(), std::string(11, '-').c_str(),
                std::string(11, '-').c_str(), std::string(11, '-').c_str(),
                std::string(12, '-').c_str());
    for (const auto& name : mg::bench::selected_rows(options, rows)) {
      const MethodFactory& make =
          std::find_if(methods().begin(), methods().end(), [&](const auto& m) {
            return m.first == name;
          })->second;
      const std::vector<double> values =
          mg::bench::run_in_child([&] { return paired_medians(make, options); }, options);
      std::printf("| %-20s | %9.1f | %9.1f | %9.3f | %7.0f MB |\n", name.c_str(), values.at(0),
                  values.at(1), values.at(0) / values.at(1), values.at(2));
      std::fflush(stdout);
    }
    return 0;
  } catch (const mg::Error& error) {
    std::fprintf(stderr, "%s\n", error.what());
    return 2;
  }
}
