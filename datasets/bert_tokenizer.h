#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/tensor.h"

// BERT WordPiece tokenization from a vocab.txt, matching Hugging Face's slow `BertTokenizer`
// (transformers 4.39) with do_lower_case=true:
// - the special tokens [PAD] [UNK] [CLS] [SEP] [MASK] are cut out of the text wherever they occur
//   verbatim (case-sensitive), as HF does before basic tokenization;
// - basic tokenizer: drop NUL, U+FFFD and every code point of category C* except \t \n \r; split
//   on whitespace (space, \t \n \r, Zs, and U+2028/U+2029, which Python's str.split() also
//   splits on); lower-case, NFD and drop nonspacing marks (Mn); CJK ideographs (HF's ranges) and
//   punctuation (ASCII 33-47, 58-64, 91-96, 123-126 and Unicode P*) become tokens of their own;
// - WordPiece: greedy longest-match-first with "##" continuations; a word longer than 100 code
//   points, or one that cannot be matched, becomes [UNK].
//
// Limits (documented deviations from HF): lower-casing + accent stripping comes from a table
// covering U+0000-U+052F (Latin-1, Latin Extended-A/B, IPA, Greek, Cyrillic), U+1E00-U+1FFF
// (Latin Extended Additional, Greek Extended), U+2100-U+218F (letterlike, number forms) and
// fullwidth A-Z, plus Hangul syllables (algorithmic); elsewhere (Armenian, Georgian, Cherokee,
// Deseret, precomposed Indic letters such as U+0958...) a code point is kept as it is, where HF
// would lower-case or decompose it. Categories C*, P* and Mn use Unicode 14.0 (Python 3.11).
// With lower_case=false HF applies NFC first; this does not (inputs are taken as NFC). Invalid
// UTF-8 bytes read as U+FFFD, hence are dropped. Unlike HF, an empty encoding is padded too (as the
// reference code does).
namespace mg::data {

struct BertEncodeOptions {
  std::int64_t max_length = 128;
  bool add_special_tokens = false;  // [CLS] ... [SEP]
  bool truncation = true;           // keep the first max_length ids (special tokens included)
  bool pad_to_max_length = true;    // right-pad with the [PAD] id (0 when absent) to max_length

  // The reference (AMSS) convention: no special tokens, truncate and pad to 128.
  static BertEncodeOptions amss_raw(std::int64_t max_length = 128) { return {max_length}; }
  // BERT's standard convention: [CLS] tokens [SEP], truncated and padded to max_length.
  static BertEncodeOptions standard(std::int64_t max_length = 128) {
    return {max_length, true, true, true};
  }
};

struct BertEncoding {
  std::vector<std::int64_t> input_ids;
  std::vector<std::int64_t> attention_mask;  // 1 for a token, 0 for padding
};

struct BertBatch {
  Tensor input_ids;       // int64 [B, L]
  Tensor attention_mask;  // int64 [B, L]
};

class BertTokenizer {
 public:
  // One token per line, its id the line number (0-based); a repeated token takes its last line.
  explicit BertTokenizer(const std::string& vocab_path, bool lower_case = true);
  explicit BertTokenizer(const std::vector<std::string>& vocab_lines, bool lower_case = true);

  // Word pieces (special tokens included as they are).
  std::vector<std::string> tokenize(std::string_view text) const;
  // Ids of tokenize(text), unknown pieces as the [UNK] id; nothing added, nothing cut.
  std::vector<std::int64_t> token_ids(std::string_view text) const;
  BertEncoding encode(std::string_view text, const BertEncodeOptions& options = {}) const;
  // Encodes every text; rows shorter than the longest are padded (even without
  // pad_to_max_length), with attention mask 0 there.
  BertBatch encode_batch(const std::vector<std::string>& texts,
                         const BertEncodeOptions& options = {}) const;

  std::int64_t id_of(const std::string& token) const;  // the [UNK] id when absent
  std::int64_t pad_id() const { return pad_id_; }
  std::int64_t unk_id() const { return unk_id_; }
  std::int64_t vocab_size() const { return static_cast<std::int64_t>(vocab_.size()); }

 private:
  void wordpiece(const std::u32string& word, std::vector<std::string>& out) const;
  void basic_tokenize(const std::u32string& text, std::vector<std::string>& out) const;

  std::unordered_map<std::string, std::int64_t> vocab_;
  bool lower_case_;
  std::int64_t unk_id_ = 0;
  std::int64_t pad_id_ = 0;
  std::int64_t cls_id_ = 0;
  std::int64_t sep_id_ = 0;
};

}  // namespace mg::data
