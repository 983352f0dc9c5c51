// Sarcasm (datasets/sarcasm.h) on tests/fixtures/datasets/sarcasm, written by
// tools/make_fixtures.py (specs/datasets.md §7.5).
#include "datasets/sarcasm.h"

#include <cstdio>
#include <fstream>

#include "test_util.h"

namespace mg::data {
namespace {

const std::string kRoot = std::string(MG_FIXTURE_DIR) + "/datasets/sarcasm";

TEST(SarcasmSplit, ReadsCaiListsAndFiltersKeywords) {
  const auto rows = read_sarcasm_raw(kRoot + "/text/train.txt", SarcasmOptions{}.filter_keywords);
  // Lines 5 ('sarcasm') and 6 ('<url>') are dropped.
  ASSERT_EQ(rows.size(), 6u);
  EXPECT_EQ(rows[0].image, "800000000000000001.jpg");
  EXPECT_EQ(rows[0].label, 1);
  EXPECT_EQ(rows[1].text, "only a hardcore fan will get it . won 't it ?");
  EXPECT_EQ(rows[2].text, "it 's a great day\nisn't it");
  EXPECT_EQ(rows[3].text, "word\u2060s and caf\u00e9 \u2026 emoji_92");
  EXPECT_EQ(rows[4].text, "back\\slash and # hashtag");
  EXPECT_EQ(rows[4].where, kRoot + "/text/train.txt:7");
  // valid and test lists have 4 elements; the label is the last.
  const auto test = read_sarcasm_raw(kRoot + "/text/test2.txt", {});
  ASSERT_EQ(test.size(), 2u);
  EXPECT_EQ(test[0].label, 1);
  EXPECT_EQ(test[1].label, 0);
  const std::string path = ::testing::TempDir() + "/mg_sarcasm.txt";
  std::ofstream(path, std::ios::binary) << "['1', 'a', 1]\r\n['2', 'b']\r\n['3', 'c', 2]\r\n";
  EXPECT_MG_ERROR(read_sarcasm_raw(path, {}), path + ":2: expected [id, text, ..., label]");
  std::vector<DroppedSample> dropped;
  EXPECT_EQ(read_sarcasm_raw(path, {}, {true, &dropped}).size(), 1u);
  ASSERT_EQ(dropped.size(), 2u);
  EXPECT_EQ(dropped[1].source, path + ":3");
  std::remove(path.c_str());
}

TEST(SarcasmSplit, ReadsNamedColumnTsvsInAnyOrder) {
  const auto train = read_named_text_image_tsv(kRoot + "/annotations/train.tsv", 2);
  ASSERT_EQ(train.size(), 4u);
  EXPECT_EQ(train[0].text, "<user> thanks for showing up for our appointment today . ");
  EXPECT_EQ(train[1].text, "she said \"hi\" to me");
  EXPECT_EQ(train[1].label, 0);
  EXPECT_EQ(train[1].image, "800000000000000002.jpg");
  const auto test = read_named_text_image_tsv(kRoot + "/annotations/test.tsv", 2);
  ASSERT_EQ(test.size(), 2u);
  EXPECT_EQ(test[1].text, "it 's showing up");
  EXPECT_EQ(test[1].label, 1);
  EXPECT_EQ(test[1].image, "800000000000000012.jpg");
  EXPECT_MG_ERROR(read_named_text_image_tsv(kRoot + "/annotations/test.tsv", 1),
                  "test.tsv:3: Label '1' is not in 0..0");
}

TEST(SarcasmSplit, ReadsBssJson) {
  const auto rows = read_sarcasm_json(kRoot + "/annotations/train.json");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].image, "800000000000000001.jpg");
  EXPECT_EQ(rows[1].image, "800000000000000004.jpg");
  EXPECT_EQ(rows[1].text, "word\u2060s and caf\u00e9");
  const std::string path = ::testing::TempDir() + "/mg_sarcasm.json";
  std::ofstream(path, std::ios::binary) << R"([{"image": "a.jpg", "text": "t", "label": 3}])";
  EXPECT_MG_ERROR(read_sarcasm_json(path), path + ": element 0: expected");
  std::remove(path.c_str());
}

}  // namespace
}  // namespace mg::data
