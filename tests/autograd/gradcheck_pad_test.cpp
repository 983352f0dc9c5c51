#include "test_util.h"

namespace mg {
namespace {

using testing::leaf;
using testing::transposed_leaf;
using Inputs = std::vector<Tensor>;

TEST(GradcheckPad, Padding) {
  const Tensor x = leaf({2, 3, 4}, 1);
  EXPECT_GRADCHECK([](const Inputs& in) { return pad(in[0], {1, 2}); }, {x});
  EXPECT_GRADCHECK([](const Inputs& in) { return pad(in[0], {0, 1, 2, 0, 1, 1}, 3.0); }, {x});
  // The I3D "same" padding before conv3d: W (0, 1), H (1, 1), T (0, 1).
  EXPECT_GRADCHECK(
      [](const Inputs& in) {
        return pad(in[0], {0, 1, 1, 1, 0, 1});
      },
      {leaf({1, 2, 2, 3, 2}, 2)});
}

TEST(GradcheckPad, CroppingGivesZeroGradient) {
  const Tensor x = leaf({3, 4}, 3);
  EXPECT_GRADCHECK([](const Inputs& in) { return pad(in[0], {-1, 2, 1, -2}); }, {x});
  EXPECT_GRADCHECK([](const Inputs& in) { return pad(in[0], {-1, -1}) * 2.0; }, {x});
  Tensor y = leaf({4}, 4);
  backward(sum(pad(y, {-1, 2}, 5.0)));
  testing::expect_values(y.grad(), {0, 1, 1, 1}, {4});
}

TEST(GradcheckPad, NonContiguousInput) {
  const Tensor x = transposed_leaf({3, 4}, 5);
  EXPECT_GRADCHECK([](const Inputs& in) { return pad(in[0], {1, -1, -1, 2}); }, {x});
  EXPECT_GRADCHECK([](const Inputs& in) { return pad(in[0], {2, 0, 0, 1}, -1.0); }, {x});
}

}  // namespace
}  // namespace mg
