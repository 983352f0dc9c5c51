// NVGesture (datasets/nvgesture.h) on tests/fixtures/datasets/nvgesture, written by
// tools/make_fixtures.py (specs/datasets.md §9.6).
#include "datasets/nvgesture.h"

#include <cstdio>
#include <fstream>

#include "test_util.h"

namespace mg::data {
namespace {

const std::string kRoot = std::string(MG_FIXTURE_DIR) + "/datasets/nvgesture";

TEST(NvGestureSplit, ParsesTheListsTrailingSpaceAndRelabels) {
  const auto rows = read_nvgesture_list(kRoot + "/nvgesture_train_correct_cvpr2016_v2.lst", kRoot);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].folder, kRoot + "/Video_data/class_01/subject1_r0");
  EXPECT_EQ(rows[0].label, 0);
  EXPECT_EQ(rows[0].line_index, 0);
  const NvGestureWindow& color = rows[0].sensors.at("color");
  EXPECT_EQ(color.stem, "sk_color");
  EXPECT_EQ(color.start, 2);
  EXPECT_EQ(color.end, 82);
  EXPECT_EQ(rows[0].sensors.at("depth").stem, "sk_depth");
  EXPECT_EQ(rows[0].sensors.at("duo_left").end - rows[0].sensors.at("duo_left").start, 93);
  // v2 relabels: folder class_02, label 5 -> 4.
  EXPECT_EQ(rows[1].folder, kRoot + "/Video_data/class_02/subject3_r0");
  EXPECT_EQ(rows[1].label, 4);
  EXPECT_EQ(rows[1].line_index, 1);
  // The v1 list has no final newline.
  const auto v1 = read_nvgesture_list(kRoot + "/nvgesture_train_correct_cvpr2016.lst", kRoot);
  ASSERT_EQ(v1.size(), 2u);
  EXPECT_EQ(v1[1].label, 1);
}

TEST(NvGestureSplit, BadLines) {
  const std::string path = ::testing::TempDir() + "/mg_nv.lst";
  std::ofstream(path, std::ios::binary) << "path:./V/a depth:d:1:81 color:c:1:81 label:1 \n"
                                        << "path:./V/b depth:d:1:81 color:c:9:3 label:1 \n"
                                        << "path:./V/c depth:d:1:81 color:c:1:81 label:26 \n"
                                        << "path:./V/d depth:d:1:81 label:2 \n";
  EXPECT_MG_ERROR(read_nvgesture_list(path, "/r"), path + ":2: bad sensor token 'color:c:9:3'");
  std::vector<DroppedSample> dropped;
  const auto rows = read_nvgesture_list(path, "/r", 25, {true, &dropped});
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].folder, "/r/V/a");
  ASSERT_EQ(dropped.size(), 3u);
  EXPECT_EQ(dropped[1].reason, "label '26' is not in 1..25");
  EXPECT_EQ(dropped[2].source, path + ":4");
  std::remove(path.c_str());
}

}  // namespace
}  // namespace mg::data
