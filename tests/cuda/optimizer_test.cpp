#include <functional>
#include <memory>

#include "core/ops_copy.h"
#include "optim/adam.h"
#include "optim/sgd.h"
#include "test_util.h"
#include "tests/cuda/cuda_test_util.h"

namespace mg::optim {
namespace {

using testing::expect_matches_cpu;
using testing::gpu_rtol;
using testing::seeded_randn;
using testing::to_gpu;

using Factory = std::function<std::unique_ptr<Optimizer>(std::vector<ParamGroup>)>;

// Two parameters: a [4, 3, 2] weight with one unit per output channel, and a [5] vector with
// element units.
struct Model {
  std::vector<Tensor> params;
  std::unique_ptr<Optimizer> optimizer;
};

Model make_model(const Factory& factory, DType dtype, bool gpu, MaskMode mode) {
  Model model;
  for (const Shape& shape : {Shape{4, 3, 2}, Shape{5}}) {
    const Tensor p = seeded_randn(shape, dtype, 1 + shape.size());
    model.params.push_back(gpu ? to_gpu(p) : native::clone(p));
    model.params.back().requires_grad_(true);
  }
  ParamGroup group(model.params);
  group.units = {nn::MaskUnits::output_channel(), nn::MaskUnits::element()};
  model.optimizer = factory({group});
  model.optimizer->set_mask_mode(mode);
  return model;
}

// Factors for step `s` of a parameter with `units` units: 0, 0.5, 1 and 2 in turn, so that
// every unit is masked out in some steps and kept in others. Always on the CPU: set_mask moves
// them to the parameter's device.
Tensor factors_for(std::int64_t units, int s, DType dtype) {
  const double cycle[] = {0, 0.5, 1, 2};
  std::vector<double> values;
  for (std::int64_t u = 0; u < units; ++u) values.push_back(cycle[(u + s) % 4]);
  return tensor(values, {units}, dtype);
}

void step(Model& model, int s, bool masked, DType dtype) {
  for (std::size_t i = 0; i < model.params.size(); ++i) {
    Tensor& p = model.params[i];
    const Tensor g = seeded_randn(p.shape(), dtype, 100 + 10 * s + i);
    p.mutable_grad() = p.device().is_cuda() ? to_gpu(g) : g;
    if (masked) {
      const std::int64_t units = i == 0 ? p.size(0) : p.numel();
      model.optimizer->set_mask(p, factors_for(units, s, dtype));
    }
  }
  model.optimizer->step();
}

// Five steps on the GPU and on the CPU end with the same parameters, state and step counts;
// with a strict mask, the units masked out in the last step keep their GPU values bit for bit.
void expect_gpu_equals_cpu(const Factory& factory, const std::string& what) {
  for (DType dtype : {kFloat32, kFloat64}) {
    for (bool masked : {false, true}) {
      for (MaskMode mode : {MaskMode::Grad, MaskMode::Strict}) {
        if (!masked && mode == MaskMode::Strict) continue;
        const std::string name = str(what, " ", dtype, masked ? " masked " : " ", to_string(mode));
        Model cpu = make_model(factory, dtype, false, mode);
        Model gpu = make_model(factory, dtype, true, mode);
        Tensor before_last;
        for (int s = 0; s < 5; ++s) {
          if (s == 4) before_last = native::to(gpu.params[0], Device::cpu());
          step(cpu, s, masked, dtype);
          step(gpu, s, masked, dtype);
        }
        for (std::size_t i = 0; i < cpu.params.size(); ++i) {
          expect_matches_cpu(gpu.params[i], cpu.params[i], gpu_rtol(dtype), name + " param");
          const ParamState* cpu_state = cpu.optimizer->state(cpu.params[i]);
          const ParamState* gpu_state = gpu.optimizer->state(gpu.params[i]);
          ASSERT_NE(gpu_state, nullptr) << name;
          ASSERT_EQ(gpu_state->buffers.size(), cpu_state->buffers.size()) << name;
          for (std::size_t b = 0; b < cpu_state->buffers.size(); ++b) {
            expect_matches_cpu(gpu_state->buffers[b].second, cpu_state->buffers[b].second,
                               gpu_rtol(dtype), name + " " + cpu_state->buffers[b].first);
          }
          EXPECT_EQ(gpu_state->step, cpu_state->step) << name;
          ASSERT_EQ(gpu_state->unit_steps.defined(), cpu_state->unit_steps.defined()) << name;
          if (cpu_state->unit_steps.defined()) {
            EXPECT_TRUE(gpu_state->unit_steps.device().is_cuda()) << name;
            EXPECT_EQ(native::to(gpu_state->unit_steps, Device::cpu()).to_vector<std::int64_t>(),
                      cpu_state->unit_steps.to_vector<std::int64_t>())
                << name;
          }
        }
        if (masked && mode == MaskMode::Strict) {
          // Weight units with factor 0 in step 4: (u + 4) % 4 == 0, i.e. unit 0 (elements 0-5).
          const auto old_values = native::to(before_last, kFloat64).to_vector<double>();
          const auto new_values =
              native::to(native::to(gpu.params[0], Device::cpu()), kFloat64).to_vector<double>();
          for (int e = 0; e < 6; ++e)
            EXPECT_EQ(new_values[e], old_values[e]) << name << " element " << e;
        }
      }
    }
  }
}

TEST(CudaOptimizer, SgdMomentumNesterovWeightDecay) {
  MG_REQUIRE_GPU();
  expect_gpu_equals_cpu(
      [](std::vector<ParamGroup> groups) {
        return std::make_unique<SGD>(std::move(groups), SGDOptions{0.1, 0.9, 0, 0.01, true});
      },
      "SGD nesterov");
  expect_gpu_equals_cpu(
      [](std::vector<ParamGroup> groups) {
        return std::make_unique<SGD>(std::move(groups), SGDOptions{0.05, 0.8, 0.1, 0.02, false});
      },
      "SGD dampening");
  expect_gpu_equals_cpu(
      [](std::vector<ParamGroup> groups) {
        return std::make_unique<SGD>(std::move(groups), SGDOptions{0.1});
      },
      "SGD plain");
}

TEST(CudaOptimizer, AdamAdamWAmsgrad) {
  MG_REQUIRE_GPU();
  expect_gpu_equals_cpu(
      [](std::vector<ParamGroup> groups) {
        return std::make_unique<Adam>(std::move(groups),
                                      AdamOptions{0.01, {0.9, 0.999}, 1e-8, 0.01});
      },
      "Adam");
  expect_gpu_equals_cpu(
      [](std::vector<ParamGroup> groups) {
        return std::make_unique<AdamW>(std::move(groups),
                                       AdamWOptions{0.01, {0.8, 0.99}, 1e-8, 0.05, true});
      },
      "AdamW amsgrad");
  expect_gpu_equals_cpu(
      [](std::vector<ParamGroup> groups) {
        return std::make_unique<Adam>(std::move(groups),
                                      AdamOptions{0.01, {0.9, 0.999}, 1e-8, 0, true});
      },
      "Adam amsgrad");
}

// On the GPU too, a mask of ones in grad mode changes nothing, bit for bit.
TEST(CudaOptimizer, FactorOneMaskEqualsNoMaskBitForBit) {
  MG_REQUIRE_GPU();
  for (bool adam : {false, true}) {
    const Factory factory = [adam](std::vector<ParamGroup> groups) -> std::unique_ptr<Optimizer> {
      if (adam) return std::make_unique<Adam>(std::move(groups), AdamOptions{0.01});
      return std::make_unique<SGD>(std::move(groups), SGDOptions{0.1, 0.9, 0, 0.01, true});
    };
    Model plain = make_model(factory, kFloat32, true, MaskMode::Grad);
    Model ones = make_model(factory, kFloat32, true, MaskMode::Grad);
    for (int s = 0; s < 3; ++s) {
      step(plain, s, false, kFloat32);
      for (std::size_t i = 0; i < ones.params.size(); ++i) {
        const std::int64_t units = i == 0 ? ones.params[i].size(0) : ones.params[i].numel();
        ones.params[i].mutable_grad() =
            to_gpu(seeded_randn(ones.params[i].shape(), kFloat32, 100 + 10 * s + i));
        ones.optimizer->set_mask(ones.params[i], tensor(std::vector<double>(units, 1.0), {units}));
      }
      ones.optimizer->step();
    }
    for (std::size_t i = 0; i < plain.params.size(); ++i) {
      EXPECT_EQ(native::to(plain.params[i], Device::cpu()).to_vector<float>(),
                native::to(ones.params[i], Device::cpu()).to_vector<float>())
          << (adam ? "Adam" : "SGD") << " param " << i;
    }
  }
}

TEST(CudaOptimizer, GradientOnAnotherDeviceIsAnError) {
  MG_REQUIRE_GPU();
  Tensor p = to_gpu(seeded_randn({3}, kFloat32, 1));
  p.requires_grad_(true);
  SGD sgd(std::vector<Tensor>{p}, SGDOptions{0.1});
  p.mutable_grad() = seeded_randn({3}, kFloat32, 2);
  EXPECT_MG_ERROR(sgd.step(), "SGD::step", "cpu", "cuda:0");
}

}  // namespace
}  // namespace mg::optim
