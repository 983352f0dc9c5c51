#include "datasets/twitter2015.h"

#include <string_view>

#include "core/error.h"
#include "datasets/csv.h"
#include "datasets/file_bytes.h"

namespace mg::data {
namespace {

constexpr std::int64_t kClasses = 3;

std::vector<std::string> file_lines(const std::string& path) {
  const std::vector<std::uint8_t> bytes = read_file_bytes(path);
  std::vector<std::string> lines;
  for (const std::string_view line : text_lines(bytes)) lines.emplace_back(line);
  while (!lines.empty() && lines.back().empty()) lines.pop_back();
  return lines;
}

}  // namespace

std::string twitter_text(const std::string& tweet, const std::string& target, TwitterText mode) {
  switch (mode) {
    case TwitterText::Masked:
      return tweet;
    case TwitterText::MaskedSepTarget:
      return tweet + " [SEP] " + target;
    case TwitterText::TargetSubstituted:
      break;
  }
  std::string out;
  std::size_t at = 0;
  for (std::size_t hit; (hit = tweet.find("$T$", at)) != std::string::npos; at = hit + 3) {
    out.append(tweet, at, hit - at);
    out += target;
  }
  return out + tweet.substr(at);
}

std::vector<TextImageRow> read_tombert_tsv(const std::string& path, TwitterText mode,
                                           const BadLines& bad) {
  std::vector<std::int64_t> lines;
  const CsvRows rows = read_csv(path, {.delimiter = '\t', .quote = '\0'}, lines);
  std::vector<TextImageRow> out;
  for (std::size_t r = 1; r < rows.size(); ++r) {
    const std::vector<std::string>& row = rows[r];
    if (row.size() < 5 || row[2].empty()) {
      bad.report(path, lines[r],
                 str(row.size(), " field(s), expected index, label, image, tweet, target"));
      continue;
    }
    const std::optional<std::int64_t> label = parse_integer(row[1]);
    if (!label || *label < 0 || *label >= kClasses) {
      bad.report(path, lines[r], str("label '", row[1], "' is not in 0..2"));
      continue;
    }
    out.push_back({twitter_text(row[3], row[4], mode), row[2], *label, str(path, ":", lines[r])});
  }
  return out;
}

std::vector<TextImageRow> read_tombert_txt(const std::string& path, TwitterText mode,
                                           const BadLines& bad) {
  const std::vector<std::string> lines = file_lines(path);
  std::vector<TextImageRow> out;
  for (std::size_t first = 0; first < lines.size(); first += 4) {
    const auto line_number = static_cast<std::int64_t>(first + 1);
    if (first + 4 > lines.size()) {
      bad.report(path, line_number,
                 str("incomplete group of ", lines.size() - first,
                     " line(s); expected tweet, target, polarity, image"));
      break;
    }
    const std::optional<std::int64_t> polarity = parse_integer(lines[first + 2]);
    if (!polarity || *polarity < -1 || *polarity > 1 || lines[first + 3].empty()) {
      bad.report(path, line_number,
                 str("polarity '", lines[first + 2], "' is not -1, 0 or 1, or no image"));
      continue;
    }
    out.push_back({twitter_text(lines[first], lines[first + 1], mode), lines[first + 3],
                   *polarity + 1, str(path, ":", line_number)});
  }
  return out;
}

namespace {

TextImageSplit read_split(const Twitter2015Options& options) {
  const std::string tombert = "absa_data/twitter2015/";
  std::map<std::string, std::string> defaults;
  for (const char* name : {"train", "dev", "test"}) {
    const std::string n = name;
    defaults[n] = options.format == TwitterFormat::Amss         ? "annotations/" + n + ".tsv"
                  : options.format == TwitterFormat::TomBertTsv ? tombert + n + ".tsv"
                                                                : tombert + n + ".txt";
  }
  const std::string path =
      split_file("Twitter2015Dataset", options.root, options.split, options.split_files, defaults);
  TextImageSplit split;
  const BadLines bad(options.skip_bad, &split.dropped);
  switch (options.format) {
    case TwitterFormat::Amss:
      split.rows = read_named_text_image_tsv(path, kClasses, bad);
      break;
    case TwitterFormat::TomBertTsv:
      split.rows = read_tombert_tsv(path, options.text_mode, bad);
      break;
    case TwitterFormat::TomBertTxt:
      split.rows = read_tombert_txt(path, options.text_mode, bad);
      break;
  }
  return split;
}

}  // namespace

Twitter2015Dataset::Twitter2015Dataset(const Twitter2015Options& options)
    : TextImageDataset(
          read_split(options),
          text_image_config("Twitter2015Dataset", options, {"negative", "neutral", "positive"})) {}

}  // namespace mg::data
