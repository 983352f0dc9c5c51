#include "datasets/text_image.h"

#include <algorithm>
#include <utility>

#include "core/creation.h"
#include "core/error.h"
#include "datasets/csv.h"
#include "datasets/image.h"

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

TextImageDataset::TextImageDataset(TextImageSplit split, const TextImageConfig& config)
    : BenchmarkDataset(config.seed),
      name_(config.name),
      tokenizer_(config.text.vocab_file),
      text_options_(config.text),
      image_options_(config.image) {
  class_names_ = config.class_names;
  dropped_ = std::move(split.dropped);
  for (TextImageRow& row : split.rows) {
    std::string image = config.image_dir + "/" + row.image;
    const bool present = file_present(image, row.where, config.missing_files, dropped_);
    if (!present && config.missing_files != MissingFilePolicy::Placeholder) continue;
    sources_.push_back(image);
    labels_.push_back(row.label);
    entries_.push_back({std::move(row.text), std::move(image), !present});
  }
}

const std::string& TextImageDataset::text(std::int64_t index) const {
  MG_CHECK(index >= 0 && index < size(), name_, ": index ", index, " out of range for ", size(),
           " samples");
  return entries_[static_cast<std::size_t>(index)].text;
}

Sample TextImageDataset::load(std::int64_t index, Generator& generator) const {
  const Entry& entry = entries_[static_cast<std::size_t>(index)];
  const bool raw = text_options_.bert_mode == BertMode::AmssRaw;
  BertEncoding encoding =
      tokenizer_.encode(entry.text, raw ? BertEncodeOptions::amss_raw(text_options_.max_length)
                                        : BertEncodeOptions::standard(text_options_.max_length));
  if (raw) encoding.attention_mask.assign(encoding.input_ids.size(), 1);
  const auto length = static_cast<std::int64_t>(encoding.input_ids.size());
  Sample sample;
  sample.inputs["input_ids"] = from_vector(encoding.input_ids, {length});
  sample.inputs["attention_mask"] = from_vector(encoding.attention_mask, {length});
  sample.inputs["image"] =
      entry.placeholder
          ? zeros({3, image_options_.size, image_options_.size}, kFloat32)
          : transform_image(read_image(entry.image), image_options_, false, generator);
  sample.label = labels_[static_cast<std::size_t>(index)];
  sample.source = entry.image;
  return sample;
}

}  // namespace mg::data
