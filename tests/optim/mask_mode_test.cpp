#include "optim/optimizer.h"
#include "test_util.h"

namespace mg::optim {
namespace {

TEST(MaskMode, ParsesBothNamesAndRejectsOthers) {
  EXPECT_EQ(parse_mask_mode("grad"), MaskMode::Grad);
  EXPECT_EQ(parse_mask_mode("strict"), MaskMode::Strict);
  EXPECT_EQ(to_string(MaskMode::Strict), "strict");
  EXPECT_MG_ERROR(parse_mask_mode("paper"), "\"paper\"", "\"grad\" or \"strict\"");
}

}  // namespace
}  // namespace mg::optim
