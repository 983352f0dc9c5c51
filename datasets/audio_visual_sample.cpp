#include "datasets/audio_visual_sample.h"

namespace mg::data {

Sample audio_visual_sample(const std::string& audio, AudioMode mode,
                           const std::vector<std::string>& frames, const ImageOptions& image,
                           bool augment, Generator& generator, std::int64_t label) {
  Sample sample;
  sample.inputs["audio"] = load_audio(audio, mode);
  sample.inputs["visual"] = load_frames(frames, image, augment, generator);
  sample.label = label;
  sample.source = audio;
  return sample;
}

}  // namespace mg::data
