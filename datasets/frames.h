#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/generator.h"

// The frame folders of CREMA-D and Kinetics-Sounds (Image-01-FPS/<id>/*.jpg) and which frames a
// sample uses (specs/datasets.md §3.2). AMSS lists the folder unsorted and loads the first n
// entries in raw directory order, which depends on the file system; here the names are always
// filtered to *.jpg and sorted bytewise first, and the policy picks among them.
namespace mg::data {

enum class FrameSelection {
  FirstNSorted,    // the first n (AMSS's behaviour made deterministic; the default)
  RandomSorted,    // n distinct frames drawn at random, in ascending order (what AMSS meant)
  UniformSegments  // BalanceBenchmark: n segments of available / n frames (integer division);
                   // a random frame of each when training, its middle one (offset seg / 2) else
};

// The names (not paths) of the regular files ending in ".jpg" in folder `dir`, sorted bytewise.
// Throws mg::Error naming `dir` when it is not a readable folder.
std::vector<std::string> list_jpg_frames(const std::string& dir);

// The ascending indices of `count` frames among `available` under `policy` (`train` matters to
// UniformSegments only). Throws mg::Error naming `source` when fewer than `count` are available.
std::vector<std::int64_t> select_frames(std::int64_t available, std::int64_t count,
                                        FrameSelection policy, bool train, Generator& generator,
                                        const std::string& source);

// The paths "<folder>/<name>" of the frames select_frames picks among `names` (the sorted *.jpg
// of `folder`), in order: what the audio-visual loaders read.
std::vector<std::string> select_frame_paths(const std::string& folder,
                                            const std::vector<std::string>& names,
                                            std::int64_t count, FrameSelection policy, bool train,
                                            Generator& generator);

}  // namespace mg::data
