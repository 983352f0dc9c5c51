#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "datasets/benchmark_dataset.h"
#include "datasets/image_pipeline.h"
#include "datasets/split_rows.h"

// NVGesture (specs/datasets.md §9), 25 classes: RGB, optical flow and depth clips, in the layout
// AMSS reads:
//   <root>/nvgesture_{train,test}_correct_cvpr2016_v2.lst   (or ..._correct_v2.lst)
//   <root>/Video_data/class_XX/subject<S>_r<R>/sk_color.avi, sk_depth.avi   (MJPEG AVI)
//   <root>/Video_data/flow_data/{train,test}/<line>.npy      (H, W, 2, T), any numeric dtype
// or, instead of the AVIs, ffmpeg's frame folders sk_color_all/%05d.jpg, sk_depth_all/%05d.jpg
// (numbered from 00001: video frame f is file f + 1).
namespace mg::data {

enum class NvGestureVideo { Avi, FrameFolders };

struct NvGestureOptions {
  std::string root;
  std::string split = "train";
  // Split name -> list file under root; empty: nvgesture_<split>_correct_cvpr2016_v2.lst for train
  // and test, or nvgesture_<split>_correct_v2.lst (AMSS's name) when only that one exists.
  std::map<std::string, std::string> split_files;
  NvGestureVideo video = NvGestureVideo::Avi;
  std::string flow_dir = "Video_data/flow_data";  // <flow_dir>/<split>/<line>.npy
  std::int64_t num_classes = 25;
  // AMSS's sizes: frames resized to resize x resize, cropped to crop x crop; the container holds
  // clip_frames frames from the window's start; training keeps train_frames of them.
  std::int64_t resize = 256;
  std::int64_t crop = 224;
  std::int64_t clip_frames = 80;
  std::int64_t train_frames = 64;
  // The reference never converts OpenCV's BGR frames to RGB (yet normalizes with ImageNet's RGB
  // statistics); false gives RGB.
  bool bgr = true;
  std::vector<double> mean = kImageNetMean;
  std::vector<double> std = kImageNetStd;
  // Training draws (random crop and start frame, shared by the modalities); unset: on for the
  // split named "train".
  std::optional<bool> augment;
  // A sample folder without its videos or flow file: AMSS raises.
  MissingFilePolicy missing_files = MissingFilePolicy::Error;
  bool skip_bad = false;
  std::uint64_t seed = 0;
};

// One sensor of a list line: the video <folder>/<stem>.avi and the window start .. end-1.
struct NvGestureWindow {
  std::string stem;
  std::int64_t start = 0;
  std::int64_t end = 0;
};

struct NvGestureRow {
  std::string folder;                              // the sample folder, under the data root
  std::map<std::string, NvGestureWindow> sensors;  // "color", "depth", "duo_left"
  std::int64_t label = 0;                          // 0-based (the list's label - 1)
  std::int64_t line_index = 0;                     // 0-based line: the flow file's name
  std::string where;                               // "<file>:<line>"
};

// An NVGesture list (§9.2): space-separated key:value tokens, empty tokens ignored (the trailing
// space); path:<folder> first, then <sensor>:<stem>:<start>:<end> for color, depth and duo_left
// and label:<1..num_classes>. A leading "./" of the folder is replaced by `root` + "/" (AMSS
// replaces "./Video_data" by <data_root>Video_data); a relative folder is taken under root. A line
// without path, color, depth or a valid label, or with a window whose end is not after its start,
// is a bad line.
std::vector<NvGestureRow> read_nvgesture_list(const std::string& path, const std::string& root,
                                              std::int64_t num_classes = 25,
                                              const BadLines& bad = {false, nullptr});

// The NVGesture loader (AMSS_rod's reading, specs/datasets.md §9.3-§9.5). Sample i has inputs
//   "rgb"    float32 [3, T, crop, crop]   ToTensor + Normalize(mean, std); BGR unless bgr = false
//   "flow"   float32 [2, Tf, crop, crop]  the flow file's values as they are, all its Tf frames
//   "depth"  float32 [1, T, crop, crop]   channel 0 of the (BGR) frames, ToTensor only
// (C, T, H, W), T = train_frames when augmenting, clip_frames otherwise; label 0..num_classes-1;
// source the colour video (or frame folder).
//
// Reading: frames start .. start + clip_frames - 1 of the colour and depth windows (those past
// the end of the video stay zero, as OpenCV's failed reads leave them), each resized to
// resize x resize with OpenCV's bilinear rule (half-pixel centres, no antialiasing, rounded to
// uint8). Augmenting draws x, y in [0, resize - crop] and a first frame in
// [0, clip_frames - train_frames], shared by the three modalities: frames first .. first +
// train_frames - 1, rows y .. y + crop - 1, columns x .. x + crop - 1 (flow: every frame, the same
// rows and columns). Otherwise all clip_frames frames and a centred crop (offset
// round((resize - crop) / 2), AMSS: 16); the flow file must be at least that large.
// The reference's horizontal flip is disabled (its flip flag is fixed to 0), so there is none.
class NvGestureDataset final : public BenchmarkDataset {
 public:
  explicit NvGestureDataset(NvGestureOptions options);

  // The draws sample `index` makes in the current epoch (zeros when not augmenting): what get()
  // uses, exposed so tests can pin the crops.
  struct Draws {
    std::int64_t x = 0;      // first column of the crop
    std::int64_t y = 0;      // first row
    std::int64_t first = 0;  // first frame of the container kept
  };
  Draws draws(std::int64_t index) const;

  const NvGestureOptions& options() const { return options_; }

 protected:
  Sample load(std::int64_t index, Generator& generator) const override;

 private:
  struct Entry {
    std::string color, depth;  // the videos (or frame folders)
    NvGestureWindow color_window, depth_window;
    std::string flow;
  };

  Draws draw(Generator& generator) const;
  // uint8 [clip_frames, resize, resize, 3] (OpenCV's BGR order) of one sensor's window.
  Tensor read_clip(const std::string& path, const NvGestureWindow& window) const;

  NvGestureOptions options_;
  bool augment_;
  std::vector<Entry> entries_;
};

}  // namespace mg::data
