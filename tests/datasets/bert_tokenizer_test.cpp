#include "datasets/bert_tokenizer.h"

#include <string>

#include "core/json.h"
#include "datasets/file_bytes.h"
#include "test_util.h"

namespace mg::data {
namespace {

const std::string kDir = std::string(MG_FIXTURE_DIR) + "/tokenizer";

std::vector<std::int64_t> ints(const Json& array) {
  std::vector<std::int64_t> out;
  for (const Json& v : array.as_array()) out.push_back(v.as_int());
  return out;
}

Json load_fixture() {
  const std::vector<std::uint8_t> bytes = read_file_bytes(kDir + "/bert_tokenizer.json");
  return Json::parse(std::string(bytes.begin(), bytes.end()), "bert_tokenizer.json");
}

// Every sentence of the fixture gets the ids Hugging Face's BertTokenizer gave it, in the raw
// form, in BERT's standard form (max_length 24) and in the reference form (max_length 16).
TEST(BertTokenizer, MatchesHuggingFaceOnTheFixture) {
  const BertTokenizer tok(kDir + "/vocab.txt");
  const Json fixture = load_fixture();
  const Json::Array& cases = fixture.at("cases").as_array();
  ASSERT_GE(cases.size(), 300u);
  for (const Json& c : cases) {
    const std::string& text = c.at("text").as_string();
    EXPECT_EQ(tok.token_ids(text), ints(c.at("ids"))) << text;
    const BertEncoding standard = tok.encode(text, BertEncodeOptions::standard(24));
    EXPECT_EQ(standard.input_ids, ints(c.at("standard_24_ids"))) << text;
    EXPECT_EQ(standard.attention_mask, ints(c.at("standard_24_mask"))) << text;
    // HF leaves an empty encoding unpadded; the reference pads every row to its length.
    const BertEncoding raw = tok.encode(text, BertEncodeOptions::amss_raw(16));
    std::vector<std::int64_t> raw_ids = ints(c.at("raw_16_ids"));
    std::vector<std::int64_t> raw_mask = ints(c.at("raw_16_mask"));
    if (raw_ids.empty()) {
      raw_ids.assign(16, 0);
      raw_mask.assign(16, 0);
    }
    EXPECT_EQ(raw.input_ids, raw_ids) << text;
    EXPECT_EQ(raw.attention_mask, raw_mask) << text;
  }
}

BertTokenizer tiny() {
  return BertTokenizer(std::vector<std::string>{"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "un",
                                                "##aff", "##able", "hello", "!", "cafe"});
}

TEST(BertTokenizer, WordPieceIsGreedyLongestMatchFirst) {
  const BertTokenizer tok = tiny();
  EXPECT_EQ(tok.tokenize("UNAFFABLE hello!"),
            (std::vector<std::string>{"un", "##aff", "##able", "hello", "!"}));
  // No piece for "##x": the whole word is unknown.
  EXPECT_EQ(tok.tokenize("unaffx Café"), (std::vector<std::string>{"[UNK]", "cafe"}));
  EXPECT_EQ(tok.token_ids("unaffx\tcafe\xCC\x81"), (std::vector<std::int64_t>{1, 10}));
}

TEST(BertTokenizer, ReferenceConventionTruncatesAndPadsTo128) {
  const BertTokenizer tok = tiny();
  std::string long_text;
  for (int i = 0; i < 200; ++i) long_text += "hello ";
  const BertEncoding enc = tok.encode(long_text);
  EXPECT_EQ(enc.input_ids, std::vector<std::int64_t>(128, 8));
  const BertEncoding short_enc = tok.encode("hello!");
  ASSERT_EQ(short_enc.input_ids.size(), 128u);
  EXPECT_EQ(short_enc.input_ids[0], 8);
  EXPECT_EQ(short_enc.input_ids[1], 9);
  EXPECT_EQ(short_enc.input_ids[2], 0);
  EXPECT_EQ(short_enc.attention_mask[1], 1);
  EXPECT_EQ(short_enc.attention_mask[2], 0);
}

TEST(BertTokenizer, StandardConventionAddsClsAndSep) {
  const BertTokenizer tok = tiny();
  const BertEncoding enc = tok.encode("hello hello hello", BertEncodeOptions::standard(4));
  EXPECT_EQ(enc.input_ids, (std::vector<std::int64_t>{2, 8, 8, 3}));
  EXPECT_EQ(enc.attention_mask, (std::vector<std::int64_t>{1, 1, 1, 1}));
}

TEST(BertTokenizer, BatchPadsToTheLongestRow) {
  const BertTokenizer tok = tiny();
  BertEncodeOptions options;
  options.pad_to_max_length = false;
  const BertBatch batch = tok.encode_batch({"hello", "hello ! un"}, options);
  EXPECT_EQ(batch.input_ids.shape(), (Shape{2, 3}));
  EXPECT_EQ(batch.input_ids.dtype(), kInt64);
  EXPECT_EQ(batch.input_ids.to_vector<std::int64_t>(),
            (std::vector<std::int64_t>{8, 0, 0, 8, 9, 5}));
  EXPECT_EQ(batch.attention_mask.to_vector<std::int64_t>(),
            (std::vector<std::int64_t>{1, 0, 0, 1, 1, 1}));
}

TEST(BertTokenizer, ErrorsNameTheProblem) {
  EXPECT_MG_ERROR(BertTokenizer(std::vector<std::string>{"[PAD]", "a"}), "BertTokenizer",
                  "no [UNK]");
  EXPECT_MG_ERROR(BertTokenizer(kDir + "/missing_vocab.txt"), "missing_vocab.txt");
  EXPECT_MG_ERROR(tiny().encode("hello", BertEncodeOptions::standard(2)), "max_length 2");
}

}  // namespace
}  // namespace mg::data
