// Kinetics-Sounds (datasets/kinetics_sounds.h) on tests/fixtures/datasets/kinetics_sounds,
// written by tools/make_fixtures.py (specs/datasets.md §6.6).
#include "datasets/kinetics_sounds.h"

#include <cstdio>
#include <fstream>

#include "test_util.h"
#include "tests/datasets/textured_copy.h"

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

KineticsSoundsOptions options(const std::string& split = "train") {
  KineticsSoundsOptions o;
  o.root = kRoot;
  o.split = split;
  return o;
}

// The fixture's spectrogram of row `number`: number + t/8 + f/1024 at (f, t), [1, 257, 6].
void expect_audio_of_row(const Tensor& audio, int number) {
  ASSERT_EQ(audio.shape(), (Shape{1, 257, 6}));
  ASSERT_EQ(audio.dtype(), kFloat32);
  const std::vector<float> v = audio.to_vector<float>();
  for (std::int64_t f = 0; f < 257; f += 64)
    for (std::int64_t t = 0; t < 6; ++t)
      EXPECT_EQ(v[f * 6 + t], static_cast<float>(number + t / 8.0 + f / 1024.0)) << f << " " << t;
}

std::vector<std::int64_t> labels_of(const KineticsSoundsDataset& data) {
  std::vector<std::int64_t> labels;
  for (std::int64_t i = 0; i < data.size(); ++i) labels.push_back(data.label(i));
  return labels;
}

TEST(KineticsSounds, AmssLayoutKeepsRowsWithFourFramesAndAPickle) {
  const KineticsSoundsDataset data(options());
  ASSERT_EQ(data.size(), 5);
  ASSERT_EQ(data.dropped().size(), 2u);
  EXPECT_NE(data.dropped()[0].reason.find("3 frames (*.jpg), fewer than 4"), std::string::npos);
  EXPECT_EQ(data.dropped()[1].source, kRoot + "/train_wav_pkl/fxCards0002_000005_000015.pkl");
  // First appearance among the kept rows: the dropped first row (bowling) does not count.
  EXPECT_EQ(data.class_names(),
            (std::vector<std::string>{"playing drums", "shuffling \"cards\"", "bowling"}));
  EXPECT_EQ(labels_of(data), (std::vector<std::int64_t>{0, 1, 2, 0, 2}));
  // Rows 1-4 and 6: pickle protocols 3, 4, 2, float64, numpy 2's module name.
  const int rows[] = {1, 2, 3, 4, 6};
  for (std::int64_t i = 0; i < data.size(); ++i) {
    const Sample sample = data.get(i);
    SCOPED_TRACE(sample.source);
    expect_audio_of_row(sample.inputs.at("audio"), rows[i]);
    EXPECT_EQ(sample.inputs.at("visual").shape(), (Shape{3, 3, 224, 224}));
    EXPECT_EQ(sample.label, data.label(i));
  }
}

TEST(KineticsSounds, TestUsesTrainsMapAndTheFirstThreeSortedFrames) {
  const KineticsSoundsDataset data(options("test"));
  ASSERT_EQ(data.size(), 3);
  EXPECT_EQ(labels_of(data), (std::vector<std::int64_t>{0, 1, 2}));
  const Tensor visual = data.get(1).inputs.at("visual");
  const std::vector<float> v = visual.to_vector<float>();
  // Row 8, frame j: (160, 20 j, 100); green of frames 1, 2, 3 (j = 0, 1, 2).
  for (std::int64_t t = 0; t < 3; ++t) {
    const float green = v[((1 * 3 + t) * 224 + 100) * 224 + 100];
    EXPECT_NEAR((green * kImageNetStd[1] + kImageNetMean[1]) * 255.0, 20.0 * t, 3.0);
  }
  expect_audio_of_row(data.get(2).inputs.at("audio"), 9);
}

TEST(KineticsSounds, OgmGeListsNpyAudioAndUnknownLabels) {
  KineticsSoundsOptions o = options();
  o.format = KineticsSoundsFormat::OgmGe;
  const KineticsSoundsDataset ogm(o);
  EXPECT_EQ(ogm.class_names().size(), 31u);
  EXPECT_EQ(labels_of(ogm), (std::vector<std::int64_t>{11, 24, 2, 11, 2}));
  o = options();
  o.audio_dir = "train_wav_npy";
  o.audio_mode = AudioMode::Npy;
  const KineticsSoundsDataset npy(o);
  ASSERT_EQ(npy.size(), 5);
  expect_audio_of_row(npy.get(3).inputs.at("audio"), 4);
  o = options("test");
  o.split_files = {{"train", "annotations/train.csv"}, {"test", "annotations/unknown_label.csv"}};
  EXPECT_MG_ERROR(KineticsSoundsDataset{o},
                  "unknown_label.csv:3: label 'tickling' is not among the 3 classes");
  o.skip_bad = true;
  const KineticsSoundsDataset lenient(o);
  EXPECT_EQ(lenient.size(), 1);
  ASSERT_EQ(lenient.dropped().size(), 1u);
  o = options();
  o.missing_files = MissingFilePolicy::Error;
  EXPECT_MG_ERROR(KineticsSoundsDataset{o}, "fxBowl00001_000010_000020: 3 frames (*.jpg)",
                  "train.csv:2");
}

TEST(KineticsSounds, DeterministicPerSeedEpochAndIndex) {
  KineticsSoundsOptions textured = options();
  const testing::TexturedCopy copy(kRoot, "kinetics_sounds");
  textured.root = copy.root();
  KineticsSoundsDataset a(textured), b(textured);
  const auto visual = [](const KineticsSoundsDataset& d) {
    return d.get(4).inputs.at("visual").to_vector<float>();
  };
  EXPECT_EQ(visual(a), visual(b));
  const std::vector<float> epoch0 = visual(a);
  a.set_epoch(3);
  EXPECT_NE(visual(a), epoch0);
}

}  // namespace
}  // namespace mg::data
