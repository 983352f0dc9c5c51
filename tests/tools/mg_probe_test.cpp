// mg-probe's function on a tiny mg-train run (MG_EMBEDDED_TINY_DIR, 12/6/6 samples).
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "core/json.h"
#include "datasets/file_bytes.h"
#include "experiments/train/linear_probe.h"
#include "experiments/train/trainer.h"
#include "test_util.h"

namespace {

namespace fs = std::filesystem;

// One run per test: CTest runs the tests of this file as processes side by side.
std::string tiny_run(const std::string& name) {
  const fs::path dir = fs::temp_directory_path() / ("mg_probe_test_" + name);
  fs::remove_all(dir);
  mg::train::TrainConfig c;
  mg::train::apply_preset(c, "embedded");
  c.data_root = MG_EMBEDDED_TINY_DIR;
  c.width = 4;
  c.batch_size = 4;
  c.eval_batch_size = 6;
  c.workers = 1;
  c.epochs = 1;
  c.progress = false;
  c.out = dir.string();
  return mg::train::train(c);
}

TEST(MgProbe, ProbesEveryModalityOfARunAndWritesProbeJson) {
  const std::string dir = tiny_run("probes");
  mg::train::ProbeRunOptions options;
  options.run_dir = dir;
  options.probe.epochs = 50;
  const mg::Json result = mg::train::probe_run(options);
  const std::vector<std::uint8_t> bytes = mg::data::read_file_bytes(dir + "/probe.json");
  const mg::Json written = mg::Json::parse(
      std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()), "probe.json");
  EXPECT_EQ(written, result);
  for (const char* modality : {"audio", "visual"}) {
    SCOPED_TRACE(modality);
    const mg::Json* entry = written.find(modality);
    ASSERT_NE(entry, nullptr);
    for (const char* key : {"val_accuracy", "train_accuracy"}) {
      const double accuracy = entry->at(key).as_double();
      EXPECT_GE(accuracy, 0);
      EXPECT_LE(accuracy, 1);
    }
  }
  // 12 training samples of 8·4 = 32 features: the probe fits them.
  EXPECT_GE(written.at("visual").at("train_accuracy").as_double(), 0.99);

  options.modalities = {"audio"};
  const mg::Json audio_only = mg::train::probe_run(options);
  EXPECT_NE(audio_only.find("audio"), nullptr);
  EXPECT_EQ(audio_only.find("visual"), nullptr);
}

TEST(MgProbe, NamesAMissingRunAndAnUnknownModality) {
  mg::train::ProbeRunOptions options;
  options.run_dir = (fs::temp_directory_path() / "mg_probe_test_nothing_here").string();
  EXPECT_MG_ERROR(mg::train::probe_run(options), "mg-probe", "mg_probe_test_nothing_here");
  options.run_dir = tiny_run("errors");
  options.modalities = {"smell"};
  EXPECT_MG_ERROR(mg::train::probe_run(options), "mg-probe", "smell", "audio, visual");
}

}  // namespace
