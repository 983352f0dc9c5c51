#include "layers/module.h"

#include <cmath>

#include "layers/batch_norm.h"
#include "layers/init.h"
#include "test_util.h"

namespace mg::nn {
namespace {

using testing::expect_values;

// Two levels of nesting, a buffer, an absent parameter and a declared mask partition.
struct Leaf : Module {
  Tensor weight;
  Tensor bias;
  Tensor count;
  Leaf() : Module("Leaf") {
    weight = register_parameter("weight", ones({4, 3}), true, MaskUnits::output_channel());
    bias = register_parameter("bias", Tensor());
    count = register_buffer("count", zeros({}, kInt64));
  }
  Tensor forward(const Tensor& x) override { return linear(x, weight); }
};

struct Tree : Module {
  Tensor scale;
  std::shared_ptr<Leaf> first;
  std::shared_ptr<Leaf> second;
  Tree() : Module("Tree") {
    scale = register_parameter("scale", full({1}, 2.0));
    first = register_module("first", std::make_shared<Leaf>());
    second = register_module("second", std::make_shared<Leaf>());
  }
};

std::vector<std::string> names_of(const TensorList& list) {
  std::vector<std::string> names;
  for (const auto& entry : list) names.push_back(entry.first);
  return names;
}

TEST(Module, NamesParametersDepthFirstWithDots) {
  auto tree = std::make_shared<Tree>();
  std::vector<std::string> names;
  for (const auto& p : tree->named_parameters()) names.push_back(p.name);
  EXPECT_EQ(names, (std::vector<std::string>{"scale", "first.weight", "second.weight"}));
  EXPECT_EQ(tree->parameters(false).size(), 1u);
  EXPECT_EQ(tree->parameter_count(), 1 + 12 + 12);
  EXPECT_EQ(names_of(tree->state_dict()),
            (std::vector<std::string>{"scale", "first.weight", "first.count", "second.weight",
                                      "second.count"}));
  EXPECT_EQ(names_of(tree->named_buffers()),
            (std::vector<std::string>{"first.count", "second.count"}));
  EXPECT_TRUE(tree->parameter("first.weight").is_same(tree->first->weight));
  EXPECT_TRUE(tree->parameter("first.weight").requires_grad());
  EXPECT_EQ(tree->children().size(), 2u);
  const auto modules = tree->named_modules();
  ASSERT_EQ(modules.size(), 3u);
  EXPECT_EQ(modules[2].first, "second");
  EXPECT_EQ(tree->submodule("second").get(), tree->second.get());
}

TEST(Module, RejectsBadRegistrations) {
  Leaf leaf;
  EXPECT_MG_ERROR(leaf.register_parameter("weight", ones({2})), "Leaf", "\"weight\"",
                  "already registered");
  EXPECT_MG_ERROR(leaf.register_parameter("a.b", ones({2})), "contain no '.'");
  EXPECT_MG_ERROR(leaf.register_parameter("ids", zeros({2}, kInt64)), "floating point");
  EXPECT_MG_ERROR(leaf.register_parameter("heads", ones({5, 2}), true, MaskUnits::row_blocks(2)),
                  "row_blocks(2)", "divisible");
  EXPECT_MG_ERROR(leaf.parameter("nope"), "no parameter \"nope\"");
  Tree tree;
  EXPECT_MG_ERROR(tree.forward(ones({2})), "Tree", "no forward(Tensor)");
}

TEST(Module, TrainEvalReachesEveryChild) {
  auto tree = std::make_shared<Tree>();
  tree->eval();
  EXPECT_FALSE(tree->is_training());
  EXPECT_FALSE(tree->second->is_training());
  tree->train();
  EXPECT_TRUE(tree->first->is_training());
}

TEST(Module, ZeroGradDropsGradients) {
  auto tree = std::make_shared<Tree>();
  backward(sum(tree->first->forward(ones({2, 3}))));
  EXPECT_TRUE(tree->first->weight.grad().defined());
  tree->zero_grad();
  EXPECT_FALSE(tree->first->weight.grad().defined());
}

TEST(Module, ToDtypeKeepsHandlesAndIntegerBuffers) {
  auto tree = std::make_shared<Tree>();
  Tensor handle = tree->first->weight;
  tree->to(kFloat64);
  EXPECT_EQ(handle.dtype(), kFloat64);
  EXPECT_TRUE(handle.requires_grad());
  EXPECT_EQ(tree->first->count.dtype(), kInt64);
  EXPECT_EQ(tree->first->forward(ones({2, 3}, kFloat64)).dtype(), kFloat64);
  EXPECT_MG_ERROR(tree->to(kInt64), "floating-point dtype");
}

TEST(Module, ToAMissingDeviceFailsClearlyAndChangesNothing) {
  auto tree = std::make_shared<Tree>();
  EXPECT_MG_ERROR(tree->to(Device::cuda(99)), "CUDA");
  for (const auto& [name, tensor] : tree->state_dict())
    EXPECT_TRUE(tensor.device().is_cpu()) << name;
}

TEST(Module, StateDictRoundTripAndStrictErrors) {
  auto source = std::make_shared<Tree>();
  init::normal_(source->first->weight, 0, 1);
  auto target = std::make_shared<Tree>();
  EXPECT_TRUE(target->load_state_dict(source->state_dict()).ok());
  EXPECT_EQ(target->first->weight.to_vector<float>(), source->first->weight.to_vector<float>());

  TensorList broken = source->state_dict();
  broken.erase(broken.begin());                    // scale missing
  broken[0].second = ones({3, 3});                 // first.weight mis-shaped
  broken.emplace_back("third.weight", ones({1}));  // unexpected
  const auto before = target->second->weight.to_vector<float>();
  EXPECT_MG_ERROR(target->load_state_dict(broken), "missing: scale", "unexpected: third.weight",
                  "first.weight: expected [4, 3], got [3, 3]");
  EXPECT_EQ(target->second->weight.to_vector<float>(), before) << "strict loads copy nothing";

  const LoadReport report = target->load_state_dict(broken, /*strict=*/false);
  EXPECT_EQ(report.missing, std::vector<std::string>{"scale"});
  EXPECT_EQ(report.unexpected, std::vector<std::string>{"third.weight"});
  EXPECT_EQ(report.mismatched.size(), 1u);
  EXPECT_EQ(target->second->weight.to_vector<float>(), source->second->weight.to_vector<float>());
}

TEST(Module, LoadStateDictRejectsDuplicateNames) {
  auto tree = std::make_shared<Tree>();
  TensorList state = tree->state_dict();
  state.push_back(state.front());
  EXPECT_MG_ERROR(tree->load_state_dict(state), "two entries named \"scale\"");
}

TEST(Module, BatchNormCheckpointsWithoutTheCounterLoad) {
  // Files from PyTorch before 0.4.1 lack num_batches_tracked; PyTorch loads them with 0.
  BatchNorm2d source(3), target(3);
  init::normal_(source.running_mean, 0, 1);
  fill_(target.num_batches_tracked, 7.0);
  TensorList state = source.state_dict();
  std::erase_if(state, [](const auto& entry) { return entry.first == "num_batches_tracked"; });
  EXPECT_TRUE(target.load_state_dict(state).ok());
  EXPECT_EQ(target.num_batches_tracked.item<std::int64_t>(), 0);
  EXPECT_EQ(target.running_mean.to_vector<float>(), source.running_mean.to_vector<float>());
  state.erase(state.begin());  // weight: still required
  EXPECT_MG_ERROR(target.load_state_dict(state), "missing: weight");
}

TEST(Module, SaveAndLoadThroughSafetensors) {
  auto source = std::make_shared<Tree>();
  init::normal_(source->second->weight, 0, 1);
  const std::string path = ::testing::TempDir() + "/module_test_tree.safetensors";
  source->save(path);
  auto target = std::make_shared<Tree>();
  EXPECT_TRUE(target->load(path).ok());
  EXPECT_EQ(target->second->weight.to_vector<float>(), source->second->weight.to_vector<float>());
  auto leaf = std::make_shared<Leaf>();
  EXPECT_MG_ERROR(leaf->load(path), "Leaf", "unexpected: scale");
  EXPECT_MG_ERROR(leaf->load(path + ".absent"), ".absent");
}

TEST(MaskUnits, CountsAndExpandsEachPartition) {
  const Tensor four = tensor({1, 2, 3, 4});
  EXPECT_EQ(MaskUnits::output_channel().count({4, 2, 3, 3}), 4);
  expect_values(MaskUnits::output_channel().expand(four, {4, 2}), {1, 1, 2, 2, 3, 3, 4, 4}, {4, 2});
  expect_values(MaskUnits::row_blocks(2).expand(tensor({1, 2}), {4, 2}), {1, 1, 1, 1, 2, 2, 2, 2},
                {4, 2});
  expect_values(MaskUnits::column_blocks(2).expand(tensor({1, 2}), {2, 4}),
                {1, 1, 2, 2, 1, 1, 2, 2}, {2, 4});
  expect_values(MaskUnits::element().expand(four, {2, 2}), {1, 2, 3, 4}, {2, 2});
  expect_values(MaskUnits::column_blocks(2).unit_ids({1, 4}), {0, 0, 1, 1}, {1, 4});
  EXPECT_MG_ERROR(MaskUnits::output_channel().expand(four, {3, 2}), "needs 3 factors");
  EXPECT_MG_ERROR(MaskUnits::column_blocks(3).count({2, 4}), "column_blocks(3)", "divisible");
}

TEST(Init, KaimingUniformBoundMatchesPyTorchLinearDefault) {
  // nn.Linear draws weights from U(-1/√fan_in, 1/√fan_in) through kaiming_uniform_(a=√5).
  Tensor w = empty({200, 50});
  init::kaiming_uniform_(w, std::sqrt(5.0));
  const double bound = 1.0 / std::sqrt(50.0);
  EXPECT_LE(max(abs(w)).item<double>(), bound);
  EXPECT_GT(max(abs(w)).item<double>(), 0.98 * bound);
  EXPECT_NEAR(init::calculate_gain(init::Nonlinearity::ReLU), std::sqrt(2.0), 1e-15);
  EXPECT_MG_ERROR(init::xavier_uniform_(empty({3})), "at least 2 dimensions");
}

}  // namespace
}  // namespace mg::nn
