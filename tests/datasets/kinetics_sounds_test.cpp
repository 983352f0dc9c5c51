// Kinetics-Sounds (datasets/kinetics_sounds.h) on tests/fixtures/datasets/kinetics_sounds,
// written by tools/make_fixtures.py (specs/datasets.md §6.6).
#include "datasets/kinetics_sounds.h"

#include <cstdio>
#include <fstream>

#include "test_util.h"

namespace mg::data {
namespace {

const std::string kRoot = std::string(MG_FIXTURE_DIR) + "/datasets/kinetics_sounds";

TEST(KineticsSoundsSplit, ReadsAnnotationCsvsByColumnName) {
  const auto rows = read_kinetics_annotations(kRoot + "/annotations/train.csv");
  ASSERT_EQ(rows.size(), 7u);
  EXPECT_EQ(rows[0].id, "fxBowl00001_000010_000020");
  EXPECT_EQ(rows[0].label, "bowling");
  EXPECT_EQ(rows[2].label, "shuffling \"cards\"");
  EXPECT_EQ(rows[2].where, kRoot + "/annotations/train.csv:4");
  const std::string path = ::testing::TempDir() + "/mg_ks_annotations.csv";
  std::ofstream(path, std::ios::binary) << "youtube_id,split\nabc,train\n";
  EXPECT_MG_ERROR(read_kinetics_annotations(path), path + ":1: the header has no 'label' column");
  std::ofstream(path, std::ios::binary) << "youtube_id,x,label\nabc,1,drums\nshort\n";
  EXPECT_MG_ERROR(read_kinetics_annotations(path), path + ":3:");
  std::remove(path.c_str());
}

TEST(KineticsSoundsSplit, ReadsOgmGeListsWithTheAlphabeticalTable) {
  ASSERT_EQ(kinetics_sounds_classes().size(), 31u);
  EXPECT_EQ(kinetics_sounds_classes()[4], "dribbling_basketball");
  const auto rows = read_kinetics_ogm_list(kRoot + "/my_train.txt");
  ASSERT_EQ(rows.size(), 7u);
  EXPECT_EQ(rows[1].id, "fxDrums0001_000001_000011");
  EXPECT_EQ(rows[1].label, "playing_drums");
  EXPECT_EQ(rows[2].label, "shuffling_cards");
  const std::string path = ::testing::TempDir() + "/mg_ks_list.txt";
  std::ofstream(path, std::ios::binary) << "a,10,4\r\nb,10,31\r\n";
  EXPECT_MG_ERROR(read_kinetics_ogm_list(path), path + ":2: class index '31' is not in 0..30");
  std::remove(path.c_str());
}

}  // namespace
}  // namespace mg::data
