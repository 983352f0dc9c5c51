// CREMA-D (datasets/cremad.h) on tests/fixtures/datasets/cremad, written by
// tools/make_fixtures.py (specs/datasets.md §5.7).
#include "datasets/cremad.h"

#include <algorithm>
#include <cmath>
#include <memory>
#include <set>

#include "core/ops_view.h"
#include "datasets/data_loader.h"
#include "test_util.h"
#include "tests/datasets/textured_copy.h"

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

CremadOptions options(const std::string& split = "train") {
  CremadOptions o;
  o.root = kRoot;
  o.split = split;
  return o;
}

bool same(const Tensor& a, const Tensor& b) {
  return a.shape() == b.shape() && a.to_vector<float>() == b.to_vector<float>();
}

// The frequency bin with the largest time-averaged log magnitude, and that magnitude.
std::pair<std::int64_t, float> peak(const Tensor& audio) {
  const std::vector<float> v = audio.to_vector<float>();
  const std::int64_t bins = audio.size(1), frames = audio.size(2);
  std::pair<std::int64_t, float> best{-1, -1e30f};
  for (std::int64_t f = 0; f < bins; ++f) {
    double sum = 0.0;
    for (std::int64_t t = 0; t < frames; ++t) sum += v[f * frames + t];
    const auto mean = static_cast<float>(sum / static_cast<double>(frames));
    if (mean > best.second) best = {f, mean};
  }
  return best;
}

// Pixel (row, column) of channel c of frame t of a visual [3, T, H, W], un-normalized to 0..255.
double pixel(const Tensor& visual, std::int64_t c, std::int64_t t = 0, std::int64_t row = 100,
             std::int64_t column = 100) {
  const std::int64_t frames = visual.size(1), h = visual.size(2), w = visual.size(3);
  const float v = visual.to_vector<float>()[((c * frames + t) * h + row) * w + column];
  return (v * kImageNetStd[c] + kImageNetMean[c]) * 255.0;
}

TEST(Cremad, LoadsTrainWithAmssShapesLabelsAndSkipsTheMissingWav) {
  const CremadDataset data(options());
  ASSERT_EQ(data.size(), 6);
  ASSERT_EQ(data.dropped().size(), 1u);
  EXPECT_EQ(data.dropped()[0].source, kRoot + "/AudioWAV/1007_MTI_HAP_XX.wav");
  EXPECT_EQ(data.class_names(),
            (std::vector<std::string>{"NEU", "HAP", "SAD", "FEA", "DIS", "ANG"}));
  for (std::int64_t i = 0; i < data.size(); ++i) {
    const Sample sample = data.get(i);
    EXPECT_EQ(sample.label, i);
    EXPECT_EQ(data.label(i), i);
    EXPECT_EQ(sample.source, data.source(i));
    const Tensor& audio = sample.inputs.at("audio");
    const Tensor& visual = sample.inputs.at("visual");
    EXPECT_EQ(audio.shape(), (Shape{1, 257, 188}));
    EXPECT_EQ(audio.dtype(), kFloat32);
    EXPECT_EQ(visual.shape(), (Shape{3, 1, 224, 224}));
    EXPECT_EQ(visual.dtype(), kFloat32);
    // The class-i sine of 220 (i + 1) Hz peaks at bin f / (22050 / 512).
    EXPECT_NEAR(static_cast<double>(peak(audio).first), 220.0 * (i + 1) / (22050.0 / 512.0), 0.6)
        << sample.source;
  }
  EXPECT_EQ(data.source(0), kRoot + "/AudioWAV/1001_DFA_NEU_XX.wav");
}

TEST(Cremad, StereoIsAveragedToMono) {
  // ANG: the train clip is stereo with the sine on the left only, the test clip mono: the same
  // tone at half the amplitude, ln 2 lower in log magnitude.
  const float stereo = peak(CremadDataset(options()).get(5).inputs.at("audio")).second;
  const float mono = peak(CremadDataset(options("test")).get(2).inputs.at("audio")).second;
  EXPECT_NEAR(mono - stereo, std::log(2.0f), 0.01);
}

TEST(Cremad, TestSplitResizesTheFirstSortedFrame) {
  const CremadDataset data(options("test"));
  ASSERT_EQ(data.size(), 3);
  EXPECT_EQ(data.label(0), 0);
  EXPECT_EQ(data.label(1), 2);
  EXPECT_EQ(data.label(2), 5);
  const Tensor visual = data.get(2).inputs.at("visual");
  // Frame 00000 of class ANG (k = 5): red 30 + 40 k, green 40, blue 128 (JPEG: within 3).
  EXPECT_NEAR(pixel(visual, 0), 230.0, 3.0);
  EXPECT_NEAR(pixel(visual, 1), 40.0, 3.0);
  EXPECT_NEAR(pixel(visual, 2), 128.0, 3.0);
  EXPECT_TRUE(same(visual, data.get(2).inputs.at("visual")));
}

TEST(Cremad, FrameSelectionPolicies) {
  CremadOptions o = options("test");
  o.frame_selection = FrameSelection::UniformSegments;  // 3 frames, 1 segment: the middle one
  EXPECT_NEAR(pixel(CremadDataset(o).get(0).inputs.at("visual"), 1), 120.0, 3.0);
  o.num_frames = 3;
  const Tensor all = CremadDataset(o).get(0).inputs.at("visual");
  ASSERT_EQ(all.shape(), (Shape{3, 3, 224, 224}));
  EXPECT_NEAR(pixel(all, 1, 2), 200.0, 3.0);
  o.num_frames = 1;
  o.frame_selection = FrameSelection::RandomSorted;
  CremadDataset random(o);
  std::set<long> greens;
  for (std::int64_t epoch = 0; epoch < 30; ++epoch) {
    random.set_epoch(epoch);
    greens.insert(std::lround((pixel(random.get(0).inputs.at("visual"), 1) - 40.0) / 80.0));
  }
  EXPECT_EQ(greens, (std::set<long>{0, 1, 2}));  // 40, 120, 200
  o.num_frames = 4;
  EXPECT_MG_ERROR(CremadDataset(o).get(0), "1010_IWL_NEU_LO: 3 frames (*.jpg), 4 needed");
}

TEST(Cremad, RandomCropsDependOnSeedEpochAndIndexOnly) {
  CremadOptions textured = options();
  const testing::TexturedCopy copy(kRoot, "cremad");
  textured.root = copy.root();
  CremadDataset a(textured), b(textured);
  EXPECT_TRUE(same(a.get(3).inputs.at("visual"), b.get(3).inputs.at("visual")));
  EXPECT_TRUE(same(a.get(3).inputs.at("audio"), b.get(3).inputs.at("audio")));
  const Tensor epoch0 = a.get(3).inputs.at("visual");
  a.set_epoch(1);
  EXPECT_FALSE(same(a.get(3).inputs.at("visual"), epoch0));
  b.set_epoch(1);
  EXPECT_TRUE(same(a.get(3).inputs.at("visual"), b.get(3).inputs.at("visual")));
  CremadOptions other = textured;
  other.seed = 1;
  EXPECT_FALSE(same(CremadDataset(other).get(3).inputs.at("visual"), epoch0));
}

TEST(Cremad, ClassListFileAndSplitNames) {
  CremadOptions o = options("valid");  // BOM, LF
  o.class_list_file = "classes.txt";   // ANG DIS FEA HAP NEU SAD
  const CremadDataset valid(o);
  ASSERT_EQ(valid.size(), 2);
  EXPECT_EQ(valid.class_names().front(), "ANG");
  EXPECT_EQ(valid.label(0), 3);  // HAP
  EXPECT_EQ(valid.label(1), 5);  // SAD
  o.class_list_file = "annotations/stat.csv";
  EXPECT_EQ(CremadDataset(o).label(0), 1);
  o.split = "dev";
  EXPECT_MG_ERROR(CremadDataset{o},
                  "CremadDataset: no split named 'dev' (known: test, train, valid)");
  o.split_files = {{"dev", "annotations/valid.csv"}};
  EXPECT_EQ(CremadDataset(o).size(), 2);
}

TEST(Cremad, MissingFilesAndMalformedLines) {
  CremadOptions o = options();
  o.missing_files = MissingFilePolicy::Error;
  EXPECT_MG_ERROR(CremadDataset{o}, kRoot + "/AudioWAV/1007_MTI_HAP_XX.wav: missing",
                  "train.csv:4");
  o = options("malformed");
  o.split_files = {{"malformed", "annotations/malformed.csv"}};
  EXPECT_MG_ERROR(CremadDataset{o}, "malformed.csv:2: expected <stem>,<class>");
  o.skip_bad = true;
  const CremadDataset lenient(o);
  EXPECT_EQ(lenient.size(), 2);
  ASSERT_EQ(lenient.dropped().size(), 2u);
  EXPECT_EQ(lenient.dropped()[1].source, kRoot + "/annotations/malformed.csv:3");
}

TEST(Cremad, CorruptMediaNameTheFile) {
  CremadOptions o = options("corrupt");
  o.split_files = {{"corrupt", "annotations/corrupt.csv"}};
  const CremadDataset data(o);
  ASSERT_EQ(data.size(), 3);
  EXPECT_MG_ERROR(data.get(0), kRoot + "/Image-01-FPS/1013_TSI_FEA_XX/00000.jpg");
  EXPECT_MG_ERROR(data.get(1), kRoot + "/AudioWAV/1014_WSI_DIS_XX.wav");
  EXPECT_EQ(data.get(2).label, 0);
}

TEST(Cremad, AudioModes) {
  CremadOptions o = options("test");
  o.audio_mode = AudioMode::WavStft35400_10s;
  EXPECT_EQ(CremadDataset(o).get(0).inputs.at("audio").shape(), (Shape{1, 257, 1003}));
  o.audio_mode = AudioMode::WavScipyPsd1004;
  const Tensor psd = CremadDataset(o).get(0).inputs.at("audio");
  ASSERT_EQ(psd.shape(), (Shape{1, 257, 1004}));
  const std::vector<float> v = psd.to_vector<float>();
  double sum = 0.0, squares = 0.0;
  for (const float x : v) sum += x, squares += static_cast<double>(x) * x;
  const double mean = sum / static_cast<double>(v.size());
  EXPECT_NEAR(mean, 0.0, 1e-4);
  EXPECT_NEAR(std::sqrt(squares / static_cast<double>(v.size()) - mean * mean), 1.0, 1e-3);
  EXPECT_NEAR(static_cast<double>(peak(psd).first), 220.0 / (22050.0 / 512.0), 0.6);
}

TEST(Cremad, DataLoaderWithTwoWorkersMatchesGet) {
  auto data = std::make_shared<CremadDataset>(options());
  DataLoader loader(data, {.batch_size = 4, .shuffle = true, .num_workers = 2, .seed = 5});
  // The loader's epoch chooses the crops: the data set's own epoch (for get) stays 0.
  loader.set_epoch(2);
  std::int64_t seen = 0;
  for (const Batch& batch : loader) {
    EXPECT_EQ(batch.inputs.at("audio").size(1), 1);
    for (std::size_t b = 0; b < batch.indices.size(); ++b, ++seen) {
      const Sample sample = data->get_for_epoch(batch.indices[b], 2);
      const auto k = static_cast<std::int64_t>(b);
      EXPECT_TRUE(
          same(native::select(batch.inputs.at("visual"), 0, k), sample.inputs.at("visual")));
      EXPECT_TRUE(same(native::select(batch.inputs.at("audio"), 0, k), sample.inputs.at("audio")));
      EXPECT_EQ(batch.labels.to_vector<std::int64_t>()[b], sample.label);
    }
  }
  EXPECT_EQ(seen, 6);
  // skip_bad leaves out the two corrupt samples of corrupt.csv.
  CremadOptions o = options("corrupt");
  o.split_files = {{"corrupt", "annotations/corrupt.csv"}};
  DataLoader lenient(std::make_shared<CremadDataset>(o),
                     {.batch_size = 3, .num_workers = 2, .skip_bad = true});
  std::int64_t batches = 0;
  for (const Batch& batch : lenient) {
    ++batches;
    EXPECT_EQ(batch.indices, (std::vector<std::int64_t>{2}));
  }
  EXPECT_EQ(batches, 1);
  EXPECT_EQ(lenient.skipped().size(), 2u);
}

}  // namespace
}  // namespace mg::data
