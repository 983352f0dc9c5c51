#include "datasets/kinetics_sounds.h"

#include <algorithm>

#include "core/error.h"
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

}  // namespace mg::data
