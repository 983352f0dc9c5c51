#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/generator.h"
#include "datasets/audio_features.h"
#include "datasets/dataset.h"
#include "datasets/image_pipeline.h"

namespace mg::data {

// The sample of the audio-visual loaders (CREMA-D, Kinetics-Sounds): "audio" float32 [1, F, T]
// read from `audio` under `mode`, "visual" float32 [3, T, size, size] from the `frames` files
// (each drawing its augmentation from `generator` in order), `label`, and the audio file as its
// source.
Sample audio_visual_sample(const std::string& audio, AudioMode mode,
                           const std::vector<std::string>& frames, const ImageOptions& image,
                           bool augment, Generator& generator, std::int64_t label);

}  // namespace mg::data
