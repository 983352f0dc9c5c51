// mg-train's runs on the tiny embedded data set (MG_EMBEDDED_TINY_DIR, 12/6/6 samples): what a
// run directory holds, and that a resumed run logs exactly what an uninterrupted one does.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "core/json.h"
#include "core/safetensors.h"
#include "datasets/file_bytes.h"
#include "experiments/train/trainer.h"
#include "test_util.h"

namespace {

namespace fs = std::filesystem;
using mg::Json;
using mg::train::TrainConfig;

std::string scratch(const std::string& name) {
  const fs::path dir = fs::temp_directory_path() / ("mg_train_test_" + name);
  fs::remove_all(dir);
  return dir.string();
}

TrainConfig tiny(const std::string& method, const std::string& out) {
  TrainConfig c;
  mg::train::apply_preset(c, "embedded");
  c.data_root = MG_EMBEDDED_TINY_DIR;
  c.method = method;
  c.width = 4;
  c.batch_size = 4;
  c.eval_batch_size = 6;
  c.workers = 2;
  c.schedule = "step";
  c.step_size = 2;
  c.epochs = 3;
  c.progress = false;
  c.out = out;
  return c;
}

std::vector<Json> metric_lines(const std::string& dir) {
  std::vector<Json> lines;
  const std::vector<std::uint8_t> bytes = mg::data::read_file_bytes(dir + "/metrics.jsonl");
  for (std::string_view line : mg::data::text_lines(bytes))
    lines.push_back(Json::parse(line, dir + "/metrics.jsonl"));
  return lines;
}

// A metrics line without the wall-clock numbers, which no two runs share.
Json without_timing(Json line) {
  Json train = Json::object();
  for (const auto& [key, value] : line.at("train").as_object())
    if (key != "seconds" && key != "step_ms" && key != "samples_per_s") train.set(key, value);
  line.set("train", train);
  return line;
}

TEST(MgTrain, ARunWritesItsConfigMetricsCheckpointsAndSummary) {
  const std::string dir = mg::train::train(tiny("amss_plus", scratch("files")));
  for (const char* file : {"config.json", "metrics.jsonl", "checkpoint.safetensors",
                           "best.safetensors", "summary.json", "train.log"})
    EXPECT_TRUE(fs::exists(dir + "/" + file)) << file;
  const std::vector<Json> lines = metric_lines(dir);
  ASSERT_EQ(lines.size(), 3U);
  for (std::size_t e = 0; e < lines.size(); ++e) {
    EXPECT_EQ(lines[e].at("epoch").as_int(), static_cast<std::int64_t>(e));
    EXPECT_EQ(lines[e].at("method").as_string(), "amss_plus");
    const Json& val = lines[e].at("val");
    const double accuracy = val.at("accuracy").as_double();
    EXPECT_GE(accuracy, 0);
    EXPECT_LE(accuracy, 1);
    EXPECT_TRUE(val.at("modality_accuracy").find("audio") != nullptr);
    EXPECT_TRUE(val.at("modality_accuracy").find("visual") != nullptr);
    // AMSS+ logs its ratios: one per modality, in (0, 1].
    const double rho = lines[e].at("rho").at("visual").at("mean").as_double();
    EXPECT_GT(rho, 0);
    EXPECT_LE(rho, 1);
  }
  // StepLR(2, 0.1): the third epoch trains at a tenth of the rate.
  EXPECT_DOUBLE_EQ(lines[2].at("lr").as_double(), 0.1 * lines[0].at("lr").as_double());
  // The config.json reproduces the settings.
  const std::vector<std::uint8_t> bytes = mg::data::read_file_bytes(dir + "/config.json");
  const Json config = Json::parse(
      std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()), "config.json");
  TrainConfig read_back;
  mg::train::apply_json(read_back, config, "config.json");
  EXPECT_EQ(mg::train::to_json(read_back), config);
  EXPECT_EQ(read_back.width, 4);
  const mg::SafetensorsFile checkpoint = mg::load_safetensors(dir + "/checkpoint.safetensors");
  EXPECT_EQ(checkpoint.metadata.at("next_epoch"), "3");
  EXPECT_NE(checkpoint.find("model.audio_net.conv1.weight"), nullptr);
  EXPECT_NE(checkpoint.find("optimizer.group.0.lr"), nullptr);
}

// For each method with state between steps or epochs: 2 epochs, stop, resume to 3, against 3
// epochs straight; the logs (learning rates included) agree to the last bit.
TEST(MgTrain, AResumedRunLogsWhatAnUninterruptedRunDoes) {
  for (const std::string method : {"amss_plus", "agm", "pmr", "ogm_ge"}) {
    SCOPED_TRACE(method);
    // PMR also under the plateau schedule, whose best loss and bad-epoch count carry over.
    auto config = [&](const std::string& name) {
      TrainConfig c = tiny(method, scratch(method + name));
      if (method == "pmr") {
        c.schedule = "plateau";
        c.patience = 0;
      }
      return c;
    };
    const std::string straight = mg::train::train(config("_straight"));
    TrainConfig first = config("_split");
    first.epochs = 2;
    const std::string split = mg::train::train(first);
    ASSERT_EQ(metric_lines(split).size(), 2U);
    TrainConfig rest = first;
    rest.epochs = 3;
    mg::train::resume(rest, split);
    const std::vector<Json> a = metric_lines(straight), b = metric_lines(split);
    ASSERT_EQ(a.size(), 3U);
    ASSERT_EQ(b.size(), 3U);
    for (std::size_t e = 0; e < a.size(); ++e)
      EXPECT_EQ(without_timing(a[e]).dump(), without_timing(b[e]).dump()) << "epoch " << e;
  }
}

TEST(MgTrain, RefusesToOverwriteARunAndNamesWhatIsWrongWithACheckpoint) {
  const std::string dir = mg::train::train(tiny("naive", scratch("refuse")));
  EXPECT_MG_ERROR(mg::train::train(tiny("naive", dir)), "already holds a run", "--resume");
  EXPECT_MG_ERROR(mg::train::resume(tiny("amss", dir), dir), "written by method naive", "amss");
  const std::string empty = scratch("no_checkpoint");
  fs::create_directories(empty);
  EXPECT_MG_ERROR(mg::train::resume(tiny("naive", empty), empty), "no checkpoint.safetensors");
  const std::string truncated = dir + "/checkpoint.safetensors";
  fs::resize_file(truncated, fs::file_size(truncated) / 2);
  EXPECT_MG_ERROR(mg::train::resume(tiny("naive", dir), dir), "checkpoint.safetensors");
}

}  // namespace
