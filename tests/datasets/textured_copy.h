#pragma once

#include <unistd.h>

#include <filesystem>
#include <string>

#include "core/error.h"
#include "datasets/image.h"

namespace mg::data::testing {

// A copy of the fixture tree at `root` (in a temporary folder named after `name`) whose JPEG
// frames carry a diagonal texture. The fixture frames are flat colours, which every crop and
// flip leaves as they are: a test that random augmentations change with the seed or the epoch
// needs pixels that differ. Frames that do not decode (the corrupt-file cases) are left alone.
// The copy is removed with this object.
class TexturedCopy {
 public:
  TexturedCopy(const std::string& root, const std::string& name)
      : dir_(std::filesystem::temp_directory_path() /
             ("mg_textured_" + name + "_" + std::to_string(::getpid()))) {
    std::filesystem::remove_all(dir_);
    std::filesystem::copy(root, dir_, std::filesystem::copy_options::recursive);
    for (const auto& entry : std::filesystem::recursive_directory_iterator(dir_)) {
      if (entry.path().extension() == ".jpg") texture(entry.path().string());
    }
  }
  ~TexturedCopy() { std::filesystem::remove_all(dir_); }
  TexturedCopy(const TexturedCopy&) = delete;
  TexturedCopy& operator=(const TexturedCopy&) = delete;

  std::string root() const { return dir_.string(); }

 private:
  static void texture(const std::string& path) {
    Tensor image;
    try {
      image = read_image(path);
    } catch (const Error&) {
      return;
    }
    const std::int64_t height = image.size(0), width = image.size(1);
    std::uint8_t* pixels = image.data_ptr<std::uint8_t>();
    for (std::int64_t y = 0; y < height; ++y)
      for (std::int64_t x = 0; x < width; ++x)
        for (std::int64_t c = 0; c < 3; ++c) {
          std::uint8_t& p = pixels[(y * width + x) * 3 + c];
          p = static_cast<std::uint8_t>(p / 2 + (x * 37 + y * 17 + c * 50) % 128);
        }
    write_image(path, image);
  }

  std::filesystem::path dir_;
};

}  // namespace mg::data::testing
