#include "layers/models/resnet.h"
#include "parity_util.h"

// The full torchvision.models.resnet18() (random initialisation, seed 0), loaded with a strict
// load_state_dict into our resnet18, on a [2, 3, 64, 64] input in eval mode: outputs, input and
// parameter gradients. The fixture (~90 MB) is not committed: `./run.sh slow` writes it with
// `tools/make_reference.py --large torchvision_resnet18` into tests/fixtures/large/.
namespace mg::nn {
namespace {

TEST(SlowTorchvisionResNet18, MatchesTorchvisionStrictly) {
  const testing::Fixture fixture("large/torchvision_resnet18");
  auto model = resnet18();
  EXPECT_EQ(model->state_dict().size(), fixture.with_prefix("param.").size());
  testing::expect_parity(*model, fixture, [&](const std::vector<Tensor>& inputs) {
    return std::vector<Tensor>{model->forward(inputs.at(0))};
  });
}

}  // namespace
}  // namespace mg::nn
