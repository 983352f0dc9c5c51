// mg-train's settings: how flags, a config file and a preset combine, and the errors for bad
// ones; the stratified validation hold-out.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "datasets/file_bytes.h"
#include "experiments/train/run_data.h"
#include "experiments/train/train_config.h"
#include "test_util.h"

namespace {

using mg::train::CommandLine;
using mg::train::parse_command_line;
using mg::train::TrainConfig;

std::string write_config(const std::string& name, const std::string& text) {
  const std::string path = (std::filesystem::temp_directory_path() / name).string();
  mg::data::write_file_bytes(path,
                             {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()});
  return path;
}

TEST(TrainConfig, FlagsOverrideTheConfigFileWhichOverridesThePreset) {
  const std::string file =
      write_config("mg_train_config.json", R"({"preset": "cremad", "lr": 0.5, "epochs": 7})");
  const CommandLine line = parse_command_line({"--config", file, "--epochs=9", "--method", "amss"});
  EXPECT_EQ(line.config.dataset, "cremad");   // from the preset
  EXPECT_EQ(line.config.activation, "gelu");  // from the preset
  EXPECT_EQ(line.config.batch_size, 64);      // from the preset
  EXPECT_DOUBLE_EQ(line.config.lr, 0.5);      // the file over the preset
  EXPECT_EQ(line.config.epochs, 9);           // the flag over the file
  EXPECT_EQ(line.config.method, "amss");
  EXPECT_EQ(line.config.seed, 42U);
  EXPECT_FALSE(line.help);
}

TEST(TrainConfig, EveryPresetSetsItsDataSetAndTheReferenceOptimiser) {
  const std::map<std::string, std::string> optimizer = {
      {"embedded", "adam"}, {"cremad", "sgd"},        {"kinetics_sounds", "sgd"},
      {"sarcasm", "adam"},  {"twitter2015", "adamw"}, {"nvgesture", "sgd"}};
  for (const std::string& name : mg::train::preset_names()) {
    const CommandLine line = parse_command_line({"--preset", name});
    EXPECT_EQ(line.config.dataset, name);
    EXPECT_EQ(line.config.preset, name);
    EXPECT_EQ(line.config.optimizer, optimizer.at(name)) << name;
  }
  EXPECT_EQ(parse_command_line({"--preset", "nvgesture"}).config.milestones, "80,90");
  EXPECT_DOUBLE_EQ(parse_command_line({"--preset", "sarcasm"}).config.lr, 2e-6);
  EXPECT_MG_ERROR(parse_command_line({"--preset", "mnist"}), "unknown preset 'mnist'", "cremad");
}

TEST(TrainConfig, JsonRoundTripsEverySetting) {
  TrainConfig config;
  config.tau = 0.3;
  config.amss_sampler = "successive";
  config.seed = 123456789012345ULL;
  const mg::Json json = mg::train::to_json(config);
  EXPECT_EQ(json.as_object().size(), mg::train::settings().size());
  TrainConfig back;
  mg::train::apply_json(back, json, "test");
  EXPECT_EQ(mg::train::to_json(back), json);
  EXPECT_EQ(back.tau, 0.3);
  EXPECT_EQ(back.seed, 123456789012345ULL);
  // null clears an optional setting.
  mg::train::apply_json(back, mg::Json::parse(R"({"tau": null})", "test"), "test");
  EXPECT_FALSE(back.tau.has_value());
}

TEST(TrainConfig, BadFlagsAndValuesNameWhatIsWrong) {
  EXPECT_MG_ERROR(parse_command_line({"--learning-rate", "0.1"}), "--learning-rate",
                  "unknown setting");
  EXPECT_MG_ERROR(parse_command_line({"--lr", "fast"}), "--lr", "expects a number", "fast");
  EXPECT_MG_ERROR(parse_command_line({"--epochs", "2.5"}), "--epochs", "expects an integer");
  EXPECT_MG_ERROR(parse_command_line({"--epochs"}), "--epochs expects a value");
  EXPECT_MG_ERROR(parse_command_line({"train.json"}), "unexpected argument 'train.json'");
  EXPECT_MG_ERROR(parse_command_line({"--method", "magic"}), "--method 'magic'", "amss_plus");
  EXPECT_MG_ERROR(parse_command_line({"--epochs", "0"}), "--epochs must be positive");
  EXPECT_MG_ERROR(parse_command_line({"--holdout", "1"}), "--holdout");
  EXPECT_MG_ERROR(parse_command_line({"--select-on", "train"}), "--select-on 'train'");
  const std::string bad_key = write_config("mg_train_bad_key.json", R"({"batchsize": 3})");
  EXPECT_MG_ERROR(parse_command_line({"--config", bad_key}), bad_key, "\"batchsize\"",
                  "unknown setting");
  const std::string bad_type = write_config("mg_train_bad_type.json", R"({"lr": "0.1"})");
  EXPECT_MG_ERROR(parse_command_line({"--config", bad_type}), bad_type, "\"lr\"");
  EXPECT_MG_ERROR(parse_command_line({"--config", "/nonexistent/mg.json"}), "/nonexistent/mg.json");
}

TEST(TrainConfig, ResumeTakesTheRunsConfigAndOnlyRuntimeSettings) {
  const std::string dir = (std::filesystem::temp_directory_path() / "mg_train_resume_cfg").string();
  std::filesystem::create_directories(dir);
  TrainConfig run;
  run.method = "agm";
  run.epochs = 5;
  const std::string text = mg::train::to_json(run).dump();
  mg::data::write_file_bytes(dir + "/config.json",
                             {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()});
  const CommandLine line = parse_command_line({"--resume", dir, "--epochs", "8", "--threads", "1"});
  EXPECT_EQ(line.resume, dir);
  EXPECT_EQ(line.config.method, "agm");
  EXPECT_EQ(line.config.epochs, 8);
  EXPECT_MG_ERROR(parse_command_line({"--resume", dir, "--lr", "0.1"}),
                  "--lr cannot change when resuming");
  EXPECT_MG_ERROR(parse_command_line({"--resume", dir, "--preset", "cremad"}), "--resume");
}

TEST(TrainConfig, HelpListsEverySettingWithItsDefault) {
  const std::string help = mg::train::help_text();
  for (const mg::train::Setting& s : mg::train::settings())
    EXPECT_NE(help.find("--" + s.name + " "), std::string::npos) << s.name;
  EXPECT_NE(help.find("(default: 0.01)"), std::string::npos);
  EXPECT_NE(help.find("--resume RUN_DIR"), std::string::npos);
  EXPECT_TRUE(parse_command_line({"--lr", "1", "--help"}).help);
}

TEST(StratifiedHoldout, HoldsOutTheFractionOfEachClassDisjointlyAndReproducibly) {
  std::vector<std::int64_t> labels;
  for (int i = 0; i < 100; ++i) labels.push_back(i % 4 == 0 ? 1 : 0);  // 75 / 25
  const auto split = mg::train::stratified_holdout(labels, 0.2, 7);
  EXPECT_EQ(split.val.size(), 20U);  // 15 of class 0, 5 of class 1
  EXPECT_EQ(
      std::count_if(split.val.begin(), split.val.end(), [&](auto i) { return labels[i] == 1; }), 5);
  EXPECT_EQ(split.train.size() + split.val.size(), labels.size());
  std::vector<std::int64_t> all = split.train;
  all.insert(all.end(), split.val.begin(), split.val.end());
  std::sort(all.begin(), all.end());
  for (std::int64_t i = 0; i < 100; ++i) EXPECT_EQ(all[i], i);
  EXPECT_TRUE(std::is_sorted(split.val.begin(), split.val.end()));
  EXPECT_EQ(mg::train::stratified_holdout(labels, 0.2, 7).val, split.val);
  EXPECT_NE(mg::train::stratified_holdout(labels, 0.2, 8).val, split.val);
}

}  // namespace
