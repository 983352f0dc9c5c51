#include "datasets/sarcasm.h"

#include <algorithm>
#include <string_view>
#include <variant>

#include "core/error.h"
#include "core/json.h"
#include "datasets/file_bytes.h"
#include "datasets/python_literal.h"

namespace mg::data {
namespace {

bool has_keyword(std::string_view text, const std::vector<std::string>& keywords) {
  constexpr std::string_view kSpace = " \t\n\r\v\f";
  while (true) {
    const std::size_t start = text.find_first_not_of(kSpace);
    if (start == std::string_view::npos) return false;
    text.remove_prefix(start);
    const std::string_view token = text.substr(0, text.find_first_of(kSpace));
    if (std::find(keywords.begin(), keywords.end(), token) != keywords.end()) return true;
    text.remove_prefix(token.size());
  }
}

constexpr std::int64_t kClasses = 2;

}  // namespace

std::vector<TextImageRow> read_sarcasm_raw(const std::string& path,
                                           const std::vector<std::string>& filter_keywords,
                                           const BadLines& bad) {
  std::vector<std::int64_t> lines;
  const std::vector<PythonList> lists = read_python_lists(path, lines);
  std::vector<TextImageRow> out;
  for (std::size_t r = 0; r < lists.size(); ++r) {
    const PythonList& list = lists[r];
    const bool shape_ok = list.size() >= 3 && std::holds_alternative<std::string>(list[0]) &&
                          std::holds_alternative<std::string>(list[1]) &&
                          std::holds_alternative<std::int64_t>(list.back());
    if (!shape_ok) {
      bad.report(path, lines[r],
                 "expected [id, text, ..., label] with string id and text and an integer label");
      continue;
    }
    const std::string& id = std::get<std::string>(list[0]);
    const std::string& text = std::get<std::string>(list[1]);
    const std::int64_t label = std::get<std::int64_t>(list.back());
    if (id.empty() || label >= kClasses) {
      bad.report(path, lines[r], str("empty id or label ", label, " not in 0..1"));
      continue;
    }
    if (has_keyword(text, filter_keywords)) continue;
    out.push_back({text, id + ".jpg", label, str(path, ":", lines[r])});
  }
  return out;
}

std::vector<TextImageRow> read_sarcasm_json(const std::string& path, const BadLines& bad) {
  const std::vector<std::uint8_t> bytes = read_file_bytes(path);
  const Json json = Json::parse(std::string(bytes.begin(), bytes.end()), path);
  MG_CHECK(json.is_array(), path, ": expected a JSON list of samples");
  std::vector<TextImageRow> out;
  const Json::Array& items = json.as_array();
  for (std::size_t i = 0; i < items.size(); ++i) {
    const std::string where = str(path, ": element ", i);
    const Json& item = items[i];
    const Json* image = item.is_object() ? item.find("image") : nullptr;
    const Json* text = item.is_object() ? item.find("text") : nullptr;
    const Json* label = item.is_object() ? item.find("label") : nullptr;
    if (!image || !image->is_string() || !text || !text->is_string() || !label ||
        !label->is_integer() || label->as_int() < 0 || label->as_int() >= kClasses) {
      bad.report(where, "expected {\"image\": string, \"text\": string, \"label\": 0 or 1}");
      continue;
    }
    const std::string& image_path = image->as_string();
    const std::string name = image_path.substr(image_path.find_last_of('/') + 1);
    if (name.empty()) {
      bad.report(where, str("image '", image_path, "' names no file"));
      continue;
    }
    out.push_back({text->as_string(), name, label->as_int(), where});
  }
  return out;
}

namespace {

TextImageSplit read_split(const SarcasmOptions& options) {
  std::map<std::string, std::string> defaults;
  switch (options.format) {
    case SarcasmFormat::Amss:
      defaults = {{"train", "annotations/train.tsv"},
                  {"valid", "annotations/valid.tsv"},
                  {"test", "annotations/test.tsv"}};
      break;
    case SarcasmFormat::CaiRaw:
      defaults = {
          {"train", "text/train.txt"}, {"valid", "text/valid2.txt"}, {"test", "text/test2.txt"}};
      break;
    case SarcasmFormat::Json:
      defaults = {{"train", "annotations/train.json"},
                  {"valid", "annotations/valid.json"},
                  {"test", "annotations/test.json"}};
      break;
  }
  const std::string path =
      split_file("SarcasmDataset", options.root, options.split, options.split_files, defaults);
  TextImageSplit split;
  const BadLines bad(options.skip_bad, &split.dropped);
  switch (options.format) {
    case SarcasmFormat::Amss:
      split.rows = read_named_text_image_tsv(path, kClasses, bad);
      break;
    case SarcasmFormat::CaiRaw:
      split.rows = read_sarcasm_raw(path, options.filter_keywords, bad);
      break;
    case SarcasmFormat::Json:
      split.rows = read_sarcasm_json(path, bad);
      break;
  }
  return split;
}

}  // namespace

SarcasmDataset::SarcasmDataset(const SarcasmOptions& options)
    : TextImageDataset(read_split(options), text_image_config("SarcasmDataset", options,
                                                              {"not_sarcastic", "sarcastic"})) {}

}  // namespace mg::data
