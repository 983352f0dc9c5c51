#include <cmath>
#include <string>
#include <vector>

#include "layers/nn.h"
#include "test_util.h"

// The basic layers without PyTorch: names, shapes and counts (the PyTorch counts were computed
// with torch 1.13: sum(p.numel() for p in m.parameters())), mask units, default initialisation
// statistics, modes and errors.
namespace mg::nn {
namespace {

using testing::expect_values;

struct Entry {
  std::string name;
  Shape shape;
};

// state_dict() names and shapes, in order.
void expect_state(const Module& module, const std::vector<Entry>& expected) {
  const TensorList state = module.state_dict();
  ASSERT_EQ(state.size(), expected.size()) << module.to_string();
  for (std::size_t i = 0; i < state.size(); ++i) {
    EXPECT_EQ(state[i].first, expected[i].name) << module.type_name();
    EXPECT_EQ(state[i].second.shape(), expected[i].shape) << state[i].first;
  }
}

double mean_of(const Tensor& t) {
  return mean(to(t.detach(), kFloat64)).item<double>();
}
double var_of(const Tensor& t) {
  return var(to(t.detach(), kFloat64)).item<double>();
}
double max_of(const Tensor& t) {
  return max(t.detach()).item<double>();
}
double min_of(const Tensor& t) {
  return min(t.detach()).item<double>();
}

// ---------------------------------------------------------------- names, shapes, counts

TEST(LayerNames, ConvMatchesPyTorch) {
  Conv2d stem(Conv2dOptions(3, 64, 7).stride(2).padding(3).bias(false));
  expect_state(stem, {{"weight", {64, 3, 7, 7}}});
  EXPECT_EQ(stem.parameter_count(), 9408);

  Conv2d grouped(Conv2dOptions(4, 6, 3).groups(2));
  expect_state(grouped, {{"weight", {6, 2, 3, 3}}, {"bias", {6}}});
  EXPECT_EQ(grouped.parameter_count(), 114);

  Conv3d video(Conv3dOptions(3, 64, {3, 7, 7}).bias(false));
  expect_state(video, {{"weight", {64, 3, 3, 7, 7}}});
  EXPECT_EQ(video.parameter_count(), 28224);
}

TEST(LayerNames, LinearMatchesPyTorch) {
  Linear fc(512, 10);
  expect_state(fc, {{"weight", {10, 512}}, {"bias", {10}}});
  EXPECT_EQ(fc.parameter_count(), 5130);
  Linear no_bias(5, 3, false);
  expect_state(no_bias, {{"weight", {3, 5}}});
  EXPECT_EQ(no_bias.parameter_count(), 15);
  EXPECT_FALSE(no_bias.bias.defined());
}

TEST(LayerNames, NormsAndEmbeddingMatchPyTorch) {
  BatchNorm2d bn(64);
  expect_state(bn, {{"weight", {64}},
                    {"bias", {64}},
                    {"running_mean", {64}},
                    {"running_var", {64}},
                    {"num_batches_tracked", {}}});
  EXPECT_EQ(bn.parameter_count(), 128);
  EXPECT_EQ(bn.named_buffers().size(), 3u);
  EXPECT_EQ(bn.num_batches_tracked.dtype(), kInt64);

  LayerNorm ln(Shape{768});
  expect_state(ln, {{"weight", {768}}, {"bias", {768}}});
  EXPECT_EQ(ln.parameter_count(), 1536);
  LayerNorm ln2({3, 4});
  expect_state(ln2, {{"weight", {3, 4}}, {"bias", {3, 4}}});
  EXPECT_EQ(ln2.parameter_count(), 24);

  Embedding embedding(1000, 16, 3);
  expect_state(embedding, {{"weight", {1000, 16}}});
  EXPECT_EQ(embedding.parameter_count(), 16000);
}

TEST(LayerNames, ParameterFreeLayersHaveNoState) {
  std::vector<std::shared_ptr<Module>> layers{
      std::make_shared<ReLU>(),
      std::make_shared<GELU>(),
      std::make_shared<Tanh>(),
      std::make_shared<Dropout>(0.1),
      std::make_shared<Identity>(),
      std::make_shared<MaxPool2d>(PoolOptions{.kernel_size = {2}}),
      std::make_shared<AvgPool3d>(PoolOptions{.kernel_size = {2}}),
      std::make_shared<AdaptiveAvgPool2d>(Shape{1, 1})};
  for (const auto& layer : layers) {
    EXPECT_EQ(layer->parameter_count(), 0) << layer->type_name();
    EXPECT_TRUE(layer->state_dict().empty()) << layer->type_name();
  }
}

TEST(LayerNames, SequentialNamesChildrenByIndex) {
  Sequential seq({std::make_shared<Conv2d>(Conv2dOptions(3, 4, 3)),
                  std::make_shared<BatchNorm2d>(4), std::make_shared<ReLU>()});
  expect_state(seq, {{"0.weight", {4, 3, 3, 3}},
                     {"0.bias", {4}},
                     {"1.weight", {4}},
                     {"1.bias", {4}},
                     {"1.running_mean", {4}},
                     {"1.running_var", {4}},
                     {"1.num_batches_tracked", {}}});
  EXPECT_EQ(seq.size(), 3u);
  EXPECT_EQ(seq[1]->type_name(), "BatchNorm2d");
  auto pool = seq.push_back(std::make_shared<MaxPool2d>(PoolOptions{.kernel_size = {2}}));
  EXPECT_EQ(seq.size(), 4u);
  EXPECT_EQ(seq[3].get(), pool.get());
  EXPECT_EQ(seq.submodule("3").get(), pool.get());
  EXPECT_EQ(seq(ones({2, 3, 6, 6})).shape(), (Shape{2, 4, 2, 2}));
}

// ---------------------------------------------------------------- mask units

TEST(LayerMaskUnits, ConvWeightsPerOutputChannelEverythingElseElementwise) {
  Conv2d conv(Conv2dOptions(3, 8, 3));
  EXPECT_EQ(conv.mask_units("weight"), MaskUnits::output_channel());
  EXPECT_EQ(conv.mask_units("weight").count(conv.weight.shape()), 8);
  EXPECT_EQ(conv.mask_units("bias"), MaskUnits::element());
  Conv3d conv3(Conv3dOptions(2, 5, 3));
  EXPECT_EQ(conv3.mask_units("weight").count(conv3.weight.shape()), 5);

  Linear fc(4, 3);
  EXPECT_EQ(fc.mask_units("weight"), MaskUnits::element());
  EXPECT_EQ(fc.mask_units("weight").count(fc.weight.shape()), 12);
  EXPECT_EQ(fc.mask_units("bias"), MaskUnits::element());

  BatchNorm2d bn(4);
  EXPECT_EQ(bn.mask_units("weight"), MaskUnits::element());
  LayerNorm ln(Shape{4});
  EXPECT_EQ(ln.mask_units("bias"), MaskUnits::element());
  Embedding embedding(5, 2);
  EXPECT_EQ(embedding.mask_units("weight"), MaskUnits::element());

  Sequential seq({std::make_shared<Conv2d>(Conv2dOptions(3, 8, 3))});
  for (const auto& parameter : seq.named_parameters())
    EXPECT_EQ(parameter.units,
              parameter.name == "0.weight" ? MaskUnits::output_channel() : MaskUnits::element())
        << parameter.name;
}

// ---------------------------------------------------------------- default initialisation

// U(-b, b) has variance b²/3. With the sample sizes below the sample variance's relative
// standard deviation is about 0.3 %, so 3 % is loose yet catches a wrong fan or gain.
void expect_uniform(const Tensor& t, double bound, const std::string& what) {
  EXPECT_LE(max_of(t), bound) << what;
  EXPECT_GE(min_of(t), -bound) << what;
  EXPECT_GT(max_of(t), 0.9 * bound) << what;
  EXPECT_LT(min_of(t), -0.9 * bound) << what;
  EXPECT_NEAR(mean_of(t), 0.0, 0.02 * bound) << what;
  EXPECT_NEAR(var_of(t), bound * bound / 3, 0.03 * bound * bound / 3) << what;
}

TEST(LayerInit, LinearUsesOneOverSqrtFanIn) {
  Linear fc(400, 300);
  const double bound = 1.0 / std::sqrt(400.0);
  expect_uniform(fc.weight, bound, "Linear weight");
  // 300 bias entries: only the range is checked tightly.
  EXPECT_LE(max_of(fc.bias), bound);
  EXPECT_GE(min_of(fc.bias), -bound);
  EXPECT_GT(max_of(fc.bias), 0.8 * bound);
  EXPECT_LT(min_of(fc.bias), -0.8 * bound);
}

TEST(LayerInit, ConvFanInCountsTheKernel) {
  Conv2d conv(Conv2dOptions(16, 512, 3));
  const double bound = 1.0 / std::sqrt(16.0 * 9);
  expect_uniform(conv.weight, bound, "Conv2d weight");
  EXPECT_LE(max_of(conv.bias), bound);
  EXPECT_GE(min_of(conv.bias), -bound);
  EXPECT_GT(max_of(conv.bias), 0.8 * bound);

  // Groups shrink the fan in: [64, 8 / 4, 3, 3, 3] → fan_in 54.
  Conv3d conv3(Conv3dOptions(8, 2048, 3).groups(4));
  expect_uniform(conv3.weight, 1.0 / std::sqrt(54.0), "Conv3d weight");
  EXPECT_LE(max_of(conv3.bias), 1.0 / std::sqrt(54.0));
}

TEST(LayerInit, EmbeddingIsStandardNormalWithZeroPaddingRow) {
  Embedding embedding(1000, 16, 3);
  EXPECT_NEAR(mean_of(embedding.weight), 0.0, 0.03);
  EXPECT_NEAR(var_of(embedding.weight), 1.0, 0.05);
  expect_values(select(embedding.weight, 0, 3), std::vector<double>(16, 0.0), {16}, 0.0);
  EXPECT_NE(max_of(abs(select(embedding.weight, 0, 4))), 0.0);

  Embedding last(6, 2, -1);  // negative padding_idx counts from the end
  expect_values(select(last.weight, 0, 5), {0, 0}, {2}, 0.0);
}

TEST(LayerInit, NormsStartAsTheIdentity) {
  BatchNorm1d bn(5);
  expect_values(bn.weight, std::vector<double>(5, 1.0), {5}, 0.0);
  expect_values(bn.bias, std::vector<double>(5, 0.0), {5}, 0.0);
  expect_values(bn.running_mean, std::vector<double>(5, 0.0), {5}, 0.0);
  expect_values(bn.running_var, std::vector<double>(5, 1.0), {5}, 0.0);
  EXPECT_EQ(bn.num_batches_tracked.item<std::int64_t>(), 0);
  EXPECT_TRUE(bn.weight.requires_grad());
  EXPECT_FALSE(bn.running_mean.requires_grad());

  LayerNorm ln({2, 3});
  expect_values(ln.weight, std::vector<double>(6, 1.0), {2, 3}, 0.0);
  expect_values(ln.bias, std::vector<double>(6, 0.0), {2, 3}, 0.0);
}

TEST(LayerInit, OptionalStateIsAbsent) {
  BatchNorm2d plain(3, {.affine = false, .track_running_stats = false});
  EXPECT_TRUE(plain.state_dict().empty());
  LayerNorm ln(Shape{4}, 1e-5, false);
  EXPECT_TRUE(ln.state_dict().empty());
}

// ---------------------------------------------------------------- dropout

TEST(LayerDropout, TrainingZeroesAboutPAndScalesTheRest) {
  Dropout dropout(0.3);
  const Tensor x = ones({100000});
  const auto values = dropout(x).to_vector<double>();
  std::int64_t zeros_seen = 0;
  for (double v : values) {
    if (v == 0) {
      ++zeros_seen;
    } else {
      ASSERT_NEAR(v, 1 / 0.7, 1e-6);
    }
  }
  // The fraction's standard deviation is √(0.21 / 10⁵) ≈ 0.0015.
  EXPECT_NEAR(static_cast<double>(zeros_seen) / 100000, 0.3, 0.008);
}

TEST(LayerDropout, EvaluationIsTheIdentity) {
  Dropout dropout(0.5);
  dropout.eval();
  const Tensor x = randn({50});
  expect_values(dropout(x), x.to_vector<double>(), {50}, 0.0);
  dropout.train();
  EXPECT_GT(max_of(abs(sub(dropout(x), x))), 0.0);
}

TEST(LayerDropout, RejectsProbabilitiesOutsideZeroOne) {
  EXPECT_MG_ERROR(Dropout(1.5), "Dropout", "[0, 1]", "1.5");
  EXPECT_MG_ERROR(Dropout(-0.1), "Dropout", "[0, 1]");
}

// ---------------------------------------------------------------- batch norm modes

TEST(LayerBatchNorm, TrainUsesBatchStatisticsAndUpdatesRunningOnes) {
  BatchNorm1d bn(2);
  // Channel 0: 1, 3 (mean 2, biased var 1, unbiased 2); channel 1: 4, 4 (mean 4, var 0).
  const Tensor x = tensor({1, 4, 3, 4}, {2, 2});
  expect_values(bn(x), {-1, 0, 1, 0}, {2, 2}, 1e-4);
  expect_values(bn.running_mean, {0.2, 0.4}, {2}, 1e-6);
  expect_values(bn.running_var, {0.9 + 0.2, 0.9}, {2}, 1e-6);
  EXPECT_EQ(bn.num_batches_tracked.item<std::int64_t>(), 1);

  bn.eval();
  // Evaluation: (x − running_mean) / √(running_var + eps), statistics untouched.
  const std::vector<double> expected{
      (1 - 0.2) / std::sqrt(1.1 + 1e-5), (4 - 0.4) / std::sqrt(0.9 + 1e-5),
      (3 - 0.2) / std::sqrt(1.1 + 1e-5), (4 - 0.4) / std::sqrt(0.9 + 1e-5)};
  expect_values(bn(x), expected, {2, 2}, 1e-5);
  expect_values(bn.running_mean, {0.2, 0.4}, {2}, 1e-6);
  EXPECT_EQ(bn.num_batches_tracked.item<std::int64_t>(), 1);
}

TEST(LayerBatchNorm, SequentialPassesTheModeToItsChildren) {
  auto bn = std::make_shared<BatchNorm2d>(3);
  Sequential seq({std::make_shared<Identity>(), bn});
  const Tensor x = add(mul(randn({4, 3, 2, 2}), 3.0), 5.0);
  seq.eval();
  EXPECT_FALSE(bn->is_training());
  // Eval with fresh statistics is (nearly) the identity.
  EXPECT_LT(max_of(abs(sub(seq(x), x))), 1e-3);
  EXPECT_EQ(bn->num_batches_tracked.item<std::int64_t>(), 0);
  seq.train();
  EXPECT_TRUE(bn->is_training());
  // Train normalises per channel.
  EXPECT_LT(std::abs(mean_of(seq(x))), 1e-5);
  EXPECT_EQ(bn->num_batches_tracked.item<std::int64_t>(), 1);
}

TEST(LayerBatchNorm, WithoutRunningStatisticsEvaluationUsesTheBatch) {
  BatchNorm1d bn(2, {.track_running_stats = false});
  bn.eval();
  expect_values(bn(tensor({1, 4, 3, 6}, {2, 2})), {-1, -1, 1, 1}, {2, 2}, 1e-4);
}

// ---------------------------------------------------------------- other forwards

TEST(LayerForward, EmbeddingLooksUpRows) {
  Embedding embedding(4, 2);
  const Tensor indices = from_vector<std::int64_t>({3, 0, 3}, {3});
  const auto table = embedding.weight.to_vector<double>();
  expect_values(embedding(indices), {table[6], table[7], table[0], table[1], table[6], table[7]},
                {3, 2}, 0.0);
}

TEST(LayerForward, ConvOptionsAcceptIntegersAndLists) {
  Conv2d conv(Conv2dOptions(2, 3, {3, 1}).stride({2, 1}).padding(1).dilation(1));
  EXPECT_EQ(conv.weight.shape(), (Shape{3, 2, 3, 1}));
  EXPECT_EQ(conv(ones({1, 2, 5, 4})).shape(), (Shape{1, 3, 3, 6}));
}

// ---------------------------------------------------------------- errors

TEST(LayerErrors, LinearNamesItselfAndTheShapes) {
  Linear fc(5, 3);
  EXPECT_MG_ERROR(fc(ones({2, 4})), "Linear(5, 3)", "last dimension 5", "float32[2, 4]");
  EXPECT_MG_ERROR(fc(ones({})), "Linear(5, 3)", "float32[]");
  EXPECT_MG_ERROR(Linear(0, 3), "Linear", "positive");
}

TEST(LayerErrors, ConvChecksRankAndChannels) {
  Conv2d conv(Conv2dOptions(3, 8, 3));
  EXPECT_MG_ERROR(conv(ones({2, 4, 8, 8})), "Conv2d(3, 8)", "[N, 3, H, W]", "float32[2, 4, 8, 8]");
  EXPECT_MG_ERROR(conv(ones({3, 8, 8})), "Conv2d(3, 8)", "float32[3, 8, 8]");
  Conv3d conv3(Conv3dOptions(2, 4, 3));
  EXPECT_MG_ERROR(conv3(ones({1, 2, 8, 8})), "Conv3d(2, 4)", "[N, 2, D, H, W]",
                  "float32[1, 2, 8, 8]");
  EXPECT_MG_ERROR(Conv2d(Conv2dOptions(4, 6, 3).groups(4)), "Conv2d", "groups (4)");
  EXPECT_MG_ERROR(Conv2d(Conv2dOptions(4, 6, {3, 3, 3})), "Conv2d", "kernel_size", "[3, 3, 3]");
  EXPECT_MG_ERROR(Conv3d(Conv3dOptions(4, 6, 3).stride({1, 2})), "Conv3d", "stride", "[1, 2]");
  EXPECT_MG_ERROR(Conv2d(Conv2dOptions(4, 6, 3).padding(-1)), "Conv2d", "padding", "at least 0");
  EXPECT_MG_ERROR(Conv2d(Conv2dOptions(4, 6, 3).dilation(0)), "Conv2d", "dilation");
}

TEST(LayerErrors, BatchNormChecksRankAndChannels) {
  BatchNorm1d bn1(4);
  EXPECT_MG_ERROR(bn1(ones({2, 5})), "BatchNorm1d(4)", "rank 2 or 3", "float32[2, 5]");
  EXPECT_MG_ERROR(bn1(ones({2, 4, 3, 3})), "BatchNorm1d(4)", "float32[2, 4, 3, 3]");
  BatchNorm2d bn2(4);
  EXPECT_MG_ERROR(bn2(ones({2, 4, 3})), "BatchNorm2d(4)", "rank 4", "float32[2, 4, 3]");
  BatchNorm3d bn3(4);
  EXPECT_MG_ERROR(bn3(ones({2, 3, 2, 2, 2})), "BatchNorm3d(4)", "rank 5", "float32[2, 3, 2, 2, 2]");
}

TEST(LayerErrors, PoolingNamesTheLayer) {
  MaxPool2d max2({.kernel_size = {2}});
  EXPECT_MG_ERROR(max2(ones({3, 4, 4})), "MaxPool2d", "[N, C, H, W]", "float32[3, 4, 4]");
  MaxPool3d max3({.kernel_size = {2}});
  EXPECT_MG_ERROR(max3(ones({1, 3, 4, 4})), "MaxPool3d", "[N, C, D, H, W]", "float32[1, 3, 4, 4]");
  AvgPool2d avg2({.kernel_size = {2}});
  EXPECT_MG_ERROR(avg2(ones({4, 4})), "AvgPool2d", "float32[4, 4]");
  AvgPool3d avg3({.kernel_size = {2}});
  EXPECT_MG_ERROR(avg3(ones({1, 1, 4, 4})), "AvgPool3d", "float32[1, 1, 4, 4]");
  AdaptiveAvgPool2d ada2({1, 1});
  EXPECT_MG_ERROR(ada2(ones({1, 1, 1, 4, 4})), "AdaptiveAvgPool2d", "float32[1, 1, 1, 4, 4]");
  AdaptiveAvgPool3d ada3({1, 1, 1});
  EXPECT_MG_ERROR(ada3(ones({1, 4, 4})), "AdaptiveAvgPool3d", "float32[1, 4, 4]");
}

TEST(LayerErrors, LayerNormAndEmbeddingNameThemselves) {
  LayerNorm ln({3, 4});
  EXPECT_MG_ERROR(ln(ones({2, 4, 3})), "LayerNorm([3, 4])", "float32[2, 4, 3]");
  EXPECT_MG_ERROR(ln(ones({4})), "LayerNorm([3, 4])", "float32[4]");
  EXPECT_MG_ERROR(LayerNorm(Shape{}), "LayerNorm", "positive");

  Embedding embedding(10, 4);
  EXPECT_MG_ERROR(embedding(ones({2})), "Embedding(10, 4)", "int64", "float32[2]");
  EXPECT_MG_ERROR(Embedding(10, 4, 10), "Embedding", "padding_idx 10");
}

TEST(LayerErrors, SequentialIndexOutOfRange) {
  Sequential seq({std::make_shared<ReLU>(), std::make_shared<Tanh>()});
  EXPECT_MG_ERROR(seq[2], "Sequential", "index 2", "2 modules");
  Sequential empty_seq;
  EXPECT_MG_ERROR(empty_seq[0], "Sequential", "index 0", "0 modules");
  EXPECT_MG_ERROR(seq.submodule("5"), "5");
}

}  // namespace
}  // namespace mg::nn
