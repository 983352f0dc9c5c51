// CREMA-D (datasets/cremad.h) on tests/fixtures/datasets/cremad, written by
// tools/make_fixtures.py (specs/datasets.md §5.7).
#include "datasets/cremad.h"

#include "test_util.h"

namespace mg::data {
namespace {

const std::string kRoot = std::string(MG_FIXTURE_DIR) + "/datasets/cremad";

TEST(CremadSplit, ReadsCrlfRowsWithAmssClassMap) {
  const std::vector<CremadRow> rows =
      read_cremad_split(kRoot + "/annotations/train.csv", cremad_classes());
  ASSERT_EQ(rows.size(), 7u);
  EXPECT_EQ(rows[0].stem, "1001_DFA_NEU_XX");
  std::vector<std::int64_t> labels;
  for (const CremadRow& row : rows) labels.push_back(row.label);
  // NEU HAP SAD (HAP, no WAV) FEA DIS ANG
  EXPECT_EQ(labels, (std::vector<std::int64_t>{0, 1, 2, 1, 3, 4, 5}));
  EXPECT_EQ(rows[3].where, kRoot + "/annotations/train.csv:4");
  // valid.csv has a byte order mark and LF line ends.
  const auto valid = read_cremad_split(kRoot + "/annotations/valid.csv", cremad_classes());
  ASSERT_EQ(valid.size(), 2u);
  EXPECT_EQ(valid[0].stem, "1002_IEO_HAP_LO");
  // Another class list: its order gives the labels.
  const auto alphabetical =
      read_cremad_split(kRoot + "/annotations/test.csv", read_class_list(kRoot + "/classes.txt"));
  ASSERT_EQ(alphabetical.size(), 3u);
  EXPECT_EQ(alphabetical[0].label, 4);  // NEU
  EXPECT_EQ(alphabetical[2].label, 0);  // ANG
}

TEST(CremadSplit, MalformedLinesAreErrorsOrSkipped) {
  const std::string path = kRoot + "/annotations/malformed.csv";
  EXPECT_MG_ERROR(read_cremad_split(path, cremad_classes()),
                  path + ":2:", "expected <stem>,<class>, got 1 field(s)");
  std::vector<DroppedSample> dropped;
  const auto rows = read_cremad_split(path, cremad_classes(), {true, &dropped});
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[1].stem, "1005_IWW_DIS_XX");
  ASSERT_EQ(dropped.size(), 2u);
  EXPECT_EQ(dropped[0].source, path + ":2");
  EXPECT_EQ(dropped[1].source, path + ":3");
  EXPECT_EQ(dropped[1].reason, "unknown class 'XYZ'");
}

}  // namespace
}  // namespace mg::data
