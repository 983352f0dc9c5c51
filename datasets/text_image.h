#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "core/error.h"
#include "datasets/benchmark_dataset.h"
#include "datasets/bert_tokenizer.h"
#include "datasets/image_pipeline.h"
#include "datasets/split_rows.h"

// What the text-image benchmarks (sarcasm.h, twitter2015.h) share: their rows, AMSS's
// named-column TSV and the text options (specs/datasets.md §7.2-§7.4, §8.2-§8.4).
namespace mg::data {

struct TextImageRow {
  std::string text;
  std::string image;  // file name under the image folder
  std::int64_t label = 0;
  std::string where;  // "<file>:<line>"
};

// AMSS's TSV as pandas reads it: tab-separated, RFC 4180 quoting, a header naming (at least)
// Label, String and ImageID in any order (other columns ignored). A row with too few fields or a
// Label that is not an integer in 0 .. num_classes-1 is a bad line; a header without the three
// names is an mg::Error.
std::vector<TextImageRow> read_named_text_image_tsv(const std::string& path,
                                                    std::int64_t num_classes,
                                                    const BadLines& bad = {false, nullptr});

enum class BertMode {
  AmssRaw,   // the reference: word pieces, no [CLS]/[SEP], truncated and zero-padded to
             // max_length; the reference model sees no attention mask (it attends to the
             // padding), so attention_mask is all ones
  Standard,  // [CLS] pieces [SEP], truncated and padded, attention_mask 0 on the padding
};

struct TextOptions {
  std::string vocab_file;  // BERT's vocab.txt (uncased); a path, or a name under the root
  BertMode bert_mode = BertMode::AmssRaw;
  std::int64_t max_length = 128;
};

// A split read into rows, and the lines left out while reading it.
struct TextImageSplit {
  std::vector<TextImageRow> rows;
  std::vector<DroppedSample> dropped;
};

// What a text-image data set needs besides its rows.
struct TextImageConfig {
  std::string name;       // for errors: "SarcasmDataset"
  std::string image_dir;  // the image folder
  TextOptions text;       // vocab_file resolved to a path
  ImageOptions image;
  MissingFilePolicy missing_files = MissingFilePolicy::Error;
  std::uint64_t seed = 0;
  std::vector<std::string> class_names;
};

// The config of a data set's options (SarcasmOptions, Twitter2015Options: the same fields), its
// folders and vocabulary under the root; the vocabulary is required.
template <typename Options>
TextImageConfig text_image_config(const std::string& name, const Options& options,
                                  std::vector<std::string> class_names) {
  MG_CHECK(!options.text.vocab_file.empty(), name, ": text.vocab_file is required");
  TextOptions text = options.text;
  text.vocab_file = path_under(options.root, text.vocab_file);
  return {name,
          path_under(options.root, options.image_dir),
          text,
          options.image,
          options.missing_files,
          options.seed,
          std::move(class_names)};
}

// Sarcasm and Twitter-2015 once their split is read. Sample i has inputs
//   "input_ids"       int64 [max_length]  BERT word-piece ids (text.bert_mode)
//   "attention_mask"  int64 [max_length]  all ones under AmssRaw (the reference model attends to
//                                         the padding), 0 on the padding under Standard
//   "image"           float32 [3, size, size]  Resize((size, size)), ToTensor, Normalize (train
//                                         = test, no augmentation, as AMSS)
// its label and source (the image file). A missing image follows missing_files; Placeholder
// gives an all-zero "image" tensor.
class TextImageDataset : public BenchmarkDataset {
 public:
  const BertTokenizer& tokenizer() const { return tokenizer_; }
  const std::string& text(std::int64_t index) const;

 protected:
  TextImageDataset(TextImageSplit split, const TextImageConfig& config);
  Sample load(std::int64_t index, Generator& generator) const override;

 private:
  struct Entry {
    std::string text;
    std::string image;
    bool placeholder;
  };

  std::string name_;
  BertTokenizer tokenizer_;
  TextOptions text_options_;
  ImageOptions image_options_;
  std::vector<Entry> entries_;
};

}  // namespace mg::data
