#include "datasets/text_image.h"

#include <algorithm>

#include "core/error.h"
#include "datasets/csv.h"

namespace mg::data {

std::vector<TextImageRow> read_named_text_image_tsv(const std::string& path,
                                                    std::int64_t num_classes, const BadLines& bad) {
  std::vector<std::int64_t> lines;
  const CsvRows rows = read_csv(path, {.delimiter = '\t'}, lines);
  MG_CHECK(!rows.empty(), path, ": empty TSV (expected a header row)");
  const std::vector<std::string>& header = rows[0];
  const auto column = [&](const std::string& name) {
    const auto it = std::find(header.begin(), header.end(), name);
    MG_CHECK(it != header.end(), path, ":", lines[0], ": the header has no '", name, "' column");
    return static_cast<std::size_t>(it - header.begin());
  };
  const std::size_t label = column("Label"), text = column("String"), image = column("ImageID");
  const std::size_t needed = std::max({label, text, image}) + 1;
  std::vector<TextImageRow> out;
  for (std::size_t r = 1; r < rows.size(); ++r) {
    const std::vector<std::string>& row = rows[r];
    if (row.size() < needed || row[image].empty()) {
      bad.report(path, lines[r],
                 str(row.size(), " field(s), ", needed, " needed (Label, String, ImageID)"));
      continue;
    }
    const std::optional<std::int64_t> value = parse_integer(row[label]);
    if (!value || *value < 0 || *value >= num_classes) {
      bad.report(path, lines[r], str("Label '", row[label], "' is not in 0..", num_classes - 1));
      continue;
    }
    out.push_back({row[text], row[image], *value, str(path, ":", lines[r])});
  }
  return out;
}

}  // namespace mg::data
