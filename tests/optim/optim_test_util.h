#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "autograd/ops.h"
#include "layers/mask_units.h"
#include "optim/adam.h"
#include "optim/sgd.h"
#include "parity_util.h"

// The tiny MLP of tools/reference/optim.py (3 -> 4 -> 2, tanh, mean squared error): W [4, 1, 3]
// with output-channel units, b1 [4], w2 [2, 4] with element units, b2 [2].
namespace mg::testing {

inline const std::vector<std::string>& mlp_names() {
  static const std::vector<std::string> names = {"W", "b1", "w2", "b2"};
  return names;
}

struct TinyMlp {
  std::vector<Tensor> params;
  Tensor x, y;

  explicit TinyMlp(const Fixture& fixture) : x(fixture.get("x")), y(fixture.get("y")) {
    for (const std::string& name : mlp_names()) {
      Tensor p = clone(fixture.get("init." + name));
      p.requires_grad_(true);
      params.push_back(p);
    }
  }

  std::vector<nn::NamedParameter> named() const {
    std::vector<nn::NamedParameter> out;
    for (std::size_t i = 0; i < params.size(); ++i)
      out.push_back({mlp_names()[i], params[i],
                     i == 0 ? nn::MaskUnits::output_channel() : nn::MaskUnits::element()});
    return out;
  }

  // Zeroes the gradients, runs forward and backward, returns the loss.
  double forward_backward() {
    for (Tensor& p : params) p.mutable_grad() = Tensor();
    const Tensor hidden = tanh(add(matmul(x, t(reshape(params[0], {4, 3}))), params[1]));
    const Tensor diff = sub(add(matmul(hidden, t(params[2])), params[3]), y);
    const Tensor loss = mean(mul(diff, diff));
    backward(loss);
    return loss.item<double>();
  }
};

// The masks of the fixture's masked cases on step t (0-based): none on odd steps; on even steps
// W's output channel t % 4 and w2's elements e with (e + t) % 3 == 0 get factor 0.
inline void set_fixture_masks(optim::Optimizer& optimizer, const TinyMlp& mlp, int t,
                              double factor = 0) {
  if (t % 2) return;
  std::vector<double> channels(4, 1.0);
  channels[t % 4] = factor;
  std::vector<double> elements(8, 1.0);
  for (int e = 0; e < 8; ++e)
    if ((e + t) % 3 == 0) elements[e] = factor;
  optimizer.set_mask(mlp.params[0], tensor(channels, {4}, kFloat64));
  optimizer.set_mask(mlp.params[2], tensor(elements, {8}, kFloat64));
}

}  // namespace mg::testing
