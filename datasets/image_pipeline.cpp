#include "datasets/image_pipeline.h"

#include "core/creation.h"
#include "core/error.h"
#include "core/ops_copy.h"
#include "core/ops_view.h"
#include "datasets/image.h"
#include "datasets/transforms.h"

namespace mg::data {

Tensor transform_image(const Tensor& image, const ImageOptions& options, bool augment,
                       Generator& generator) {
  const Tensor pixels = to_tensor(image);
  Tensor sized;
  if (augment) {
    const RandomResizedCrop crop(options.size, options.size);
    const RandomHorizontalFlip flip(0.5);
    sized = flip(crop(pixels, generator), generator);
  } else {
    sized = resize(pixels, options.size, options.size);
  }
  return normalize(sized, options.mean, options.std);
}

Tensor load_frames(const std::vector<std::string>& paths, const ImageOptions& options, bool augment,
                   Generator& generator) {
  const auto frames = static_cast<std::int64_t>(paths.size());
  MG_CHECK(frames > 0, "load_frames: no frames");
  Tensor out = empty({3, frames, options.size, options.size}, kFloat32);
  for (std::int64_t t = 0; t < frames; ++t) {
    const Tensor frame = transform_image(read_image(paths[static_cast<std::size_t>(t)]), options,
                                         augment, generator);
    native::copy_(native::select(out, 1, t), frame);
  }
  return out;
}

}  // namespace mg::data
