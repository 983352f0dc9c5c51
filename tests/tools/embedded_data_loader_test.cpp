// The embedded default data set, as tools/make_embedded_data.py writes it, read by the CREMA-D
// loader: the builder and the loader agree on the layout, the class list and the shapes. CTest
// builds a tiny set first, into MG_EMBEDDED_TINY_DIR (the fixture tools_embedded_tiny in
// tests/CMakeLists.txt).
#include <cmath>
#include <map>

#include "datasets/class_map.h"
#include "datasets/cremad.h"
#include "datasets/csv.h"
#include "datasets/data_loader.h"
#include "test_util.h"

namespace mg::data {
namespace {

const std::string kRoot = MG_EMBEDDED_TINY_DIR;

CremadOptions embedded(const std::string& split) {
  CremadOptions options;
  options.root = kRoot;
  options.split = split;
  options.class_list_file = "classes.txt";
  return options;
}

TEST(EmbeddedData, EverySplitReadsWithTheClassListAndReferenceShapes) {
  const ClassMap classes = read_class_list(kRoot + "/classes.txt");
  EXPECT_EQ(classes.size(), 10);
  const std::map<std::string, std::int64_t> sizes{{"train", 12}, {"valid", 6}, {"test", 6}};
  for (const auto& [split, size] : sizes) {
    CremadDataset dataset(embedded(split));
    ASSERT_EQ(dataset.size(), size) << split;
    EXPECT_TRUE(dataset.dropped().empty()) << split;
    const std::vector<CremadRow> rows =
        read_cremad_split(kRoot + "/annotations/" + split + ".csv", classes);
    for (std::int64_t i = 0; i < dataset.size(); ++i) {
      const Sample sample = dataset.get(i);
      // The stem's third field is the class code, as in CREMA-D.
      const std::string& stem = rows[static_cast<std::size_t>(i)].stem;
      const std::string code = stem.substr(stem.find('_', stem.find('_') + 1) + 1, 3);
      EXPECT_EQ(sample.label, *classes.find(code)) << stem;
      const Tensor& audio = sample.inputs.at("audio");
      const Tensor& visual = sample.inputs.at("visual");
      EXPECT_EQ(audio.shape(), (Shape{1, 257, 188})) << stem;
      EXPECT_EQ(visual.shape(), (Shape{3, 1, 224, 224})) << stem;
      for (const Tensor& t : {audio, visual}) {
        const std::vector<float> values = t.to_vector<float>();
        EXPECT_TRUE(std::all_of(values.begin(), values.end(), [](float v) {
          return std::isfinite(v);
        })) << stem;
      }
    }
  }
}

TEST(EmbeddedData, BatchesThroughTheDataLoader) {
  DataLoaderOptions options;
  options.batch_size = 5;
  options.num_workers = 2;
  options.shuffle = true;
  DataLoader loader(std::make_shared<CremadDataset>(embedded("train")), options);
  std::int64_t seen = 0;
  for (const Batch& batch : loader) {
    EXPECT_EQ(batch.inputs.at("audio").dim(), 4);
    EXPECT_EQ(batch.inputs.at("visual").size(0), batch.labels.size(0));
    seen += batch.labels.size(0);
  }
  EXPECT_EQ(seen, 12);
}

}  // namespace
}  // namespace mg::data
