#include "datasets/kinetics_sounds.h"

#include <algorithm>
#include <filesystem>
#include <system_error>
#include <utility>

#include "core/error.h"
#include "datasets/audio_visual_sample.h"
#include "datasets/csv.h"

namespace mg::data {

const std::vector<std::string>& kinetics_sounds_classes() {
  static const std::vector<std::string> classes = {"blowing_nose",
                                                   "blowing_out_candles",
                                                   "bowling",
                                                   "chopping_wood",
                                                   "dribbling_basketball",
                                                   "laughing",
                                                   "mowing_lawn",
                                                   "playing_accordion",
                                                   "playing_bagpipes",
                                                   "playing_bass_guitar",
                                                   "playing_clarinet",
                                                   "playing_drums",
                                                   "playing_guitar",
                                                   "playing_harmonica",
                                                   "playing_keyboard",
                                                   "playing_organ",
                                                   "playing_piano",
                                                   "playing_saxophone",
                                                   "playing_trombone",
                                                   "playing_trumpet",
                                                   "playing_violin",
                                                   "playing_xylophone",
                                                   "ripping_paper",
                                                   "shoveling_snow",
                                                   "shuffling_cards",
                                                   "singing",
                                                   "stomping_grapes",
                                                   "tap_dancing",
                                                   "tapping_guitar",
                                                   "tapping_pen",
                                                   "tickling"};
  return classes;
}

std::vector<KineticsSoundsRow> read_kinetics_annotations(const std::string& path,
                                                         const BadLines& bad) {
  std::vector<std::int64_t> lines;
  const CsvRows rows = read_csv(path, {}, lines);
  MG_CHECK(!rows.empty(), path, ": empty annotation file (expected a header row)");
  const std::vector<std::string>& header = rows[0];
  const auto column = [&](const std::string& name) {
    const auto it = std::find(header.begin(), header.end(), name);
    MG_CHECK(it != header.end(), path, ":", lines[0], ": the header has no '", name, "' column");
    return static_cast<std::size_t>(it - header.begin());
  };
  const std::size_t label = column("label"), id = column("youtube_id");
  std::vector<KineticsSoundsRow> out;
  for (std::size_t r = 1; r < rows.size(); ++r) {
    const std::vector<std::string>& row = rows[r];
    if (row.size() <= std::max(label, id) || row[id].empty()) {
      bad.report(path, lines[r],
                 str(row.size(), " field(s), no 'label' or 'youtube_id' (the header has ",
                     header.size(), ")"));
      continue;
    }
    out.push_back({row[id], row[label], str(path, ":", lines[r])});
  }
  return out;
}

std::vector<KineticsSoundsRow> read_kinetics_ogm_list(const std::string& path,
                                                      const BadLines& bad) {
  std::vector<std::int64_t> lines;
  const CsvRows rows = read_csv(path, {}, lines);
  const std::vector<std::string>& classes = kinetics_sounds_classes();
  std::vector<KineticsSoundsRow> out;
  for (std::size_t r = 0; r < rows.size(); ++r) {
    const std::vector<std::string>& row = rows[r];
    if (row.size() < 3 || row[0].empty()) {
      bad.report(path, lines[r],
                 str("expected <clip_id>,<n>,<class index>, got ", row.size(), " field(s)"));
      continue;
    }
    const std::optional<std::int64_t> index = parse_integer(row[2]);
    if (!index || *index < 0 || *index >= static_cast<std::int64_t>(classes.size())) {
      bad.report(path, lines[r],
                 str("class index '", row[2], "' is not in 0..", classes.size() - 1));
      continue;
    }
    out.push_back({row[0], classes[static_cast<std::size_t>(*index)], str(path, ":", lines[r])});
  }
  return out;
}

namespace {

std::string with_split(std::string pattern, const std::string& split) {
  for (std::size_t at; (at = pattern.find("{split}")) != std::string::npos;)
    pattern.replace(at, 7, split);
  return pattern;
}

}  // namespace

KineticsSoundsDataset::KineticsSoundsDataset(KineticsSoundsOptions options)
    : BenchmarkDataset(options.seed),
      options_(std::move(options)),
      augment_(options_.augment.value_or(options_.split == "train")) {
  MG_CHECK(options_.missing_files != MissingFilePolicy::Placeholder,
           "KineticsSoundsDataset: MissingFilePolicy::Placeholder applies to the text-image data "
           "sets");
  MG_CHECK(options_.num_frames > 0 && options_.min_frames >= options_.num_frames,
           "KineticsSoundsDataset: need 0 < num_frames <= min_frames, got ", options_.num_frames,
           " and ", options_.min_frames);
  ClassMap classes;
  if (options_.format == KineticsSoundsFormat::OgmGe) {
    classes = ClassMap(kinetics_sounds_classes());
  } else if (options_.class_split != options_.split) {
    // AMSS builds the map from train's kept rows whichever split it loads; what train drops is
    // not this split's business, so its notes are discarded.
    std::vector<DroppedSample> ignored;
    for (const KeptRow& row : kept_rows(options_.class_split, &ignored))
      classes.add(row.label_name);
  }
  const bool first_appearance =
      options_.format == KineticsSoundsFormat::Amss && options_.class_split == options_.split;
  const BadLines bad(options_.skip_bad, &dropped_);
  for (KeptRow& row : kept_rows(options_.split, &dropped_)) {
    const std::optional<std::int64_t> label =
        first_appearance ? classes.add(row.label_name) : classes.find(row.label_name);
    if (!label) {
      bad.report(row.where, str("label '", row.label_name, "' is not among the ", classes.size(),
                                " classes of split '", options_.class_split, "'"));
      continue;
    }
    sources_.push_back(row.entry.audio);
    labels_.push_back(*label);
    entries_.push_back(std::move(row.entry));
  }
  class_names_ = classes.names();
}

std::vector<KineticsSoundsDataset::KeptRow> KineticsSoundsDataset::kept_rows(
    const std::string& split, std::vector<DroppedSample>* dropped) const {
  const bool amss = options_.format == KineticsSoundsFormat::Amss;
  const std::string path = split_file(
      "KineticsSoundsDataset", options_.root, split, options_.split_files,
      amss
          ? std::map<std::string, std::string>{{"train", "annotations/train.csv"},
                                               {"test", "annotations/test.csv"}}
          : std::map<std::string, std::string>{{"train", "my_train.txt"}, {"test", "my_test.txt"}});
  const BadLines bad(options_.skip_bad, dropped);
  const std::vector<KineticsSoundsRow> rows =
      amss ? read_kinetics_annotations(path, bad) : read_kinetics_ogm_list(path, bad);
  const std::string frame_dir = path_under(options_.root, with_split(options_.frame_dir, split));
  const std::string audio_dir = path_under(options_.root, with_split(options_.audio_dir, split));
  const std::string extension = audio_extension(options_.audio_mode);
  std::vector<KeptRow> kept;
  for (const KineticsSoundsRow& row : rows) {
    KeptRow k{
        {audio_dir + "/" + row.id + extension, frame_dir + "/" + row.id, {}}, row.label, row.where};
    std::error_code error;
    const bool have_frames = std::filesystem::is_directory(k.entry.frames, error);
    if (have_frames) k.entry.frame_names = list_jpg_frames(k.entry.frames);
    const auto count = static_cast<std::int64_t>(k.entry.frame_names.size());
    if (have_frames && count < options_.min_frames) {
      const std::string why = str(k.entry.frames, ": ", count, " frames (*.jpg), fewer than ",
                                  options_.min_frames, " (needed by ", row.where, ")");
      MG_CHECK(options_.missing_files != MissingFilePolicy::Error, why);
      dropped->push_back({k.entry.frames, why});
      continue;
    }
    if (file_present(k.entry.frames, row.where, options_.missing_files, *dropped) &&
        file_present(k.entry.audio, row.where, options_.missing_files, *dropped)) {
      kept.push_back(std::move(k));
    }
  }
  return kept;
}

Sample KineticsSoundsDataset::load(std::int64_t index, Generator& generator) const {
  const Entry& entry = entries_[static_cast<std::size_t>(index)];
  const std::vector<std::string> paths =
      select_frame_paths(entry.frames, entry.frame_names, options_.num_frames,
                         options_.frame_selection, augment_, generator);
  return audio_visual_sample(entry.audio, options_.audio_mode, paths, options_.image, augment_,
                             generator, labels_[static_cast<std::size_t>(index)]);
}

}  // namespace mg::data
