#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "datasets/benchmark_dataset.h"
#include "datasets/image_pipeline.h"
#include "datasets/text_image.h"

// Twitter-2015 target-oriented multimodal sentiment (TomBERT's release; specs/datasets.md §8), 3
// classes (0 negative, 1 neutral, 2 positive = polarity + 1), in three layouts:
//   Amss:       <root>/annotations/{train,dev,test}.tsv with named columns Label, String, ImageID
//               (read_named_text_image_tsv), the String used as it is
//   TomBertTsv: <root>/absa_data/twitter2015/{train,dev,test}.tsv, positional: index, label,
//               image, tweet with $T$, target (header skipped: test.tsv's names only 4 columns)
//   TomBertTxt: <root>/absa_data/twitter2015/{train,dev,test}.txt, groups of 4 lines: tweet with
//               $T$, target, polarity -1/0/1, image
// and the images in <root>/twitter2015_images/. <root> is AMSS's <data_path>/Twitter15.
namespace mg::data {

enum class TwitterFormat { Amss, TomBertTsv, TomBertTxt };

// The text of a TomBERT row (AMSS's String column is unpublished; §8.2).
enum class TwitterText {
  Masked,             // the tweet with $T$ as it is
  TargetSubstituted,  // every $T$ replaced by the target (the default)
  MaskedSepTarget,    // tweet + " [SEP] " + target
};

inline const std::vector<double> kTwitterMean = {0.42455, 0.44051, 0.47076};
inline const std::vector<double> kTwitterStd = {0.24485, 0.24617, 0.25451};

struct Twitter2015Options {
  std::string root;
  std::string split = "train";
  TwitterFormat format = TwitterFormat::Amss;
  // Split name -> file under root; empty: train, dev and test of the layout above.
  std::map<std::string, std::string> split_files;
  TwitterText text_mode = TwitterText::TargetSubstituted;  // TomBERT layouts
  std::string image_dir = "twitter2015_images";
  TextOptions text;
  ImageOptions image{224, kTwitterMean, kTwitterStd};
  // A missing image: AMSS raises; TomBERT substitutes another image (Placeholder: zeros).
  MissingFilePolicy missing_files = MissingFilePolicy::Error;
  bool skip_bad = false;
  std::uint64_t seed = 0;
};

std::string twitter_text(const std::string& tweet, const std::string& target, TwitterText mode);

// TomBERT's TSV, positional: line 1 skipped, then index, label 0..2, image, tweet, target. A row
// with fewer than 5 fields or a bad label is a bad line.
std::vector<TextImageRow> read_tombert_tsv(const std::string& path, TwitterText mode,
                                           const BadLines& bad = {false, nullptr});

// TomBERT's text file: groups of 4 lines (tweet, target, polarity -1/0/1, image); empty lines at
// the end are ignored. A group with a bad polarity or an empty image, or an incomplete last
// group, is a bad line (named by its first line).
std::vector<TextImageRow> read_tombert_txt(const std::string& path, TwitterText mode,
                                           const BadLines& bad = {false, nullptr});

// The Twitter-2015 loader: TextImageDataset's inputs ("input_ids", "attention_mask", "image"),
// label 0..2, source the image. text.vocab_file is required (a path; a relative one is under
// root).
class Twitter2015Dataset final : public TextImageDataset {
 public:
  explicit Twitter2015Dataset(const Twitter2015Options& options);
};

}  // namespace mg::data
