#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/generator.h"
#include "datasets/dataset.h"
#include "datasets/seeds.h"

// What the five benchmark loaders (cremad.h, kinetics_sounds.h, sarcasm.h, twitter2015.h,
// nvgesture.h) share: per-sample random draws that depend only on (seed, epoch, index), and the
// account of the split-file entries left out.
//
// Random draws: sample i of epoch e draws from Generator(sample_seed(seed, e, i)), a generator of
// its own, so get(i) gives the same tensors in any worker thread and in any order, and a new epoch
// gives new crops and flips. A DataLoader passes its own epoch (get_for_epoch); set_epoch()
// chooses the epoch of get().
//
// Bad data: a file that cannot be read when a sample is loaded (a truncated JPEG, a WAV with a
// bad header) makes get() throw mg::Error naming the file; DataLoaderOptions::skip_bad leaves such
// samples out and reports them. Entries of the split file are checked when the data set is built:
// a missing file follows the loader's MissingFilePolicy, a malformed line is an mg::Error naming
// the file and line, or, with the loader's skip_bad option, left out; both are listed in
// dropped().
namespace mg::data {

// What a loader does with a sample whose file is missing when the split file is read.
enum class MissingFilePolicy {
  Skip,         // leave the sample out (AMSS for CREMA-D and Kinetics-Sounds), listed in dropped()
  Error,        // throw mg::Error naming the file (AMSS for Sarcasm and Twitter-2015)
  Placeholder,  // image data sets only: an all-zero image in its place (TomBERT substitutes one)
};

// A split-file entry left out when the data set was built, and why.
struct DroppedSample {
  std::string source;  // the missing file, or "<split file>:<line>"
  std::string reason;
};

// `relative` under `root` ("<root>/<relative>"), or `relative` itself when it is absolute.
std::string path_under(const std::string& root, const std::string& relative);

// The file of split `split`: split_files[split] when split_files is not empty, else
// defaults[split], under root. Throws mg::Error naming `dataset` and the known splits when there
// is none.
std::string split_file(const std::string& dataset, const std::string& root,
                       const std::string& split,
                       const std::map<std::string, std::string>& split_files,
                       const std::map<std::string, std::string>& defaults);

// Whether `path` (a file or folder that split-file entry `where` needs) exists. When it does not:
// Skip appends it to `dropped` and returns false, Error throws mg::Error naming both, Placeholder
// returns false (the caller substitutes).
bool file_present(const std::string& path, const std::string& where, MissingFilePolicy policy,
                  std::vector<DroppedSample>& dropped);

class BenchmarkDataset : public Dataset {
 public:
  std::int64_t size() const override { return static_cast<std::int64_t>(sources_.size()); }
  // Sample `index` of epoch epoch().
  Sample get(std::int64_t index) const override;
  Sample get_for_epoch(std::int64_t index, std::int64_t epoch) const override;
  // The sample's main file (CREMA-D and Kinetics-Sounds: the frame folder; Sarcasm and
  // Twitter-2015: the image; NVGesture: the sample folder).
  std::string source(std::int64_t index) const override;

  void set_epoch(std::int64_t epoch) { epoch_.store(epoch); }
  std::int64_t epoch() const { return epoch_.load(); }
  std::uint64_t seed() const { return seed_; }
  // The class index of sample `index`, known without reading it.
  std::int64_t label(std::int64_t index) const;
  // The class names, index = label.
  const std::vector<std::string>& class_names() const { return class_names_; }
  // The split-file entries left out (missing files under MissingFilePolicy::Skip, malformed
  // lines under skip_bad), in file order.
  const std::vector<DroppedSample>& dropped() const { return dropped_; }

 protected:
  explicit BenchmarkDataset(std::uint64_t seed) : seed_(seed) {}
  // Reads sample `index` (0 <= index < size()), drawing its random numbers from `generator`.
  virtual Sample load(std::int64_t index, Generator& generator) const = 0;

  // Filled by the constructors: one source and one label per sample, the class table and what was
  // left out.
  std::vector<std::string> sources_;
  std::vector<std::int64_t> labels_;
  std::vector<std::string> class_names_;
  std::vector<DroppedSample> dropped_;

 private:
  void check_index(std::int64_t index) const;

  std::uint64_t seed_;
  std::atomic<std::int64_t> epoch_{0};
};

}  // namespace mg::data
