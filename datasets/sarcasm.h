#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "datasets/benchmark_dataset.h"
#include "datasets/image_pipeline.h"
#include "datasets/text_image.h"

// Multimodal sarcasm detection (Cai et al., ACL 2019; specs/datasets.md §7), 2 classes
// (0 not sarcastic, 1 sarcastic), in three layouts that all become (text, image, label):
//   Amss:   <root>/annotations/{train,valid,test}.tsv (read_named_text_image_tsv), images/<ImageID>
//   CaiRaw: <root>/text/{train,valid2,test2}.txt, Python list literals, keyword-filtered;
//           images/<id>.jpg
//   Json:   <root>/annotations/{train,valid,test}.json (BSS): [{"image", "text", "label"}, ...],
//           images/<basename of image>
// <root> is the folder AMSS calls <data_path>/Sarcasm.
namespace mg::data {

enum class SarcasmFormat { Amss, CaiRaw, Json };

// The image normalization AMSS uses for Sarcasm (and, by default, for every text-image set).
inline const std::vector<double> kSarcasmMean = {0.48456249428840364, 0.4988762843596956,
                                                 0.530657871261656};
inline const std::vector<double> kSarcasmStd = {0.24398715912049204, 0.24868027118814742,
                                                0.2573621194247526};

struct SarcasmOptions {
  std::string root;
  std::string split = "train";
  SarcasmFormat format = SarcasmFormat::Amss;
  // Split name -> file under root; empty: the layout's train, valid and test files above.
  std::map<std::string, std::string> split_files;
  std::string image_dir = "images";
  TextOptions text;
  ImageOptions image{224, kSarcasmMean, kSarcasmStd};
  // CaiRaw: a line whose text has one of these whitespace-separated tokens is dropped (Cai's
  // reader; the standard split sizes depend on it).
  std::vector<std::string> filter_keywords = {"sarcasm", "sarcastic", "reposting", "<url>",
                                              "joke",    "humour",    "humor",     "jokes",
                                              "irony",   "ironic",    "exgag"};
  // A missing image: AMSS raises.
  MissingFilePolicy missing_files = MissingFilePolicy::Error;
  bool skip_bad = false;
  std::uint64_t seed = 0;
};

// Cai's text file: one list literal per line, [id, text, label] (train) or
// [id, text, hashtag_label, human_label] (valid, test): the id and text strings, the last
// element the label (0 or 1); image <id>.jpg. Lines whose text holds a filter keyword are
// dropped (not reported). A line that does not parse or has the wrong elements is a bad line.
std::vector<TextImageRow> read_sarcasm_raw(const std::string& path,
                                           const std::vector<std::string>& filter_keywords,
                                           const BadLines& bad = {false, nullptr});

// BSS's JSON list of {"image": path, "text": string, "label": 0 | 1}; the image's base name is
// kept. An element without them is bad ("<file>: element <i>").
std::vector<TextImageRow> read_sarcasm_json(const std::string& path,
                                            const BadLines& bad = {false, nullptr});

// The Sarcasm loader: TextImageDataset's inputs ("input_ids", "attention_mask", "image"), label
// 0 or 1, source the image. text.vocab_file is required (a path; a relative one is under root).
class SarcasmDataset final : public TextImageDataset {
 public:
  explicit SarcasmDataset(const SarcasmOptions& options);
};

}  // namespace mg::data
