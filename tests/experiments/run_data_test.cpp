// mg-train's data wiring on the tiny benchmark trees of tests/fixtures/datasets: every data set
// and layout opens its three splits, in the model's input order, with the validation split it
// has or one held out of train.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "experiments/train/run_data.h"
#include "test_util.h"

namespace {

using mg::train::TrainConfig;

const std::string kTrees = std::string(MG_FIXTURE_DIR) + "/datasets/";

TrainConfig config(const std::string& dataset, const std::string& format) {
  TrainConfig c;
  c.dataset = dataset;
  c.data_format = format;
  c.data_root = kTrees + dataset;
  c.vocab = kTrees + "sarcasm/vocab.txt";
  c.holdout = 0.5;
  return c;
}

struct Case {
  std::string dataset;
  std::string format;
  std::vector<std::string> inputs;
  std::string val_origin;  // a substring
  std::string missing_files;
};

TEST(RunData, EveryDataSetAndLayoutOpensItsSplits) {
  const std::vector<std::string> av = {"audio", "visual"};
  const std::vector<std::string> it = {"input_ids", "attention_mask", "image"};
  const std::vector<Case> cases = {
      {"cremad", "", av, "annotations/valid.csv"},
      {"kinetics_sounds", "amss", av, "% of train"},
      {"kinetics_sounds", "ogm_ge", av, "% of train"},
      {"sarcasm", "", it, "% of train"},
      {"sarcasm", "cai_raw", it, "text/valid2.txt"},
      {"twitter2015", "tombert_tsv", it, "absa_data/twitter2015/dev.tsv", "placeholder"},
      {"twitter2015", "tombert_txt", it, "absa_data/twitter2015/dev.txt", "skip"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.dataset + " " + c.format);
    TrainConfig settings = config(c.dataset, c.format);
    settings.missing_files = c.missing_files;
    mg::train::RunData data;
    try {
      data = mg::train::load_data(settings);
    } catch (const mg::Error& e) {
      ADD_FAILURE() << e.what();
      continue;
    }
    EXPECT_EQ(data.input_names, c.inputs);
    EXPECT_NE(data.val_origin.find(c.val_origin), std::string::npos) << data.val_origin;
    for (const auto* split : {&data.train, &data.val, &data.test}) {
      ASSERT_GT((*split)->size(), 0);
      const mg::data::Sample sample = (*split)->get(0);
      for (const std::string& name : c.inputs) EXPECT_TRUE(sample.inputs.contains(name)) << name;
    }
  }
}

// NVGesture's tree has one training sample per class, and a class's last sample is never held
// out: no validation split can be formed.
TEST(RunData, AHoldOutNeedsAClassWithTwoSamples) {
  EXPECT_MG_ERROR(mg::train::load_data(config("nvgesture", "avi")),
                  "--holdout 0.5 of 2 training samples leaves an empty split");
}

// --twitter-text reaches the TomBERT reader: the tweet with $T$ kept tokenizes otherwise than
// with the target in its place.
TEST(RunData, TwitterTextModeReachesTheTomBertReader) {
  auto first_ids = [](const std::string& mode) {
    TrainConfig c = config("twitter2015", "tombert_tsv");
    c.missing_files = "placeholder";
    c.twitter_text = mode;
    return mg::train::load_data(c).test->get(0).inputs.at("input_ids").to_vector<std::int64_t>();
  };
  EXPECT_EQ(first_ids(""), first_ids("target"));
  EXPECT_NE(first_ids("masked"), first_ids("target"));
  EXPECT_NE(first_ids("sep_target"), first_ids("masked"));
}

TEST(RunData, BadLayoutsAndRootsAreNamed) {
  EXPECT_MG_ERROR(mg::train::load_data(config("sarcasm", "csv")), "--data-format 'csv'", "cai_raw");
  EXPECT_MG_ERROR(mg::train::load_data(config("cremad", "ogm_ge")), "--data-format 'ogm_ge'");
  TrainConfig audio = config("cremad", "");
  audio.audio_mode = "mp3";
  EXPECT_MG_ERROR(mg::train::load_data(audio), "--audio-mode 'mp3'", "wav_stft_22050_3s");
  TrainConfig missing = config("cremad", "");
  missing.data_root = "/nonexistent/cremad";
  EXPECT_MG_ERROR(mg::train::load_data(missing), "/nonexistent/cremad", "not a folder");
  TrainConfig no_root = config("nvgesture", "");
  no_root.data_root.clear();
  EXPECT_MG_ERROR(mg::train::load_data(no_root), "--data-root is required");
  TrainConfig text = config("twitter2015", "tombert_tsv");
  text.twitter_text = "raw";
  EXPECT_MG_ERROR(mg::train::load_data(text), "--twitter-text 'raw'", "sep_target");
  text = config("twitter2015", "amss");
  text.twitter_text = "masked";
  EXPECT_MG_ERROR(mg::train::load_data(text), "--twitter-text 'masked'", "TomBERT layout");
  TrainConfig policy = config("twitter2015", "tombert_tsv");
  policy.missing_files = "ignore";
  EXPECT_MG_ERROR(mg::train::load_data(policy), "--missing-files 'ignore'", "placeholder");
  TrainConfig no_vocab = config("sarcasm", "");
  no_vocab.vocab.clear();
  EXPECT_MG_ERROR(mg::train::load_data(no_vocab), "--vocab");
}

}  // namespace
