#include "datasets/cremad.h"

#include <utility>

#include "core/error.h"
#include "datasets/audio_visual_sample.h"
#include "datasets/csv.h"

namespace mg::data {

ClassMap cremad_classes() {
  return ClassMap({"NEU", "HAP", "SAD", "FEA", "DIS", "ANG"});
}

std::vector<CremadRow> read_cremad_split(const std::string& path, const ClassMap& classes,
                                         const BadLines& bad) {
  std::vector<std::int64_t> lines;
  const CsvRows rows = read_csv(path, {}, lines);
  std::vector<CremadRow> out;
  for (std::size_t r = 0; r < rows.size(); ++r) {
    const std::vector<std::string>& row = rows[r];
    if (row.size() < 2 || row[0].empty()) {
      bad.report(path, lines[r], str("expected <stem>,<class>, got ", row.size(), " field(s)"));
      continue;
    }
    const std::optional<std::int64_t> label = classes.find(row[1]);
    if (!label) {
      bad.report(path, lines[r], str("unknown class '", row[1], "'"));
      continue;
    }
    out.push_back({row[0], *label, str(path, ":", lines[r])});
  }
  return out;
}

CremadDataset::CremadDataset(CremadOptions options)
    : BenchmarkDataset(options.seed),
      options_(std::move(options)),
      augment_(options_.augment.value_or(options_.split == "train")) {
  MG_CHECK(options_.missing_files != MissingFilePolicy::Placeholder,
           "CremadDataset: MissingFilePolicy::Placeholder applies to the text-image data sets");
  MG_CHECK(options_.num_frames > 0, "CremadDataset: num_frames ", options_.num_frames);
  const std::string& root = options_.root;
  const std::string path = split_file("CremadDataset", root, options_.split, options_.split_files,
                                      {{"train", "annotations/train.csv"},
                                       {"valid", "annotations/valid.csv"},
                                       {"test", "annotations/test.csv"}});
  const ClassMap classes = options_.class_list_file.empty()
                               ? cremad_classes()
                               : read_class_list(path_under(root, options_.class_list_file));
  class_names_ = classes.names();
  const std::string audio_dir = path_under(root, options_.audio_dir);
  const std::string frame_dir = path_under(root, options_.frame_dir);
  const std::string extension = audio_extension(options_.audio_mode);
  for (const CremadRow& row : read_cremad_split(path, classes, {options_.skip_bad, &dropped_})) {
    Entry entry{audio_dir + "/" + row.stem + extension, frame_dir + "/" + row.stem};
    // AMSS keeps a row when both exist (its check order: audio, then frames).
    if (!file_present(entry.audio, row.where, options_.missing_files, dropped_) ||
        !file_present(entry.frames, row.where, options_.missing_files, dropped_)) {
      continue;
    }
    sources_.push_back(entry.audio);
    labels_.push_back(row.label);
    entries_.push_back(std::move(entry));
  }
}

Sample CremadDataset::load(std::int64_t index, Generator& generator) const {
  const Entry& entry = entries_[static_cast<std::size_t>(index)];
  const std::vector<std::string> names = list_jpg_frames(entry.frames);
  const std::vector<std::string> paths = select_frame_paths(
      entry.frames, names, options_.num_frames, options_.frame_selection, augment_, generator);
  return audio_visual_sample(entry.audio, options_.audio_mode, paths, options_.image, augment_,
                             generator, labels_[static_cast<std::size_t>(index)]);
}

}  // namespace mg::data
