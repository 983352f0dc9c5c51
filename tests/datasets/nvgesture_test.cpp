// NVGesture (datasets/nvgesture.h) on tests/fixtures/datasets/nvgesture, written by
// tools/make_fixtures.py (specs/datasets.md §9.6).
#include "datasets/nvgesture.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>

#include "test_util.h"

namespace mg::data {
namespace {

const std::string kRoot = std::string(MG_FIXTURE_DIR) + "/datasets/nvgesture";

TEST(NvGestureSplit, ParsesTheListsTrailingSpaceAndRelabels) {
  const auto rows = read_nvgesture_list(kRoot + "/nvgesture_train_correct_cvpr2016_v2.lst", kRoot);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].folder, kRoot + "/Video_data/class_01/subject1_r0");
  EXPECT_EQ(rows[0].label, 0);
  EXPECT_EQ(rows[0].line_index, 0);
  const NvGestureWindow& color = rows[0].sensors.at("color");
  EXPECT_EQ(color.stem, "sk_color");
  EXPECT_EQ(color.start, 2);
  EXPECT_EQ(color.end, 82);
  EXPECT_EQ(rows[0].sensors.at("depth").stem, "sk_depth");
  EXPECT_EQ(rows[0].sensors.at("duo_left").end - rows[0].sensors.at("duo_left").start, 93);
  // v2 relabels: folder class_02, label 5 -> 4.
  EXPECT_EQ(rows[1].folder, kRoot + "/Video_data/class_02/subject3_r0");
  EXPECT_EQ(rows[1].label, 4);
  EXPECT_EQ(rows[1].line_index, 1);
  // The v1 list has no final newline.
  const auto v1 = read_nvgesture_list(kRoot + "/nvgesture_train_correct_cvpr2016.lst", kRoot);
  ASSERT_EQ(v1.size(), 2u);
  EXPECT_EQ(v1[1].label, 1);
}

TEST(NvGestureSplit, BadLines) {
  const std::string path = ::testing::TempDir() + "/mg_nv.lst";
  std::ofstream(path, std::ios::binary) << "path:./V/a depth:d:1:81 color:c:1:81 label:1 \n"
                                        << "path:./V/b depth:d:1:81 color:c:9:3 label:1 \n"
                                        << "path:./V/c depth:d:1:81 color:c:1:81 label:26 \n"
                                        << "path:./V/d depth:d:1:81 label:2 \n";
  EXPECT_MG_ERROR(read_nvgesture_list(path, "/r"), path + ":2: bad sensor token 'color:c:9:3'");
  std::vector<DroppedSample> dropped;
  const auto rows = read_nvgesture_list(path, "/r", 25, {true, &dropped});
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].folder, "/r/V/a");
  ASSERT_EQ(dropped.size(), 3u);
  EXPECT_EQ(dropped[1].reason, "label '26' is not in 1..25");
  EXPECT_EQ(dropped[2].source, path + ":4");
  std::remove(path.c_str());
}

// Small sizes for the 32 x 24 fixture frames: resize 24, crop 16, flow files 24 x 24 x 2 x 6.
NvGestureOptions options(const std::string& split) {
  NvGestureOptions o;
  o.root = kRoot;
  o.split = split;
  o.resize = 24;
  o.crop = 16;
  return o;
}

float at(const Tensor& t, std::int64_t c, std::int64_t f, std::int64_t i, std::int64_t j) {
  const std::int64_t frames = t.size(1), h = t.size(2), w = t.size(3);
  return t.to_vector<float>()[((c * frames + f) * h + i) * w + j];
}

// Colour frame f of the fixture is RGB (10 + 2f, 60, 250 - 2f); depth 5 + 3f; within JPEG's 3.
void expect_frames(const Sample& sample, std::int64_t first_video_frame, std::int64_t frames,
                   bool bgr = true) {
  const Tensor& rgb = sample.inputs.at("rgb");
  const Tensor& depth = sample.inputs.at("depth");
  ASSERT_EQ(rgb.shape(), (Shape{3, frames, 16, 16}));
  ASSERT_EQ(depth.shape(), (Shape{1, frames, 16, 16}));
  for (std::int64_t t = 0; t < frames; t += 9) {
    const double f = static_cast<double>(first_video_frame + t);
    const double red = 10 + 2 * f, blue = 250 - 2 * f;
    const double channel0 = bgr ? blue : red, channel2 = bgr ? red : blue;
    const auto value = [&](std::int64_t c) {
      return (at(rgb, c, t, 5, 7) * kImageNetStd[c] + kImageNetMean[c]) * 255.0;
    };
    EXPECT_NEAR(value(0), channel0, 3.0) << t;
    EXPECT_NEAR(value(1), 60.0, 3.0) << t;
    EXPECT_NEAR(value(2), channel2, 3.0) << t;
    EXPECT_NEAR(at(depth, 0, t, 5, 7) * 255.0, 5 + 3 * f, 3.0) << t;
  }
}

// Flow (h, w, c, t) of the fixture is h·1024 + w·32 + c·16 + t; the crop starts at (top, left).
void expect_flow(const Tensor& flow, std::int64_t top, std::int64_t left) {
  ASSERT_EQ(flow.shape(), (Shape{2, 6, 16, 16}));
  ASSERT_EQ(flow.dtype(), kFloat32);
  for (std::int64_t c = 0; c < 2; ++c)
    for (std::int64_t t = 0; t < 6; ++t)
      for (std::int64_t i = 0; i < 16; i += 5)
        for (std::int64_t j = 0; j < 16; j += 3)
          EXPECT_EQ(at(flow, c, t, i, j),
                    static_cast<float>((top + i) * 1024 + (left + j) * 32 + c * 16 + t));
}

TEST(NvGesture, TrainDrawsOneCropAndStartForAllModalities) {
  NvGestureDataset data(options("train"));
  ASSERT_EQ(data.size(), 2);
  EXPECT_EQ(data.label(0), 0);
  EXPECT_EQ(data.label(1), 4);
  EXPECT_EQ(data.source(1), kRoot + "/Video_data/class_02/subject3_r0/sk_color.avi");
  const std::int64_t window_start[] = {2, 1};
  std::set<std::int64_t> firsts;
  for (std::int64_t epoch = 0; epoch < 3; ++epoch) {
    data.set_epoch(epoch);
    for (std::int64_t i = 0; i < data.size(); ++i) {
      const Sample sample = data.get(i);
      const NvGestureDataset::Draws d = data.draws(i);
      EXPECT_GE(d.x, 0);
      EXPECT_LE(d.x, 8);
      EXPECT_LE(d.y, 8);
      EXPECT_LE(d.first, 16);
      firsts.insert(d.first);
      expect_frames(sample, window_start[i] + d.first, 64);
      // The int16 flow file (line 1) reads like the float32 one.
      expect_flow(sample.inputs.at("flow"), d.y, d.x);
      EXPECT_EQ(sample.label, data.label(i));
    }
  }
  EXPECT_GT(firsts.size(), 1u);
}

TEST(NvGesture, TestKeepsEightyFramesAndCentres) {
  NvGestureOptions o = options("test");
  const NvGestureDataset avi(o);
  ASSERT_EQ(avi.size(), 1);
  const Sample sample = avi.get(0);
  expect_frames(sample, 3, 80);
  expect_flow(sample.inputs.at("flow"), 4, 4);
  EXPECT_EQ(avi.draws(0).x, 0);
  // ffmpeg frame folders (00001.jpg = frame 0) hold the same JPEGs.
  o.video = NvGestureVideo::FrameFolders;
  const Sample folders = NvGestureDataset(o).get(0);
  for (const char* name : {"rgb", "depth", "flow"}) {
    EXPECT_EQ(folders.inputs.at(name).to_vector<float>(), sample.inputs.at(name).to_vector<float>())
        << name;
  }
  o.video = NvGestureVideo::Avi;
  o.bgr = false;
  expect_frames(NvGestureDataset(o).get(0), 3, 80, false);
}

TEST(NvGesture, FramesPastTheVideoEndAreZero) {
  // A window of 84 frames from frame 3 in an 84-frame video: frames 81.. do not exist.
  const std::string list = ::testing::TempDir() + "/mg_nv_end.lst";
  std::ofstream(list, std::ios::binary)
      << "path:" << kRoot << "/Video_data/class_01/subject5_r0 depth:sk_depth:3:87 "
      << "color:sk_color:3:87 label:1 \n";
  NvGestureOptions o = options("test");
  o.split_files = {{"test", list}};
  o.clip_frames = 84;
  const Sample sample = NvGestureDataset(o).get(0);
  const Tensor& depth = sample.inputs.at("depth");
  ASSERT_EQ(depth.shape(), (Shape{1, 84, 16, 16}));
  EXPECT_NEAR(at(depth, 0, 80, 0, 0) * 255.0, 5 + 3 * 83, 3.0);
  EXPECT_EQ(at(depth, 0, 81, 0, 0), 0.0f);
  EXPECT_EQ(at(depth, 0, 83, 15, 15), 0.0f);
  std::remove(list.c_str());
}

TEST(NvGesture, MissingFilesAndCorruptVideos) {
  const std::string list = ::testing::TempDir() + "/mg_nv_missing.lst";
  std::ofstream(list, std::ios::binary)
      << "path:./Video_data/class_01/subject1_r0 depth:sk_depth:2:82 color:sk_color:2:82 label:1 \n"
      << "path:./Video_data/class_09/subject9_r9 depth:sk_depth:2:82 color:sk_color:2:82 label:9 "
         "\n";
  NvGestureOptions o = options("train");
  o.split_files = {{"train", list}};
  EXPECT_MG_ERROR(NvGestureDataset{o},
                  kRoot + "/Video_data/class_09/subject9_r9/sk_color.avi: missing", list + ":2");
  o.missing_files = MissingFilePolicy::Skip;
  EXPECT_EQ(NvGestureDataset(o).size(), 1);
  // A video whose JPEG frames lost their start-of-image markers: the error names it.
  const std::string dir = ::testing::TempDir() + "/mg_nv_corrupt/Video_data/class_01/subject1_r0";
  std::filesystem::create_directories(dir);
  std::filesystem::create_directories(::testing::TempDir() +
                                      "/mg_nv_corrupt/Video_data/flow_data/train");
  const std::string source = kRoot + "/Video_data/class_01/subject1_r0/";
  std::filesystem::copy_file(source + "sk_depth.avi", dir + "/sk_depth.avi",
                             std::filesystem::copy_options::overwrite_existing);
  std::filesystem::copy_file(
      kRoot + "/Video_data/flow_data/train/0.npy",
      ::testing::TempDir() + "/mg_nv_corrupt/Video_data/flow_data/train/0.npy",
      std::filesystem::copy_options::overwrite_existing);
  {
    std::ifstream in(source + "sk_color.avi", std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    for (std::size_t hit; (hit = bytes.find("\xFF\xD8\xFF")) != std::string::npos;)
      bytes.replace(hit, 3, std::string(3, '\0'));
    std::ofstream(dir + "/sk_color.avi", std::ios::binary) << bytes;
  }
  NvGestureOptions c = options("train");
  c.root = ::testing::TempDir() + "/mg_nv_corrupt";
  c.split_files = {{"train", kRoot + "/nvgesture_train_correct_cvpr2016_v2.lst"}};
  c.missing_files = MissingFilePolicy::Skip;  // only the first sample is copied
  const NvGestureDataset corrupt(c);
  ASSERT_EQ(corrupt.size(), 1);
  EXPECT_MG_ERROR(corrupt.get(0), dir + "/sk_color.avi");
  std::filesystem::remove_all(::testing::TempDir() + "/mg_nv_corrupt");
  std::remove(list.c_str());
}

}  // namespace
}  // namespace mg::data
