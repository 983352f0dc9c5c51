#include "layers/nn.h"
#include "parity_util.h"

namespace mg::nn {
namespace {

using testing::expect_parity;

TEST(ParityLayers, Linear) {
  Linear layer(5, 3);
  expect_parity(layer, "linear");
}

}  // namespace
}  // namespace mg::nn
