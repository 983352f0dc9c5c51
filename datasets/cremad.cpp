#include "datasets/cremad.h"

#include "core/error.h"
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

}  // namespace mg::data
