#pragma once

#include <cstdint>
#include <string>
#include <vector>

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

}  // namespace mg::data
