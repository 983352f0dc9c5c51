#include "datasets/nvgesture.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <string_view>
#include <system_error>
#include <utility>

#include "core/creation.h"
#include "core/error.h"
#include "core/ops_copy.h"
#include "core/random.h"
#include "datasets/avi.h"
#include "datasets/file_bytes.h"
#include "datasets/image.h"
#include "datasets/npy.h"

namespace mg::data {
namespace {

std::vector<std::string_view> split_on(std::string_view text, char separator) {
  std::vector<std::string_view> parts;
  while (true) {
    const std::size_t end = text.find(separator);
    parts.push_back(text.substr(0, end));
    if (end == std::string_view::npos) return parts;
    text.remove_prefix(end + 1);
  }
}

// OpenCV's INTER_LINEAR resize of a uint8 [H, W, C] image into `out` ([size, size, C] uint8):
// source coordinate (i + 0.5) * in / out - 0.5, clamped to the image, no antialiasing, rounded.
void resize_bilinear_like_opencv(const Tensor& image, std::int64_t size, std::uint8_t* out) {
  const std::int64_t height = image.size(0), width = image.size(1), channels = image.size(2);
  const std::uint8_t* in = image.data_ptr<std::uint8_t>();
  struct Tap {
    std::int64_t low, high;
    float weight;  // of `high`
  };
  const auto taps = [size](std::int64_t in_size) {
    std::vector<Tap> result(static_cast<std::size_t>(size));
    const double scale = static_cast<double>(in_size) / static_cast<double>(size);
    for (std::int64_t i = 0; i < size; ++i) {
      const double position = (static_cast<double>(i) + 0.5) * scale - 0.5;
      auto low = static_cast<std::int64_t>(std::floor(position));
      double weight = position - static_cast<double>(low);
      if (low < 0) low = 0, weight = 0.0;
      if (low >= in_size - 1) low = in_size - 1, weight = 0.0;
      result[static_cast<std::size_t>(i)] = {low, std::min(low + 1, in_size - 1),
                                             static_cast<float>(weight)};
    }
    return result;
  };
  const std::vector<Tap> rows = taps(height), columns = taps(width);
  for (std::int64_t i = 0; i < size; ++i) {
    const Tap& r = rows[static_cast<std::size_t>(i)];
    for (std::int64_t j = 0; j < size; ++j) {
      const Tap& c = columns[static_cast<std::size_t>(j)];
      for (std::int64_t k = 0; k < channels; ++k) {
        const auto at = [&](std::int64_t y, std::int64_t x) {
          return static_cast<float>(in[(y * width + x) * channels + k]);
        };
        const float top = at(r.low, c.low) + c.weight * (at(r.low, c.high) - at(r.low, c.low));
        const float bottom =
            at(r.high, c.low) + c.weight * (at(r.high, c.high) - at(r.high, c.low));
        const float value = top + r.weight * (bottom - top);
        out[(i * size + j) * channels + k] =
            static_cast<std::uint8_t>(std::clamp(std::nearbyint(value), 0.0f, 255.0f));
      }
    }
  }
}

std::string under_root(const std::string& root, std::string_view folder) {
  if (folder.starts_with('/')) return std::string(folder);
  if (folder.starts_with("./")) folder.remove_prefix(2);
  return root + "/" + std::string(folder);
}

}  // namespace

std::vector<NvGestureRow> read_nvgesture_list(const std::string& path, const std::string& root,
                                              std::int64_t num_classes, const BadLines& bad) {
  const std::vector<std::uint8_t> bytes = read_file_bytes(path);
  std::vector<NvGestureRow> out;
  const std::vector<std::string_view> lines = text_lines(bytes);
  for (std::size_t l = 0; l < lines.size(); ++l) {
    const std::string_view line = lines[l];
    if (line.find_first_not_of(' ') == std::string_view::npos) continue;
    const auto line_number = static_cast<std::int64_t>(l + 1);
    NvGestureRow row;
    row.line_index = line_number - 1;
    row.where = str(path, ":", line_number);
    bool has_label = false;
    std::string problem;
    for (const std::string_view token : split_on(line, ' ')) {
      if (token.empty()) continue;
      const std::vector<std::string_view> parts = split_on(token, ':');
      const std::string_view key = parts[0];
      if (key == "path" && parts.size() == 2 && !parts[1].empty()) {
        row.folder = under_root(root, parts[1]);
      } else if (key == "label" && parts.size() == 2) {
        const std::optional<std::int64_t> label = parse_integer(parts[1]);
        if (!label || *label < 1 || *label > num_classes) {
          problem = str("label '", parts[1], "' is not in 1..", num_classes);
        } else {
          row.label = *label - 1;
          has_label = true;
        }
      } else if (key == "color" || key == "depth" || key == "duo_left") {
        const auto start = parts.size() == 4 ? parse_integer(parts[2]) : std::nullopt;
        const auto end = parts.size() == 4 ? parse_integer(parts[3]) : std::nullopt;
        if (!start || !end || parts[1].empty() || *start < 0 || *end <= *start) {
          problem = str("bad sensor token '", token, "' (expected <sensor>:<stem>:<start>:<end>)");
        } else {
          row.sensors[std::string(key)] = {std::string(parts[1]), *start, *end};
        }
      }
    }
    if (problem.empty() && (row.folder.empty() || !has_label || !row.sensors.contains("color") ||
                            !row.sensors.contains("depth"))) {
      problem = "expected path:, color:, depth: and label: tokens";
    }
    if (!problem.empty()) {
      bad.report(row.where, problem);
      continue;
    }
    out.push_back(std::move(row));
  }
  return out;
}

namespace {

std::string list_file(const NvGestureOptions& options) {
  if (!options.split_files.empty() || (options.split != "train" && options.split != "test")) {
    return split_file("NvGestureDataset", options.root, options.split, options.split_files,
                      {{"train", "nvgesture_train_correct_cvpr2016_v2.lst"},
                       {"test", "nvgesture_test_correct_cvpr2016_v2.lst"}});
  }
  const std::string release =
      path_under(options.root, "nvgesture_" + options.split + "_correct_cvpr2016_v2.lst");
  const std::string amss =
      path_under(options.root, "nvgesture_" + options.split + "_correct_v2.lst");
  std::error_code error;
  return !std::filesystem::exists(release, error) && std::filesystem::exists(amss, error) ? amss
                                                                                          : release;
}

}  // namespace

NvGestureDataset::NvGestureDataset(NvGestureOptions options)
    : BenchmarkDataset(options.seed),
      options_(std::move(options)),
      augment_(options_.augment.value_or(options_.split == "train")) {
  const NvGestureOptions& o = options_;
  MG_CHECK(o.missing_files != MissingFilePolicy::Placeholder,
           "NvGestureDataset: MissingFilePolicy::Placeholder applies to the text-image data sets");
  MG_CHECK(0 < o.crop && o.crop <= o.resize && 0 < o.train_frames && 0 < o.clip_frames,
           "NvGestureDataset: need 0 < crop <= resize and positive frame counts, got crop ", o.crop,
           ", resize ", o.resize, ", clip_frames ", o.clip_frames, ", train_frames ",
           o.train_frames);
  const std::string path = list_file(o);
  const bool avi = o.video == NvGestureVideo::Avi;
  for (const NvGestureRow& row :
       read_nvgesture_list(path, o.root, o.num_classes, {o.skip_bad, &dropped_})) {
    const NvGestureWindow& color = row.sensors.at("color");
    const NvGestureWindow& depth = row.sensors.at("depth");
    Entry entry{row.folder + "/" + color.stem + (avi ? ".avi" : "_all"),
                row.folder + "/" + depth.stem + (avi ? ".avi" : "_all"), color, depth,
                path_under(o.root, o.flow_dir) + "/" + o.split + "/" +
                    std::to_string(row.line_index) + ".npy"};
    if (!file_present(entry.color, row.where, o.missing_files, dropped_) ||
        !file_present(entry.depth, row.where, o.missing_files, dropped_) ||
        !file_present(entry.flow, row.where, o.missing_files, dropped_)) {
      continue;
    }
    sources_.push_back(entry.color);
    labels_.push_back(row.label);
    entries_.push_back(std::move(entry));
  }
  for (std::int64_t c = 0; c < o.num_classes; ++c) class_names_.push_back(std::to_string(c + 1));
}

NvGestureDataset::Draws NvGestureDataset::draw(Generator& generator) const {
  if (!augment_) return {};
  const auto uniform = [&](std::int64_t high) {  // inclusive, as Python's random.randint
    return randint(0, high + 1, {}, kInt64, &generator).item<std::int64_t>();
  };
  Draws d;
  d.x = uniform(options_.resize - options_.crop);
  d.y = uniform(options_.resize - options_.crop);
  d.first = uniform(std::max<std::int64_t>(options_.clip_frames - options_.train_frames, 0));
  return d;
}

NvGestureDataset::Draws NvGestureDataset::draws(std::int64_t index) const {
  MG_CHECK(index >= 0 && index < size(), "NvGestureDataset: index ", index, " out of range for ",
           size(), " samples");
  Generator generator(sample_seed(seed(), epoch(), index));
  return draw(generator);
}

Tensor NvGestureDataset::read_clip(const std::string& path, const NvGestureWindow& window) const {
  const std::int64_t size = options_.resize;
  Tensor clip = zeros({options_.clip_frames, size, size, 3}, kUInt8);
  std::uint8_t* out = clip.data_ptr<std::uint8_t>();
  const std::int64_t frames = std::min(window.end - window.start, options_.clip_frames);
  const auto place = [&](std::int64_t k, const Tensor& rgb) {
    MG_CHECK(rgb.dim() == 3 && rgb.size(2) == 3 && rgb.size(0) > 0 && rgb.size(1) > 0, path,
             ": frame ", window.start + k, " decodes to ", describe(rgb), ", expected [H, W, 3]");
    std::uint8_t* frame = out + k * size * size * 3;
    resize_bilinear_like_opencv(rgb, size, frame);
    for (std::int64_t p = 0; p < size * size; ++p) std::swap(frame[3 * p], frame[3 * p + 2]);
  };
  if (options_.video == NvGestureVideo::Avi) {
    const std::vector<std::uint8_t> bytes = read_file_bytes(path);
    const std::vector<std::vector<std::uint8_t>> jpegs = parse_mjpeg_avi(bytes, path);
    for (std::int64_t k = 0; k < frames; ++k) {
      const auto f = static_cast<std::size_t>(window.start + k);
      if (f < jpegs.size()) place(k, decode_image(jpegs[f], str(path, " frame ", f)));
    }
  } else {
    for (std::int64_t k = 0; k < frames; ++k) {
      char name[32];
      std::snprintf(name, sizeof name, "/%05lld.jpg", static_cast<long long>(window.start + k + 1));
      const std::string file = path + name;
      std::error_code error;
      if (std::filesystem::exists(file, error)) place(k, read_image(file));
    }
  }
  return clip;
}

Sample NvGestureDataset::load(std::int64_t index, Generator& generator) const {
  const Entry& entry = entries_[static_cast<std::size_t>(index)];
  const NvGestureOptions& o = options_;
  const Draws d = draw(generator);
  const std::int64_t offset =
      static_cast<std::int64_t>(std::nearbyint(static_cast<double>(o.resize - o.crop) / 2.0));
  const std::int64_t top = augment_ ? d.y : offset, left = augment_ ? d.x : offset;
  const std::int64_t frames = augment_ ? o.train_frames : o.clip_frames;
  // Container frame of output frame t, or -1 for the zero padding of a container shorter than
  // train_frames (padded on both sides at random, as the reference does).
  std::int64_t pad_left = 0;
  if (augment_ && o.clip_frames < o.train_frames) {
    pad_left =
        randint(0, o.train_frames - o.clip_frames + 1, {}, kInt64, &generator).item<std::int64_t>();
  }
  const auto container_frame = [&](std::int64_t t) -> std::int64_t {
    if (!augment_) return t;
    if (o.clip_frames >= o.train_frames) return d.first + t;
    const std::int64_t f = t - pad_left;
    return f >= 0 && f < o.clip_frames ? f : -1;
  };
  // [channels, frames, crop, crop] from a [clip_frames, resize, resize, 3] uint8 clip: channel c
  // of the output is channel order[c] of the BGR clip, scaled by 1/255, then normalized.
  const auto frames_tensor = [&](const Tensor& clip, const std::vector<std::int64_t>& order,
                                 const std::vector<double>& mean, const std::vector<double>& std) {
    const auto channels = static_cast<std::int64_t>(order.size());
    Tensor out = zeros({channels, frames, o.crop, o.crop}, kFloat32);
    float* dst = out.data_ptr<float>();
    const std::uint8_t* src = clip.data_ptr<std::uint8_t>();
    for (std::int64_t c = 0; c < channels; ++c) {
      const auto m = static_cast<float>(mean.empty() ? 0.0 : mean[static_cast<std::size_t>(c)]);
      const auto s = static_cast<float>(std.empty() ? 1.0 : std[static_cast<std::size_t>(c)]);
      for (std::int64_t t = 0; t < frames; ++t) {
        const std::int64_t f = container_frame(t);
        float* plane = dst + (c * frames + t) * o.crop * o.crop;
        for (std::int64_t i = 0; i < o.crop; ++i) {
          for (std::int64_t j = 0; j < o.crop; ++j) {
            const float pixel =
                f < 0
                    ? 0.0f
                    : static_cast<float>(src[((f * o.resize + top + i) * o.resize + left + j) * 3 +
                                             order[static_cast<std::size_t>(c)]]) /
                          255.0f;
            plane[i * o.crop + j] = (pixel - m) / s;
          }
        }
      }
    }
    return out;
  };
  MG_CHECK(o.mean.size() == 3 && o.std.size() == 3, "NvGestureDataset: mean and std need 3 values");
  const std::vector<std::int64_t> colour_order =
      o.bgr ? std::vector<std::int64_t>{0, 1, 2} : std::vector<std::int64_t>{2, 1, 0};

  Sample sample;
  sample.inputs["rgb"] =
      frames_tensor(read_clip(entry.color, entry.color_window), colour_order, o.mean, o.std);
  sample.inputs["depth"] = frames_tensor(read_clip(entry.depth, entry.depth_window), {0}, {}, {});

  const Tensor flow = native::contiguous(native::to(read_npy(entry.flow), kFloat32));
  MG_CHECK(flow.dim() == 4 && flow.size(2) == 2 && flow.size(3) > 0, entry.flow,
           ": expected optical flow (H, W, 2, T), got ", describe(flow));
  const std::int64_t height = flow.size(0), width = flow.size(1), steps = flow.size(3);
  MG_CHECK(top + o.crop <= height && left + o.crop <= width, entry.flow, ": flow of ", height,
           " x ", width, " is too small for a ", o.crop, " crop at row ", top, ", column ", left);
  Tensor crop = empty({2, steps, o.crop, o.crop}, kFloat32);
  const float* src = flow.data_ptr<float>();
  float* dst = crop.data_ptr<float>();
  for (std::int64_t c = 0; c < 2; ++c)
    for (std::int64_t t = 0; t < steps; ++t)
      for (std::int64_t i = 0; i < o.crop; ++i)
        for (std::int64_t j = 0; j < o.crop; ++j)
          dst[((c * steps + t) * o.crop + i) * o.crop + j] =
              src[(((top + i) * width + left + j) * 2 + c) * steps + t];
  sample.inputs["flow"] = crop;
  sample.label = labels_[static_cast<std::size_t>(index)];
  sample.source = entry.color;
  return sample;
}

}  // namespace mg::data
