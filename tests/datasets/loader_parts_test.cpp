// The pieces the benchmark loaders share: per-sample seeds, bad split-file lines, frame listing
// and selection, class maps. Fixtures: tests/fixtures/datasets, written by tools/make_fixtures.py.
#include <algorithm>
#include <cstdio>
#include <fstream>
#include <functional>
#include <set>

#include "core/random.h"
#include "datasets/benchmark_dataset.h"
#include "datasets/class_map.h"
#include "datasets/cremad.h"
#include "datasets/file_bytes.h"
#include "datasets/frames.h"
#include "datasets/kinetics_sounds.h"
#include "datasets/nvgesture.h"
#include "datasets/sarcasm.h"
#include "datasets/split_rows.h"
#include "datasets/twitter2015.h"
#include "test_util.h"

namespace mg::data {
namespace {

const std::string kRoot = std::string(MG_FIXTURE_DIR) + "/datasets";

TEST(SampleSeed, DependsOnSeedEpochAndIndexOnly) {
  EXPECT_EQ(sample_seed(1, 2, 3), sample_seed(1, 2, 3));
  std::set<std::uint64_t> seeds;
  for (std::uint64_t seed = 0; seed < 3; ++seed)
    for (std::int64_t epoch = 0; epoch < 3; ++epoch)
      for (std::int64_t index = 0; index < 3; ++index)
        seeds.insert(sample_seed(seed, epoch, index));
  EXPECT_EQ(seeds.size(), 27u);
}

// Sample i: two random numbers drawn from its generator.
class Draws final : public BenchmarkDataset {
 public:
  Draws(std::int64_t n, std::uint64_t seed = 7) : BenchmarkDataset(seed) {
    for (std::int64_t i = 0; i < n; ++i) sources_.push_back("file" + std::to_string(i));
  }

 protected:
  Sample load(std::int64_t index, Generator& generator) const override {
    Sample sample;
    sample.inputs["x"] = rand({2}, {}, &generator);
    sample.label = index;
    sample.source = sources_[index];
    return sample;
  }
};

std::vector<float> values(const Sample& sample) {
  return sample.inputs.at("x").to_vector<float>();
}

TEST(BenchmarkDataset, DrawsAreAFunctionOfSeedEpochAndIndex) {
  Draws a(3), b(3), other_seed(3, 8);
  EXPECT_EQ(values(a.get(2)), values(b.get(2)));
  EXPECT_EQ(values(a.get(2)), values(a.get(2)));
  EXPECT_NE(values(a.get(1)), values(a.get(2)));
  EXPECT_NE(values(a.get(1)), values(other_seed.get(1)));
  const std::vector<float> epoch0 = values(a.get(1));
  a.set_epoch(1);
  EXPECT_EQ(a.epoch(), 1);
  EXPECT_NE(values(a.get(1)), epoch0);
  b.set_epoch(1);
  EXPECT_EQ(values(a.get(1)), values(b.get(1)));
  EXPECT_EQ(a.source(2), "file2");
  EXPECT_MG_ERROR(a.get(3), "index 3 out of range for 3");
  EXPECT_MG_ERROR(a.source(-1), "index -1 out of range");
}

TEST(BadLines, ThrowsOrNotes) {
  EXPECT_MG_ERROR(BadLines(false, nullptr).report("a.csv", 3, "bad"), "a.csv:3: bad");
  std::vector<DroppedSample> dropped;
  BadLines(true, &dropped).report("a.csv", 4, "worse");
  ASSERT_EQ(dropped.size(), 1u);
  EXPECT_EQ(dropped[0].source, "a.csv:4");
  EXPECT_EQ(dropped[0].reason, "worse");
  EXPECT_EQ(parse_integer("-12"), -12);
  EXPECT_EQ(parse_integer("12x"), std::nullopt);
  EXPECT_EQ(parse_integer(""), std::nullopt);
}

TEST(Frames, ListsOnlyJpgFilesSorted) {
  EXPECT_EQ(list_jpg_frames(kRoot + "/cremad/Image-01-FPS/1001_DFA_NEU_XX"),
            (std::vector<std::string>{"00000.jpg", "00030.jpg", "00060.jpg"}));
  const std::vector<std::string> ks =
      list_jpg_frames(kRoot + "/kinetics_sounds/train_img/Image-01-FPS/fxDrums0002_000004_000014");
  ASSERT_EQ(ks.size(), 10u);
  EXPECT_EQ(ks.front(), "frame_00001.jpg");
  EXPECT_EQ(ks.back(), "frame_00010.jpg");
  EXPECT_MG_ERROR(list_jpg_frames(kRoot + "/cremad/Image-01-FPS/nope"),
                  kRoot + "/cremad/Image-01-FPS/nope", "cannot list the frame folder");
}

TEST(Frames, SelectionPolicies) {
  Generator generator(3);
  EXPECT_EQ(select_frames(5, 3, FrameSelection::FirstNSorted, true, generator, "d"),
            (std::vector<std::int64_t>{0, 1, 2}));
  // 10 frames in 3 segments of 3: middles 1, 4, 7; random ones inside each segment.
  EXPECT_EQ(select_frames(10, 3, FrameSelection::UniformSegments, false, generator, "d"),
            (std::vector<std::int64_t>{1, 4, 7}));
  std::set<std::vector<std::int64_t>> seen;
  for (int draw = 0; draw < 50; ++draw) {
    const auto uniform =
        select_frames(10, 3, FrameSelection::UniformSegments, true, generator, "d");
    for (std::size_t k = 0; k < 3; ++k) {
      EXPECT_GE(uniform[k], static_cast<std::int64_t>(3 * k));
      EXPECT_LT(uniform[k], static_cast<std::int64_t>(3 * k + 3));
    }
    const auto random = select_frames(6, 3, FrameSelection::RandomSorted, true, generator, "d");
    EXPECT_TRUE(std::is_sorted(random.begin(), random.end()));
    EXPECT_EQ(std::set<std::int64_t>(random.begin(), random.end()).size(), 3u);
    EXPECT_GE(random.front(), 0);
    EXPECT_LT(random.back(), 6);
    seen.insert(random);
  }
  EXPECT_GT(seen.size(), 5u);
  Generator again(3), same(3);
  EXPECT_EQ(select_frames(9, 2, FrameSelection::RandomSorted, true, again, "d"),
            select_frames(9, 2, FrameSelection::RandomSorted, true, same, "d"));
  EXPECT_MG_ERROR(select_frames(2, 3, FrameSelection::FirstNSorted, false, generator, "dir/x"),
                  "dir/x: 2 frames (*.jpg), 3 needed");
}

TEST(ClassMap, KeepsOrderAndFindsNames) {
  ClassMap map({"NEU", "HAP"});
  EXPECT_EQ(map.find("HAP"), 1);
  EXPECT_EQ(map.find("SAD"), std::nullopt);
  EXPECT_EQ(map.add("SAD"), 2);
  EXPECT_EQ(map.add("NEU"), 0);
  EXPECT_EQ(map.names(), (std::vector<std::string>{"NEU", "HAP", "SAD"}));
  EXPECT_MG_ERROR(ClassMap({"a", "b", "a"}), "class 'a' appears twice");
}

TEST(ClassMap, ReadsClassListFilesByFirstToken) {
  EXPECT_EQ(read_class_list(kRoot + "/cremad/classes.txt").names(),
            (std::vector<std::string>{"ANG", "DIS", "FEA", "HAP", "NEU", "SAD"}));
  // A byte order mark and CRLF.
  EXPECT_EQ(read_class_list(kRoot + "/cremad/annotations/stat.csv").names(),
            (std::vector<std::string>{"NEU", "HAP", "SAD", "FEA", "DIS", "ANG"}));
  const std::string path = ::testing::TempDir() + "/mg_class_list.txt";
  std::ofstream(path, std::ios::binary) << "a,1\n\nb x\na\n";
  EXPECT_MG_ERROR(read_class_list(path), path + ":4: class 'a' is listed a second time");
  std::ofstream(path, std::ios::binary) << "\n \n";
  EXPECT_MG_ERROR(read_class_list(path), path + ": no classes");
  std::remove(path.c_str());
}

// Every split-file reader on every prefix of its fixture file and on byte-flipped copies: it
// returns rows or throws mg::Error, strict or with skip_bad, and never crashes (CI runs this
// under AddressSanitizer and UndefinedBehaviorSanitizer).
TEST(SplitReaders, TruncatedOrFlippedFilesParseOrThrowMgError) {
  using Reader = std::function<void(const std::string&, const BadLines&)>;
  const ClassMap cremad = cremad_classes();
  const std::vector<std::pair<std::string, Reader>> readers = {
      {"cremad/annotations/train.csv",
       [&](const std::string& p, const BadLines& b) { read_cremad_split(p, cremad, b); }},
      {"cremad/classes.txt", [](const std::string& p, const BadLines&) { read_class_list(p); }},
      {"kinetics_sounds/annotations/train.csv",
       [](const std::string& p, const BadLines& b) { read_kinetics_annotations(p, b); }},
      {"kinetics_sounds/my_train.txt",
       [](const std::string& p, const BadLines& b) { read_kinetics_ogm_list(p, b); }},
      {"sarcasm/text/train.txt",
       [](const std::string& p, const BadLines& b) { read_sarcasm_raw(p, {"<url>"}, b); }},
      {"sarcasm/annotations/train.tsv",
       [](const std::string& p, const BadLines& b) { read_named_text_image_tsv(p, 2, b); }},
      {"sarcasm/annotations/train.json",
       [](const std::string& p, const BadLines& b) { read_sarcasm_json(p, b); }},
      {"twitter2015/absa_data/twitter2015/train.tsv",
       [](const std::string& p, const BadLines& b) {
         read_tombert_tsv(p, TwitterText::TargetSubstituted, b);
       }},
      {"twitter2015/absa_data/twitter2015/train.txt",
       [](const std::string& p, const BadLines& b) {
         read_tombert_txt(p, TwitterText::TargetSubstituted, b);
       }},
      {"nvgesture/nvgesture_train_correct_cvpr2016_v2.lst",
       [](const std::string& p, const BadLines& b) { read_nvgesture_list(p, "/root", 25, b); }},
  };
  const std::string path = ::testing::TempDir() + "/mg_split_fuzz";
  std::uint64_t state = 12345;
  const auto next = [&] {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    return state >> 33;
  };
  for (const auto& [file, read] : readers) {
    SCOPED_TRACE(file);
    const std::vector<std::uint8_t> original = read_file_bytes(kRoot + "/" + file);
    const auto attempt = [&](const std::vector<std::uint8_t>& bytes) {
      // A new file each time: ext4 flushes a file truncated and rewritten when it is closed.
      std::remove(path.c_str());
      std::ofstream(path, std::ios::binary)
          .write(reinterpret_cast<const char*>(bytes.data()),
                 static_cast<std::streamsize>(bytes.size()));
      std::vector<DroppedSample> dropped;
      for (const bool skip_bad : {false, true}) {
        try {
          read(path, BadLines(skip_bad, &dropped));
        } catch (const Error&) {
        }
      }
    };
    for (std::size_t length = 0; length <= original.size(); length += 1 + original.size() / 300)
      attempt(std::vector<std::uint8_t>(original.begin(), original.begin() + length));
    for (int flip = 0; flip < 100; ++flip) {
      std::vector<std::uint8_t> bytes = original;
      bytes[next() % bytes.size()] = static_cast<std::uint8_t>(next());
      attempt(bytes);
    }
  }
  std::remove(path.c_str());
}

}  // namespace
}  // namespace mg::data
