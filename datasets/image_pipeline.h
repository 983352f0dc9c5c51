#pragma once

#include <cstdint>
#include <vector>

// The image side of the benchmark loaders (specs/datasets.md §3.1).
namespace mg::data {

inline const std::vector<double> kImageNetMean = {0.485, 0.456, 0.406};
inline const std::vector<double> kImageNetStd = {0.229, 0.224, 0.225};

struct ImageOptions {
  std::int64_t size = 224;  // output height = width
  std::vector<double> mean = kImageNetMean;
  std::vector<double> std = kImageNetStd;
};

}  // namespace mg::data
