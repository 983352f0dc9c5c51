// Twitter-2015 (datasets/twitter2015.h) on tests/fixtures/datasets/twitter2015, written by
// tools/make_fixtures.py (specs/datasets.md §8.5).
#include "datasets/twitter2015.h"

#include <cstdio>
#include <fstream>

#include "test_util.h"

namespace mg::data {
namespace {

const std::string kRoot = std::string(MG_FIXTURE_DIR) + "/datasets/twitter2015";
const std::string kTomBert = kRoot + "/absa_data/twitter2015";

TEST(TwitterSplit, TextModes) {
  EXPECT_EQ(twitter_text("$T$ is $T$ !", "X", TwitterText::TargetSubstituted), "X is X !");
  EXPECT_EQ(twitter_text("$T$ is", "X", TwitterText::Masked), "$T$ is");
  EXPECT_EQ(twitter_text("$T$ is", "X", TwitterText::MaskedSepTarget), "$T$ is [SEP] X");
}

TEST(TwitterSplit, ReadsTomBertTsvPositionally) {
  const auto train = read_tombert_tsv(kTomBert + "/train.tsv", TwitterText::TargetSubstituted);
  ASSERT_EQ(train.size(), 3u);
  EXPECT_EQ(train[0].text, "RT @ user1 : Chuck Bass is everything # MCM");
  EXPECT_EQ(train[0].label, 2);
  EXPECT_EQ(train[1].label, 1);
  EXPECT_EQ(train[1].image, train[0].image);  // two targets, one tweet and image
  EXPECT_EQ(train[2].label, 0);
  // test.tsv's header names 4 columns; rows have 5.
  const auto test = read_tombert_tsv(kTomBert + "/test.tsv", TwitterText::Masked);
  ASSERT_EQ(test.size(), 2u);
  EXPECT_EQ(test[0].text, "why is $T$ so slow");
  EXPECT_EQ(test[0].image, "1860696.jpg");
  EXPECT_EQ(test[1].where, kTomBert + "/test.tsv:3");
}

TEST(TwitterSplit, ReadsTomBertTextGroupsLikeTheTsv) {
  for (const char* split : {"train", "dev", "test"}) {
    const auto txt =
        read_tombert_txt(kTomBert + "/" + split + ".txt", TwitterText::MaskedSepTarget);
    const auto tsv =
        read_tombert_tsv(kTomBert + "/" + split + ".tsv", TwitterText::MaskedSepTarget);
    ASSERT_EQ(txt.size(), tsv.size()) << split;
    for (std::size_t i = 0; i < txt.size(); ++i) {
      EXPECT_EQ(txt[i].text, tsv[i].text);
      EXPECT_EQ(txt[i].label, tsv[i].label);
      EXPECT_EQ(txt[i].image, tsv[i].image);
    }
  }
  const std::string path = ::testing::TempDir() + "/mg_twitter.txt";
  std::ofstream(path, std::ios::binary)
      << "a $T$\r\nX\r\n1\r\n1.jpg\r\nb $T$\r\nY\r\n2\r\n2.jpg\r\nc\r\n";
  EXPECT_MG_ERROR(read_tombert_txt(path, TwitterText::Masked), path + ":5: polarity '2'");
  std::vector<DroppedSample> dropped;
  EXPECT_EQ(read_tombert_txt(path, TwitterText::Masked, {true, &dropped}).size(), 1u);
  ASSERT_EQ(dropped.size(), 2u);
  EXPECT_EQ(dropped[1].source, path + ":9");
  std::remove(path.c_str());
}

TEST(TwitterSplit, ReadsAmssNamedColumns) {
  const auto train = read_named_text_image_tsv(kRoot + "/annotations/train.tsv", 3);
  ASSERT_EQ(train.size(), 3u);
  EXPECT_EQ(train[0].text, "RT @ user1 : Chuck Bass is everything # MCM");
  EXPECT_EQ(train[0].label, 2);
  EXPECT_EQ(train[2].image, "1860694.jpg");
}

Twitter2015Options options(TwitterFormat format, const std::string& split) {
  Twitter2015Options o;
  o.root = kRoot;
  o.split = split;
  o.format = format;
  o.text.vocab_file = std::string(MG_FIXTURE_DIR) + "/datasets/sarcasm/vocab.txt";
  return o;
}

TEST(Twitter2015, LoadsEveryLayout) {
  const Twitter2015Dataset amss(options(TwitterFormat::Amss, "train"));
  ASSERT_EQ(amss.size(), 3);
  EXPECT_EQ(amss.class_names(), (std::vector<std::string>{"negative", "neutral", "positive"}));
  EXPECT_EQ(amss.label(0), 2);
  EXPECT_EQ(amss.source(2), kRoot + "/twitter2015_images/1860694.jpg");
  const Sample sample = amss.get(1);
  EXPECT_EQ(sample.inputs.at("input_ids").shape(), (Shape{128}));
  EXPECT_EQ(sample.inputs.at("attention_mask").shape(), (Shape{128}));
  EXPECT_EQ(sample.inputs.at("image").shape(), (Shape{3, 224, 224}));
  // Twitter's normalization: image 0 is (0, 120, 255).
  const std::vector<float> image = sample.inputs.at("image").to_vector<float>();
  EXPECT_NEAR(image[2 * 224 * 224] * kTwitterStd[2] + kTwitterMean[2], 1.0, 3.0 / 255.0);
  const Twitter2015Dataset tsv(options(TwitterFormat::TomBertTsv, "test"));
  ASSERT_EQ(tsv.size(), 2);
  EXPECT_EQ(tsv.text(0), "why is the subway so slow");
  Twitter2015Options masked = options(TwitterFormat::TomBertTxt, "train");
  masked.text_mode = TwitterText::Masked;
  const Twitter2015Dataset txt(masked);
  ASSERT_EQ(txt.size(), 3);
  EXPECT_EQ(txt.text(2), "$T$ lost again tonight");
  EXPECT_EQ(txt.label(2), 0);
}

TEST(Twitter2015, MissingImagePolicies) {
  Twitter2015Options o = options(TwitterFormat::TomBertTsv, "dev");
  EXPECT_MG_ERROR(Twitter2015Dataset{o}, kRoot + "/twitter2015_images/1860699.jpg: missing",
                  "dev.tsv:3");
  o.missing_files = MissingFilePolicy::Skip;
  const Twitter2015Dataset skipped(o);
  EXPECT_EQ(skipped.size(), 1);
  ASSERT_EQ(skipped.dropped().size(), 1u);
  o.missing_files = MissingFilePolicy::Placeholder;
  const Twitter2015Dataset placeholder(o);
  ASSERT_EQ(placeholder.size(), 2);
  EXPECT_TRUE(placeholder.dropped().empty());
  const std::vector<float> zeros = placeholder.get(1).inputs.at("image").to_vector<float>();
  EXPECT_EQ(zeros, std::vector<float>(3 * 224 * 224, 0.0f));
  EXPECT_EQ(placeholder.get(1).label, 1);
}

}  // namespace
}  // namespace mg::data
