#include "layers/pretrained.h"

#include "core/safetensors.h"
#include "layers/nn.h"
#include "test_util.h"

namespace mg::nn {
namespace {

// A checkpoint laid out like a Hugging Face file: a model prefix, old LayerNorm names and a
// pre-training head the model lacks.
std::string write_checkpoint(const std::string& file, const Tensor& weight) {
  const std::string path = ::testing::TempDir() + "/" + file;
  save_safetensors(path, {{"bert.0.weight", weight},
                          {"bert.0.bias", zeros({3})},
                          {"bert.1.gamma", full({3}, 2.0)},
                          {"bert.1.beta", zeros({3})},
                          {"cls.predictions.bias", zeros({7})}});
  return path;
}

std::shared_ptr<Sequential> model() {
  return std::make_shared<Sequential>(std::vector<std::shared_ptr<Module>>{
      std::make_shared<Linear>(2, 3), std::make_shared<LayerNorm>(Shape{3})});
}

TEST(LoadPretrained, MapsNamesAndLoadsValues) {
  const Tensor weight = reshape(arange(6.0), {3, 2});
  const std::string path = write_checkpoint("pretrained_ok.safetensors", weight);
  auto net = model();
  const NameMap names = then(
      drop_prefixes({"cls."}),
      then(strip_prefix("bert."), replace_substrings({{".gamma", ".weight"}, {".beta", ".bias"}})));
  EXPECT_TRUE(load_pretrained(*net, path, names).ok());
  EXPECT_EQ(net->parameter("0.weight").to_vector<float>(), weight.to_vector<float>());
  EXPECT_EQ(net->parameter("1.weight").to_vector<float>(), std::vector<float>(3, 2.0f));
}

TEST(LoadPretrained, ReportsEveryProblemAtOnce) {
  const std::string path = write_checkpoint("pretrained_bad.safetensors", ones({3, 5}));
  auto net = model();
  EXPECT_MG_ERROR(load_pretrained(*net, path, strip_prefix("bert.")), "load_pretrained",
                  "pretrained_bad.safetensors", "missing: 1.weight", "unexpected: 1.gamma",
                  "unexpected: cls.predictions.bias", "0.weight: expected [3, 2], got [3, 5]");
  const LoadReport report = load_pretrained(*net, path, strip_prefix("bert."), /*strict=*/false);
  EXPECT_EQ(report.missing.size(), 2u);     // 1.weight, 1.bias
  EXPECT_EQ(report.unexpected.size(), 3u);  // 1.gamma, 1.beta, cls.predictions.bias
  EXPECT_EQ(report.mismatched.size(), 1u);
  EXPECT_EQ(net->parameter("0.bias").to_vector<float>(), std::vector<float>(3, 0.0f));
  EXPECT_MG_ERROR(
      load_pretrained(*net, path,
                      [](const std::string&) { return std::optional<std::string>("same"); }),
      "two entries map to \"same\"");
}

}  // namespace
}  // namespace mg::nn
