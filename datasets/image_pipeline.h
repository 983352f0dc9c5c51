#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/generator.h"
#include "core/tensor.h"

// The image side of the audio-visual and text-image loaders (specs/datasets.md §3.1), with the
// transforms of transforms.h:
//   augment (KS and CREMA-D training): RandomResizedCrop(size) (scale 0.08-1, ratio 3/4-4/3),
//     RandomHorizontalFlip(0.5), ToTensor, Normalize;
//   otherwise: Resize((size, size)) (aspect not kept), ToTensor, Normalize.
// Every decoded image is RGB (grey and CMYK JPEGs converted by the decoder).
namespace mg::data {

inline const std::vector<double> kImageNetMean = {0.485, 0.456, 0.406};
inline const std::vector<double> kImageNetStd = {0.229, 0.224, 0.225};

struct ImageOptions {
  std::int64_t size = 224;  // output height = width
  std::vector<double> mean = kImageNetMean;
  std::vector<double> std = kImageNetStd;
};

// A decoded image uint8 [H, W, 3] -> float32 [3, size, size].
Tensor transform_image(const Tensor& image, const ImageOptions& options, bool augment,
                       Generator& generator);

// read_image + transform_image of each file, stacked as float32 [3, T, size, size] (C, T, H, W,
// as AMSS permutes its frames); each frame draws its own crop and flip, in order.
Tensor load_frames(const std::vector<std::string>& paths, const ImageOptions& options, bool augment,
                   Generator& generator);

}  // namespace mg::data
