// Sarcasm (datasets/sarcasm.h) on tests/fixtures/datasets/sarcasm, written by
// tools/make_fixtures.py (specs/datasets.md §7.5).
#include "datasets/sarcasm.h"

#include <algorithm>
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

SarcasmOptions options(SarcasmFormat format = SarcasmFormat::Amss,
                       const std::string& split = "train") {
  SarcasmOptions o;
  o.root = kRoot;
  o.split = split;
  o.format = format;
  o.text.vocab_file = "vocab.txt";
  return o;
}

std::vector<std::int64_t> ints(const Tensor& t) {
  return t.to_vector<std::int64_t>();
}

TEST(Sarcasm, AmssTsvGivesRawBertIdsAndNormalizedImages) {
  const SarcasmDataset data(options());
  ASSERT_EQ(data.size(), 4);
  EXPECT_EQ(data.class_names(), (std::vector<std::string>{"not_sarcastic", "sarcastic"}));
  for (std::int64_t i = 0; i < data.size(); ++i) {
    const Sample sample = data.get(i);
    EXPECT_EQ(sample.inputs.at("input_ids").shape(), (Shape{128}));
    EXPECT_EQ(sample.inputs.at("input_ids").dtype(), kInt64);
    EXPECT_EQ(ints(sample.inputs.at("attention_mask")), std::vector<std::int64_t>(128, 1));
    EXPECT_EQ(sample.inputs.at("image").shape(), (Shape{3, 224, 224}));
    EXPECT_EQ(sample.inputs.at("image").dtype(), kFloat32);
  }
  EXPECT_EQ(data.label(1), 0);
  EXPECT_EQ(data.source(1), kRoot + "/images/800000000000000002.jpg");
  // No [CLS]/[SEP]: the word pieces, then zeros.
  std::vector<std::int64_t> expected = data.tokenizer().token_ids(data.text(0));
  ASSERT_EQ(expected.size(), 13u);  // < user > thanks for show ##ing up for our appointment today .
  EXPECT_EQ(expected[3], data.tokenizer().id_of("thanks"));
  expected.resize(128, 0);
  EXPECT_EQ(ints(data.get(0).inputs.at("input_ids")), expected);
  // 140 tokens: the first 128, no padding.
  const std::vector<std::int64_t> long_ids = ints(data.get(3).inputs.at("input_ids"));
  EXPECT_EQ(std::count(long_ids.begin(), long_ids.end(), 0), 0);
  EXPECT_EQ(long_ids[127], data.tokenizer().id_of("text"));
  // The greyscale image becomes three equal channels.
  const std::vector<float> grey = data.get(2).inputs.at("image").to_vector<float>();
  const std::size_t plane = 224 * 224, at = 100 * 224 + 100;
  for (std::size_t c = 0; c < 3; ++c) {
    EXPECT_NEAR(grey[c * plane + at] * kSarcasmStd[c] + kSarcasmMean[c], 90.0 / 255.0, 2.0 / 255.0);
  }
}

TEST(Sarcasm, StandardBertModeAddsSpecialTokensAndMasksPadding) {
  SarcasmOptions o = options(SarcasmFormat::Amss, "test");
  o.text.bert_mode = BertMode::Standard;
  o.text.max_length = 16;
  const SarcasmDataset data(o);
  ASSERT_EQ(data.size(), 2);
  const Sample sample = data.get(0);  // "she said hi to me": 5 pieces
  const std::vector<std::int64_t> ids = ints(sample.inputs.at("input_ids"));
  ASSERT_EQ(ids.size(), 16u);
  EXPECT_EQ(ids[0], data.tokenizer().id_of("[CLS]"));
  EXPECT_EQ(ids[6], data.tokenizer().id_of("[SEP]"));
  std::vector<std::int64_t> mask(16, 0);
  std::fill(mask.begin(), mask.begin() + 7, 1);
  EXPECT_EQ(ints(sample.inputs.at("attention_mask")), mask);
  EXPECT_EQ(sample.label, 0);
}

TEST(Sarcasm, CaiRawAndJsonLayouts) {
  const SarcasmDataset raw(options(SarcasmFormat::CaiRaw));
  ASSERT_EQ(raw.size(), 6);
  EXPECT_EQ(raw.text(2), "it 's a great day\nisn't it");
  EXPECT_EQ(raw.source(5), kRoot + "/images/800000000000000008.jpg");
  EXPECT_EQ(SarcasmDataset(options(SarcasmFormat::CaiRaw, "valid")).size(), 2);
  const SarcasmDataset json(options(SarcasmFormat::Json));
  ASSERT_EQ(json.size(), 2);
  EXPECT_EQ(json.label(1), 0);
  EXPECT_EQ(json.get(1).inputs.at("image").shape(), (Shape{3, 224, 224}));
  SarcasmOptions no_vocab = options();
  no_vocab.text.vocab_file.clear();
  EXPECT_MG_ERROR(SarcasmDataset{no_vocab}, "text.vocab_file is required");
}

}  // namespace
}  // namespace mg::data
