// The main job until the experiments land: an MLP learns three interleaved spirals, and the
// loss printed every 25 steps falls.
#include <cstdio>
#include <cstdlib>
#include <string>

#include "experiments/toy_mlp.h"

int main(int argc, char** argv) {
  int steps = 300;
  double lr = 0.5;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--steps" && i + 1 < argc) {
      steps = std::atoi(argv[++i]);
    } else if (arg == "--lr" && i + 1 < argc) {
      lr = std::atof(argv[++i]);
    } else {
      std::printf(
          "usage: demo_mlp [--steps N] [--lr LR]\n"
          "Trains a 2-64-64-3 MLP on three spirals with gradient descent (default 300\n"
          "steps, learning rate 0.5) and prints the loss as it falls.\n");
      return arg == "--help" || arg == "-h" ? 0 : 2;
    }
  }
  if (steps <= 0 || !(lr > 0)) {
    std::fprintf(stderr, "demo_mlp: --steps and --lr expect positive numbers\n");
    return 2;
  }
  mg::Generator generator(0);
  const auto problem = mg::toy::make_spirals(3, 200, generator);
  mg::toy::Mlp model(2, 64, 3, generator);
  std::printf("maskgrad demo: 2-64-64-3 MLP on 3 spirals (600 points), gradient descent\n");
  for (int step = 0; step <= steps; ++step) {
    const mg::Tensor logits = model.forward(problem.points);
    const mg::Tensor loss = mg::cross_entropy(logits, problem.labels);
    if (step % 25 == 0 || step == steps) {
      std::printf("step %4d  loss %.4f  accuracy %5.1f%%\n", step, loss.item<double>(),
                  100 * mg::toy::accuracy(logits, problem.labels));
    }
    if (step == steps) break;
    mg::backward(loss);
    model.sgd_step(lr);
  }
  return 0;
}
