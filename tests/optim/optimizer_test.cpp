#include <cstring>
#include <filesystem>

#include "core/generator.h"
#include "core/random.h"
#include "core/safetensors.h"
#include "optim_test_util.h"
#include "test_util.h"

namespace mg::testing {
namespace {

using optim::Adam;
using optim::AdamOptions;
using optim::MaskMode;
using optim::Optimizer;
using optim::ParamGroup;
using optim::SGD;
using optim::SGDOptions;

bool same_bytes(const Tensor& a, const Tensor& b) {
  return a.shape() == b.shape() && a.dtype() == b.dtype() &&
         std::memcmp(contiguous(a).raw_data(), contiguous(b).raw_data(),
                     a.numel() * element_size(a.dtype())) == 0;
}

// A conv-like weight [O=4, I=2, k=3] (output-channel units) and a vector [5] (element units)
// with gradients set by hand: with no loss coupling the entries, a unit's trajectory depends on
// its own gradients and mask only.
struct Manual {
  std::vector<Tensor> params;
  Manual() { params = {leaf({4, 2, 3}, 1), leaf({5}, 2)}; }
  std::vector<nn::NamedParameter> named() const {
    return {{"conv", params[0], nn::MaskUnits::output_channel()},
            {"vec", params[1], nn::MaskUnits::element()}};
  }
  void set_grads(int step, double scale_conv = 1) {
    params[0].mutable_grad() = mul(leaf({4, 2, 3}, 100 + step).detach(), scale_conv);
    params[1].mutable_grad() = leaf({5}, 200 + step).detach();
  }
};

std::unique_ptr<Optimizer> make(const std::string& kind, const std::vector<nn::NamedParameter>& p) {
  if (kind == "sgd")
    return std::make_unique<SGD>(p, SGDOptions{.lr = 0.1, .momentum = 0.9, .weight_decay = 0.05});
  return std::make_unique<Adam>(p, AdamOptions{.lr = 0.01, .weight_decay = 0.05, .amsgrad = true});
}

Tensor state_of(const Optimizer& o, const Tensor& p, const std::string& name) {
  const optim::ParamState* s = o.state(p);
  if (!s) return Tensor();
  for (const auto& [key, tensor] : s->buffers)
    if (key == name) return tensor;
  return Tensor();
}

class StrictMask : public ::testing::TestWithParam<std::string> {};

// Strict: channel 1 of the conv weight and elements 0 and 3 of the vector are masked on steps 3
// and 4. Masked units keep value and state bit for bit; the others move exactly as without a
// mask, and after the mask the masked units move again.
TEST_P(StrictMask, MaskedUnitsKeepValueAndStateUnmaskedMoveAsWithoutMask) {
  Manual masked, plain;
  auto opt = make(GetParam(), masked.named());
  auto reference = make(GetParam(), plain.named());
  opt->set_mask_mode(MaskMode::Strict);
  const std::vector<std::string> buffers =
      GetParam() == "sgd" ? std::vector<std::string>{"momentum_buffer"}
                          : std::vector<std::string>{"exp_avg", "exp_avg_sq", "max_exp_avg_sq"};
  for (int step = 0; step < 6; ++step) {
    masked.set_grads(step);
    plain.set_grads(step);
    const bool masking = step == 3 || step == 4;
    std::vector<Tensor> before;
    for (const Tensor& p : masked.params) {
      before.push_back(clone(p.detach()));
      for (const std::string& b : buffers) {
        const Tensor state = state_of(*opt, p, b);
        before.push_back(state.defined() ? clone(state) : Tensor());
      }
    }
    if (masking) {
      opt->set_mask(masked.params[0], tensor({1, 0, 1, 1}, {4}, kFloat64));
      opt->set_mask(masked.params[1], tensor({0, 1, 1, 0, 1}, {5}, kFloat64));
    }
    opt->step();
    reference->step();
    std::size_t k = 0;
    for (std::size_t i = 0; i < 2; ++i) {
      const Tensor& p = masked.params[i];
      std::vector<Tensor> now = {p.detach()};
      for (const std::string& b : buffers) now.push_back(state_of(*opt, p, b));
      for (const Tensor& value : now) {
        const Tensor& old = before[k++];
        if (!old.defined()) continue;
        for (std::int64_t u = 0; u < (i == 0 ? 4 : 5); ++u) {
          const bool is_masked = masking && (i == 0 ? u == 1 : (u == 0 || u == 3));
          if (is_masked) EXPECT_TRUE(same_bytes(select(value, 0, u), select(old, 0, u)));
        }
      }
    }
    if (step < 3) continue;
    // Unmasked units: bit for bit the unmasked run (before any masked step diverges them).
    for (std::int64_t u : {0, 2, 3})
      EXPECT_TRUE(same_bytes(select(masked.params[0].detach(), 0, u),
                             select(plain.params[0].detach(), 0, u)))
          << "step " << step << " channel " << u;
    for (std::int64_t u : {1, 2, 4})
      EXPECT_TRUE(same_bytes(select(masked.params[1].detach(), 0, u),
                             select(plain.params[1].detach(), 0, u)))
          << "step " << step << " element " << u;
  }
  // The masked units moved again after the mask.
  EXPECT_FALSE(
      same_bytes(select(masked.params[0].detach(), 0, 1), select(plain.params[0].detach(), 0, 1)));
}

INSTANTIATE_TEST_SUITE_P(Optimizers, StrictMask, ::testing::Values("sgd", "adam"));

TEST(StrictMask, AdamKeepsPerUnitStepCountsInItsStateDict) {
  Manual m;
  Adam opt(m.named(), AdamOptions{.lr = 0.01});
  opt.set_mask_mode(MaskMode::Strict);
  m.set_grads(0);
  opt.step();
  m.set_grads(1);
  opt.set_mask(m.params[0], tensor({1, 0, 1, 0}, {4}, kFloat64));
  opt.step();
  expect_values(opt.state(m.params[0])->unit_steps, {2, 1, 2, 1}, {4});
  EXPECT_EQ(opt.state(m.params[1])->step, 2);
  bool found = false;
  for (const auto& [key, value] : opt.state_dict())
    if (key == "state.0.0.step") {
      found = true;
      EXPECT_EQ(value.shape(), Shape{4});
    }
  EXPECT_TRUE(found);
}

class FactorScales : public ::testing::TestWithParam<std::tuple<std::string, MaskMode>> {};

// A factor f multiplies the gradient: the same trajectory as an unmasked run whose gradient was
// multiplied by the expanded factors beforehand, bit for bit (the same rounded products).
TEST_P(FactorScales, LikeAPreScaledGradient) {
  const auto [kind, mode] = GetParam();
  Manual masked, scaled;
  auto opt = make(kind, masked.named());
  auto reference = make(kind, scaled.named());
  opt->set_mask_mode(mode);
  const Tensor channel_factors = tensor({0.5, 2, 1, 0.25}, {4}, kFloat64);
  const Tensor element_factors = tensor({3, 1, 0.5, 1, 2}, {5}, kFloat64);
  for (int step = 0; step < 4; ++step) {
    masked.set_grads(step);
    scaled.set_grads(step);
    opt->set_mask(masked.params[0], channel_factors);
    opt->set_mask(masked.params[1], element_factors);
    scaled.params[0].mutable_grad() =
        mul(scaled.params[0].grad(),
            nn::MaskUnits::output_channel().expand(channel_factors, {4, 2, 3}));
    scaled.params[1].mutable_grad() = mul(scaled.params[1].grad(), element_factors);
    opt->step();
    reference->step();
    for (int i = 0; i < 2; ++i)
      EXPECT_TRUE(same_bytes(masked.params[i].detach(), scaled.params[i].detach()))
          << "step " << step << " parameter " << i;
  }
}

INSTANTIATE_TEST_SUITE_P(Optimizers, FactorScales,
                         ::testing::Combine(::testing::Values("sgd", "adam"),
                                            ::testing::Values(MaskMode::Grad, MaskMode::Strict)));

TEST(Mask, IsClearedAfterTheStep) {
  Manual m;
  SGD opt(m.named(), SGDOptions{.lr = 0.1});
  opt.set_mask_mode(MaskMode::Strict);
  m.set_grads(0);
  opt.set_mask(m.params[1], zeros({5}, kFloat64));
  const Tensor before = clone(m.params[1].detach());
  opt.step();
  EXPECT_TRUE(same_bytes(m.params[1].detach(), before));
  opt.step();
  EXPECT_FALSE(same_bytes(m.params[1].detach(), before));
}

// The OpenMP path (more than cpu::kParallelGrain elements) in float32 with output-channel units:
// p ← p − lr·(g·f + wd·p) per element.
TEST(Mask, LargeFloat32TensorInParallel) {
  Generator generator(7);
  Tensor p = randn({64, 40, 30}, kFloat32, &generator);
  p.requires_grad_(true);
  const Tensor g = randn({64, 40, 30}, kFloat32, &generator);
  std::vector<double> f(64);
  for (int u = 0; u < 64; ++u) f[u] = u % 3 == 0 ? 0.0 : 0.5 * u;
  const Tensor factors = tensor(f, {64}, kFloat32);
  const Tensor expected =
      sub(p.detach(), mul(add(mul(g, nn::MaskUnits::output_channel().expand(factors, p.shape())),
                              mul(p.detach(), 0.01)),
                          0.1));
  SGD opt({{"w", p, nn::MaskUnits::output_channel()}}, SGDOptions{.lr = 0.1, .weight_decay = 0.01});
  p.mutable_grad() = g;
  opt.set_mask(p, factors);
  opt.step();
  EXPECT_LE(relative_error(p, expected), 1e-6);
}

class RoundTrip : public ::testing::TestWithParam<std::string> {};

// Save after 5 steps (through a safetensors file), load into a fresh optimizer over copies of
// the parameters, continue 5 steps: bit for bit the uninterrupted run.
TEST_P(RoundTrip, ContinuesExactlyAsUninterrupted) {
  Manual whole, resumed;
  auto uninterrupted = make(GetParam(), whole.named());
  auto first = make(GetParam(), resumed.named());
  for (int step = 0; step < 5; ++step) {
    whole.set_grads(step);
    resumed.set_grads(step);
    uninterrupted->step();
    first->step();
  }
  const std::string path =
      (std::filesystem::temp_directory_path() / ("mg_optim_" + GetParam() + ".safetensors"))
          .string();
  save_safetensors(path, first->state_dict());
  Manual copy;
  for (int i = 0; i < 2; ++i) copy.params[i].set_data(clone(resumed.params[i].detach()));
  auto second = make(GetParam(), copy.named());
  second->set_lr(0, 123);  // overwritten by the load
  second->load_state_dict(load_safetensors(path).tensors);
  std::filesystem::remove(path);
  EXPECT_EQ(second->lr(0), first->lr(0));
  for (int step = 5; step < 10; ++step) {
    whole.set_grads(step);
    copy.set_grads(step);
    uninterrupted->step();
    second->step();
  }
  for (int i = 0; i < 2; ++i)
    EXPECT_TRUE(same_bytes(whole.params[i].detach(), copy.params[i].detach())) << i;
}

INSTANTIATE_TEST_SUITE_P(Optimizers, RoundTrip, ::testing::Values("sgd", "adam"));

TEST(Optimizer, SkipsParametersWithoutGradientAndZeroGradSetsNone) {
  Manual m;
  Adam opt(m.params, AdamOptions{.lr = 0.1});
  const Tensor before = clone(m.params[1].detach());
  m.params[0].mutable_grad() = ones({4, 2, 3}, kFloat64);
  opt.step();
  EXPECT_TRUE(same_bytes(m.params[1].detach(), before));
  EXPECT_EQ(opt.state(m.params[1]), nullptr);
  EXPECT_NE(opt.state(m.params[0]), nullptr);
  opt.zero_grad();
  EXPECT_FALSE(m.params[0].grad().defined());
}

TEST(Optimizer, LearningRatesAndGroupOptions) {
  Manual m;
  SGD opt(
      std::vector<ParamGroup>{ParamGroup({m.params[0]}, {{"lr", 0.5}}), ParamGroup({m.params[1]})},
      SGDOptions{.lr = 0.1, .momentum = 0.9});
  EXPECT_EQ(opt.num_param_groups(), 2u);
  EXPECT_EQ(opt.lr(0), 0.5);
  EXPECT_EQ(opt.options(1).lr, 0.1);
  EXPECT_EQ(opt.options(0).momentum, 0.9);
  opt.set_lr(0, 0.25);
  EXPECT_EQ(opt.lr(0), 0.25);
  EXPECT_EQ(opt.initial_lr(0), 0.5);
  Tensor extra = leaf({2}, 9);
  opt.add_param_group(ParamGroup({extra}, {{"momentum", 0.0}}));
  EXPECT_EQ(opt.options(2).momentum, 0.0);
  EXPECT_EQ(opt.options(2).lr, 0.1);
}

TEST(Optimizer, Errors) {
  Manual m;
  SGD opt(m.named(), SGDOptions{.lr = 0.1});
  EXPECT_MG_ERROR(opt.set_mask(m.params[0], ones({3}, kFloat64)), "SGD::set_mask", "output_channel",
                  "4 factors", "float64[3]");
  EXPECT_MG_ERROR(opt.set_mask(m.params[1], ones({5}, kInt64)), "SGD::set_mask", "floating-point");
  EXPECT_MG_ERROR(opt.set_mask(leaf({5}, 3), ones({5}, kFloat64)), "SGD::set_mask",
                  "not in this optimizer");
  EXPECT_MG_ERROR(SGD({zeros({3}, kInt64)}), "SGD::add_param_group", "floating-point", "int64");
  EXPECT_MG_ERROR(opt.add_param_group(ParamGroup({m.params[0]})), "SGD::add_param_group",
                  "more than one parameter group");
  EXPECT_MG_ERROR(opt.add_param_group(ParamGroup({leaf({2}, 4)}, {{"betas", 0.1}})), "SGD",
                  "unknown option \"betas\"");
  EXPECT_EQ(opt.num_param_groups(), 1u);
  EXPECT_MG_ERROR(SGD(m.params, SGDOptions{.lr = 0.1, .nesterov = true}), "SGD", "Nesterov");
  EXPECT_MG_ERROR(Adam(m.params, AdamOptions{.betas = {1.0, 0.9}}), "Adam", "beta1");

  // load_state_dict: another group count, another group size, a state of the wrong shape.
  Manual other;
  SGD two(std::vector<ParamGroup>{ParamGroup({other.params[0]}), ParamGroup({other.params[1]})},
          SGDOptions{.lr = 0.1, .momentum = 0.9});
  EXPECT_MG_ERROR(opt.load_state_dict(two.state_dict()), "SGD::load_state_dict",
                  "2 parameter groups");
  SGD one({other.params[0]}, SGDOptions{.lr = 0.1, .momentum = 0.9});
  EXPECT_MG_ERROR(opt.load_state_dict(one.state_dict()), "SGD::load_state_dict", "2 parameters");
  nn::TensorList bad = opt.state_dict();
  bad.emplace_back("state.0.1.momentum_buffer", zeros({4}, kFloat64));
  EXPECT_MG_ERROR(opt.load_state_dict(bad), "state.0.1.momentum_buffer", "[5]", "float64[4]");
}

}  // namespace
}  // namespace mg::testing
