#pragma once

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

#include "autograd/ops.h"
#include "core/json.h"
#include "core/safetensors.h"
#include "layers/module.h"

// PyTorch parity: loads a fixture written by tools/make_reference.py (layout documented in
// tools/reference/common.py) and checks a module against it.
namespace mg::testing {

// max |actual - expected| / max |expected|: one number per tensor, so a few large entries cannot
// hide errors in the small ones the way a norm ratio would let them, and entries near zero do not
// blow up the way an elementwise ratio would.
inline double relative_error(const Tensor& actual, const Tensor& expected) {
  NoGradGuard no_grad;
  const Tensor a = to(actual.detach(), kFloat64);
  const Tensor e = to(expected.detach(), kFloat64);
  const double scale = max(abs(e)).item<double>();
  const double diff = max(abs(sub(a, e))).item<double>();
  return scale > 0 ? diff / scale : diff;
}

// With MG_PARITY_REPORT set in the environment every comparison prints its error, so that the
// largest one can be measured: MG_PARITY_REPORT=1 ctest -L parity -V.
inline double reported_error(const Tensor& actual, const Tensor& expected,
                             const std::string& what) {
  const double error = relative_error(actual, expected);
  if (std::getenv("MG_PARITY_REPORT")) std::printf("parity %s %.3g\n", what.c_str(), error);
  return error;
}

#define EXPECT_CLOSE_TO_REFERENCE(actual, expected, rtol, what)                             \
  do {                                                                                      \
    const ::mg::Tensor& actual_ = (actual);                                                 \
    const ::mg::Tensor& expected_ = (expected);                                             \
    ASSERT_TRUE(actual_.defined()) << (what) << " is undefined";                            \
    ASSERT_EQ(actual_.shape(), expected_.shape()) << (what);                                \
    EXPECT_LE(::mg::testing::reported_error(actual_, expected_, (what)), (rtol)) << (what); \
  } while (false)

class Fixture {
 public:
  // Reads tests/fixtures/<name>.safetensors; a missing fixture is a failure, never a skip.
  explicit Fixture(const std::string& name)
      : name_(name),
        file_(load_safetensors(std::string(MG_FIXTURE_DIR) + "/" + name + ".safetensors")) {}

  const std::string& name() const { return name_; }
  const Tensor& get(const std::string& key) const {
    const Tensor* found = file_.find(key);
    if (!found) throw Error(str("fixture ", name_, ": no tensor \"", key, "\""));
    return *found;
  }
  bool has(const std::string& key) const { return file_.find(key) != nullptr; }
  Json config() const { return Json::parse(file_.metadata.at("config"), name_ + " config"); }
  bool train() const { return file_.metadata.at("train") == "1"; }

  // Entries whose key starts with `prefix`, the prefix removed.
  nn::TensorList with_prefix(const std::string& prefix) const {
    nn::TensorList out;
    for (const auto& [key, tensor] : file_.tensors)
      if (key.rfind(prefix, 0) == 0) out.emplace_back(key.substr(prefix.size()), tensor);
    return out;
  }
  std::vector<Tensor> numbered(const std::string& prefix) const {
    std::vector<Tensor> out;
    for (int i = 0; has(prefix + std::to_string(i)); ++i)
      out.push_back(get(prefix + std::to_string(i)));
    return out;
  }
  // Fresh copies of the inputs; floating-point ones require gradients.
  std::vector<Tensor> inputs() const {
    std::vector<Tensor> out;
    for (const Tensor& x : numbered("input.")) {
      Tensor copy = clone(x);
      if (is_floating(copy.dtype())) copy.requires_grad_(true);
      out.push_back(copy);
    }
    return out;
  }

 private:
  std::string name_;
  SafetensorsFile file_;
};

using ForwardFn = std::function<std::vector<Tensor>(const std::vector<Tensor>&)>;

// Loads the fixture's weights into `module` (strict), sets its mode, runs `forward`, then
// backward with the fixture's cotangents, and compares outputs, input gradients, parameter
// gradients and (in training mode) the buffers after the pass, each within `rtol`.
inline void expect_parity(nn::Module& module, const Fixture& fixture, const ForwardFn& forward,
                          double rtol = 1e-4) {
  module.load_state_dict(fixture.with_prefix("param."));
  module.train(fixture.train());
  module.zero_grad();
  const std::vector<Tensor> inputs = fixture.inputs();
  const std::vector<Tensor> outputs = forward(inputs);
  const std::vector<Tensor> expected = fixture.numbered("output.");
  ASSERT_EQ(outputs.size(), expected.size()) << fixture.name();
  Tensor loss;
  for (std::size_t i = 0; i < outputs.size(); ++i) {
    EXPECT_CLOSE_TO_REFERENCE(outputs[i], expected[i], rtol,
                              fixture.name() + " output." + std::to_string(i));
    const std::string key = "cotangent." + std::to_string(i);
    if (!fixture.has(key)) continue;
    Tensor term = sum(mul(outputs[i], fixture.get(key)));
    loss = loss.defined() ? add(loss, term) : term;
  }
  ASSERT_TRUE(loss.defined()) << fixture.name() << ": no floating-point output";
  backward(loss);
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    const std::string key = "grad.input." + std::to_string(i);
    if (fixture.has(key)) {
      EXPECT_CLOSE_TO_REFERENCE(inputs[i].grad(), fixture.get(key), rtol,
                                fixture.name() + " " + key);
    } else {
      EXPECT_FALSE(inputs[i].grad().defined())
          << fixture.name() << ": input " << i << " got a gradient PyTorch does not give";
    }
  }
  for (const auto& parameter : module.named_parameters()) {
    const std::string key = "grad.param." + parameter.name;
    if (fixture.has(key)) {
      EXPECT_CLOSE_TO_REFERENCE(parameter.tensor.grad(), fixture.get(key), rtol,
                                fixture.name() + " " + key);
    } else {
      EXPECT_FALSE(parameter.tensor.grad().defined())
          << fixture.name() << ": " << parameter.name << " got a gradient PyTorch does not give";
    }
  }
  // Training mode: the statistics PyTorch ended with; evaluation mode: the buffers untouched.
  const nn::TensorList buffers_after =
      fixture.train() ? fixture.with_prefix("buffer_after.") : nn::TensorList();
  for (const auto& [name, buffer] : fixture.train() ? buffers_after : module.named_buffers()) {
    EXPECT_CLOSE_TO_REFERENCE(fixture.train() ? module.buffer(name) : buffer,
                              fixture.get((fixture.train() ? "buffer_after." : "param.") + name),
                              rtol, fixture.name() + " buffer " + name);
  }
}

// The common case: a module with a one-tensor forward.
inline void expect_parity(nn::Module& module, const std::string& fixture_name, double rtol = 1e-4) {
  const Fixture fixture(fixture_name);
  expect_parity(
      module, fixture,
      [&](const std::vector<Tensor>& inputs) {
        return std::vector<Tensor>{module.forward(inputs.at(0))};
      },
      rtol);
}

}  // namespace mg::testing
