#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "datasets/audio_features.h"
#include "datasets/benchmark_dataset.h"
#include "datasets/class_map.h"
#include "datasets/frames.h"
#include "datasets/image_pipeline.h"
#include "datasets/split_rows.h"

// CREMA-D in the layout AMSS reads (specs/datasets.md §5.3-§5.5):
//   <root>/annotations/{train,valid,test}.csv   no header, <stem>,<EMOTION> per row (CRLF, BOM ok)
//   <root>/AudioWAV/<stem>.wav
//   <root>/Image-01-FPS/<stem>/*.jpg
// The embedded default data set (issue 6 item 8) uses the same layout with its own class list
// (class_list_file).
namespace mg::data {

struct CremadOptions {
  std::string root;
  std::string split = "train";
  // Split name -> file under root; empty: train, valid and test as annotations/<name>.csv.
  std::map<std::string, std::string> split_files;
  // Empty: AMSS's hard-coded map (cremad_classes()); else a class-list file under root (one class
  // code per line, its first token; read_class_list).
  std::string class_list_file;
  std::string audio_dir = "AudioWAV";  // <stem>.wav, or <stem>.pkl / .npy for those audio modes
  std::string frame_dir = "Image-01-FPS";
  AudioMode audio_mode = AudioMode::WavStft22050_3s;
  std::int64_t num_frames = 1;
  FrameSelection frame_selection = FrameSelection::FirstNSorted;
  // Training augmentation (RandomResizedCrop + flip); unset: on for the split named "train".
  std::optional<bool> augment;
  ImageOptions image;
  // A stem without its WAV (or feature file) or frame folder: AMSS skips it.
  MissingFilePolicy missing_files = MissingFilePolicy::Skip;
  bool skip_bad = false;
  std::uint64_t seed = 0;
};

// AMSS's map: NEU 0, HAP 1, SAD 2, FEA 3, DIS 4, ANG 5 (not alphabetical).
ClassMap cremad_classes();

struct CremadRow {
  std::string stem;
  std::int64_t label = 0;
  std::string where;  // "<file>:<line>"
};

// The rows of a CREMA-D split file, labels through `classes`. A row with fewer than two fields,
// an empty stem or a class code not in `classes` is a bad line.
std::vector<CremadRow> read_cremad_split(const std::string& path, const ClassMap& classes,
                                         const BadLines& bad = {false, nullptr});

// The CREMA-D loader. Sample i has inputs
//   "audio"   float32 [1, 257, 188] (WavStft22050_3s; [1, F, T] under the other audio modes)
//   "visual"  float32 [3, num_frames, size, size] (C, T, H, W)
// its label (class index) and source (the audio file). Entries whose WAV (feature file) or frame
// folder is missing follow missing_files (Placeholder is not offered: an mg::Error).
class CremadDataset final : public BenchmarkDataset {
 public:
  explicit CremadDataset(CremadOptions options);

  const CremadOptions& options() const { return options_; }

 protected:
  Sample load(std::int64_t index, Generator& generator) const override;

 private:
  struct Entry {
    std::string audio;
    std::string frames;  // the frame folder
  };

  CremadOptions options_;
  bool augment_;
  std::vector<Entry> entries_;
};

}  // namespace mg::data
