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

// Kinetics-Sounds in the layout AMSS reads (specs/datasets.md §6.3-§6.5):
//   <root>/annotations/{train,test}.csv          header; columns 'label' and 'youtube_id' used
//   <root>/{train,test}_img/Image-01-FPS/<id>/*.jpg
//   <root>/{train,test}_wav_pkl/<id>.pkl         pickled float32 [257, 1004]
// or OGM-GE's lists (§6.4): <root>/my_{train,test}.txt, "<clip_id>,10,<class index>" per line,
// the index into the alphabetical table of kinetics_sounds_classes().
namespace mg::data {

enum class KineticsSoundsFormat {
  Amss,   // annotation CSVs; classes in order of first appearance among train's kept rows
  OgmGe,  // my_*.txt lists; the alphabetical 31-class table
};

struct KineticsSoundsOptions {
  std::string root;
  std::string split = "train";
  KineticsSoundsFormat format = KineticsSoundsFormat::Amss;
  // Split name -> file under root; empty: annotations/<name>.csv (Amss) or my_<name>.txt (OgmGe)
  // for train and test.
  std::map<std::string, std::string> split_files;
  // Amss: the split whose kept rows define the class map (AMSS: train, for every split).
  std::string class_split = "train";
  // Folders under root; "{split}" stands for the split's name.
  std::string frame_dir = "{split}_img/Image-01-FPS";
  std::string audio_dir = "{split}_wav_pkl";  // <id>.pkl, .npy or .wav by audio_mode
  AudioMode audio_mode = AudioMode::Pkl;
  // A row is kept when its frame folder holds at least min_frames *.jpg files (AMSS: more than 3
  // entries) and its audio file exists; the others are left out (AMSS) or an error.
  std::int64_t min_frames = 4;
  MissingFilePolicy missing_files = MissingFilePolicy::Skip;
  std::int64_t num_frames = 3;  // 1 for AMSS's MMTM fusion
  FrameSelection frame_selection = FrameSelection::FirstNSorted;
  std::optional<bool> augment;  // unset: on for the split named "train"
  ImageOptions image;
  bool skip_bad = false;
  std::uint64_t seed = 0;
};

// The 31 classes in alphabetical order, as OGM-GE's lists number them (§6.1).
const std::vector<std::string>& kinetics_sounds_classes();

struct KineticsSoundsRow {
  std::string id;     // folder name and audio file stem
  std::string label;  // the class name
  std::string where;  // "<file>:<line>"
};

// An AMSS annotation CSV: a header naming (at least) 'label' and 'youtube_id', RFC 4180 quoting.
// A row without those fields or with an empty id is a bad line; a header without them is an
// mg::Error.
std::vector<KineticsSoundsRow> read_kinetics_annotations(const std::string& path,
                                                         const BadLines& bad = {false, nullptr});

// An OGM-GE list: no header, "<clip_id>,<anything>,<class index 0..30>"; the label is the class
// name from kinetics_sounds_classes(). A row with fewer than three fields or a bad index is a bad
// line.
std::vector<KineticsSoundsRow> read_kinetics_ogm_list(const std::string& path,
                                                      const BadLines& bad = {false, nullptr});

// The Kinetics-Sounds loader. Sample i has inputs
//   "audio"   float32 [1, F, T] ([1, 257, 1004] from the AMSS pickles; the width is not assumed)
//   "visual"  float32 [3, num_frames, size, size] (C, T, H, W)
// its label and source (the audio file). A row is kept when its frame folder holds at least
// min_frames *.jpg files and its audio file exists (AMSS's rule; a folder with fewer frames
// counts as missing, under missing_files). Amss format: the class map is the order of first
// appearance among the kept rows of class_split, and a row of another split whose label is not
// in it is a bad line.
class KineticsSoundsDataset final : public BenchmarkDataset {
 public:
  explicit KineticsSoundsDataset(KineticsSoundsOptions options);

  const KineticsSoundsOptions& options() const { return options_; }

 protected:
  Sample load(std::int64_t index, Generator& generator) const override;

 private:
  struct Entry {
    std::string audio;
    std::string frames;                    // the frame folder
    std::vector<std::string> frame_names;  // its *.jpg files, sorted
  };
  struct KeptRow {
    Entry entry;
    std::string label_name;
    std::string where;
  };

  std::vector<KeptRow> kept_rows(const std::string& split,
                                 std::vector<DroppedSample>* dropped) const;

  KineticsSoundsOptions options_;
  bool augment_;
  std::vector<Entry> entries_;
};

}  // namespace mg::data
