#pragma once

// A small classification problem and the MLP that learns it: the demo's job until the
// experiments land, and the end-to-end check of the tests (core + autograd + a hand-written
// SGD step, nothing else).
#include <cmath>
#include <cstdint>
#include <numbers>
#include <vector>

#include "autograd/ops.h"

namespace mg::toy {

// `classes` interleaved spiral arms of `per_class` noisy 2-d points each; labels int64.
struct Problem {
  Tensor points, labels;
};

inline Problem make_spirals(std::int64_t classes, std::int64_t per_class, Generator& generator) {
  std::vector<double> xy;
  std::vector<std::int64_t> labels;
  const Tensor noise = randn({classes * per_class}, kFloat64, &generator);
  const auto jitter = noise.to_vector<double>();
  for (std::int64_t c = 0; c < classes; ++c) {
    for (std::int64_t i = 0; i < per_class; ++i) {
      const double radius = static_cast<double>(i) / static_cast<double>(per_class);
      const double angle =
          4.0 * radius +
          2.0 * std::numbers::pi * static_cast<double>(c) / static_cast<double>(classes) +
          0.2 * jitter[c * per_class + i];
      xy.push_back(radius * std::cos(angle));
      xy.push_back(radius * std::sin(angle));
      labels.push_back(c);
    }
  }
  return {tensor(xy, {classes * per_class, 2}), from_vector(labels)};
}

// in → hidden → hidden → out with ReLU, initialised as torch.nn.Linear does
// (uniform ±1/√fan_in).
struct Mlp {
  std::vector<Tensor> weights, biases;

  Mlp(std::int64_t in, std::int64_t hidden, std::int64_t out, Generator& generator) {
    const std::int64_t sizes[] = {in, hidden, hidden, out};
    for (int layer = 0; layer < 3; ++layer) {
      const double bound = 1.0 / std::sqrt(static_cast<double>(sizes[layer]));
      Tensor weight = empty({sizes[layer + 1], sizes[layer]});
      Tensor bias = empty({sizes[layer + 1]});
      uniform_(weight, -bound, bound, &generator);
      uniform_(bias, -bound, bound, &generator);
      weights.push_back(weight.requires_grad_(true));
      biases.push_back(bias.requires_grad_(true));
    }
  }

  Tensor forward(const Tensor& x) const {
    Tensor h = x;
    for (std::size_t layer = 0; layer < weights.size(); ++layer) {
      h = linear(h, weights[layer], biases[layer]);
      if (layer + 1 < weights.size()) h = relu(h);
    }
    return h;
  }

  // Plain gradient descent; the optimizers with masks live in optim/.
  void sgd_step(double lr) {
    NoGradGuard no_grad;
    for (auto* group : {&weights, &biases}) {
      for (Tensor& p : *group) {
        sub_(p, p.grad(), lr);
        p.mutable_grad() = Tensor();
      }
    }
  }
};

inline double accuracy(const Tensor& logits, const Tensor& labels) {
  return mean(to(eq(argmax(logits, 1), labels), kFloat64)).item<double>();
}

}  // namespace mg::toy
