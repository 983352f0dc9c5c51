#include "datasets/frames.h"

#include <algorithm>
#include <filesystem>
#include <system_error>

#include "core/error.h"
#include "core/random.h"

namespace mg::data {

std::vector<std::string> list_jpg_frames(const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code error;
  fs::directory_iterator it(dir, error);
  MG_CHECK(!error, dir, ": cannot list the frame folder (", error.message(), ")");
  std::vector<std::string> names;
  for (; it != fs::directory_iterator(); it.increment(error)) {
    const std::string name = it->path().filename().string();
    std::error_code kind_error;
    if (name.ends_with(".jpg") && it->is_regular_file(kind_error)) names.push_back(name);
  }
  MG_CHECK(!error, dir, ": cannot list the frame folder (", error.message(), ")");
  std::sort(names.begin(), names.end());
  return names;
}

std::vector<std::int64_t> select_frames(std::int64_t available, std::int64_t count,
                                        FrameSelection policy, bool train, Generator& generator,
                                        const std::string& source) {
  MG_CHECK(count > 0, source, ": asked for ", count, " frames");
  MG_CHECK(available >= count, source, ": ", available, " frames (*.jpg), ", count, " needed");
  std::vector<std::int64_t> picked;
  switch (policy) {
    case FrameSelection::FirstNSorted:
      for (std::int64_t i = 0; i < count; ++i) picked.push_back(i);
      break;
    case FrameSelection::RandomSorted: {
      const std::vector<std::int64_t> order =
          randperm(available, kInt64, &generator).to_vector<std::int64_t>();
      picked.assign(order.begin(), order.begin() + count);
      std::sort(picked.begin(), picked.end());
      break;
    }
    case FrameSelection::UniformSegments: {
      const std::int64_t segment = available / count;
      for (std::int64_t i = 0; i < count; ++i) {
        const std::int64_t offset =
            train ? randint(0, segment, {}, kInt64, &generator).item<std::int64_t>() : segment / 2;
        picked.push_back(i * segment + offset);
      }
      break;
    }
  }
  return picked;
}

std::vector<std::string> select_frame_paths(const std::string& folder,
                                            const std::vector<std::string>& names,
                                            std::int64_t count, FrameSelection policy, bool train,
                                            Generator& generator) {
  std::vector<std::string> paths;
  for (const std::int64_t k : select_frames(static_cast<std::int64_t>(names.size()), count, policy,
                                            train, generator, folder)) {
    paths.push_back(folder + "/" + names[static_cast<std::size_t>(k)]);
  }
  return paths;
}

}  // namespace mg::data
