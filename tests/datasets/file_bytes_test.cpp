#include "datasets/file_bytes.h"

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "test_util.h"

namespace mg::data {
namespace {

TEST(ReadFileBytes, ReadsEveryByte) {
  const std::string path = ::testing::TempDir() + "/mg_file_bytes.bin";
  {
    std::ofstream out(path, std::ios::binary);
    out.write("\x00\x01\xff\r\n", 5);
  }
  EXPECT_EQ(read_file_bytes(path), (std::vector<std::uint8_t>{0, 1, 255, 13, 10}));
  std::remove(path.c_str());
}

TEST(ReadFileBytes, MissingFilesAndDirectoriesAreNamed) {
  EXPECT_MG_ERROR(read_file_bytes("/nonexistent/mg/file.wav"), "/nonexistent/mg/file.wav",
                  "no such file");
  EXPECT_MG_ERROR(read_file_bytes(::testing::TempDir()), "not a regular file");
}

TEST(WriteFileBytes, ReplacesTheFileWholeAndLeavesNoTemporaryFile) {
  const std::string dir = ::testing::TempDir() + "/mg_write_file_bytes";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const std::string path = dir + "/out.bin";
  write_file_bytes(path, std::vector<std::uint8_t>{1, 2, 3, 4});
  write_file_bytes(path, std::vector<std::uint8_t>{9, 0});
  EXPECT_EQ(read_file_bytes(path), (std::vector<std::uint8_t>{9, 0}));
  write_file_bytes(dir + "/empty.bin", {});
  EXPECT_TRUE(read_file_bytes(dir + "/empty.bin").empty());
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir),
                          std::filesystem::directory_iterator()),
            2);
  // A folder in the way of the rename, a missing folder: errors name the path, and no temporary
  // file stays behind.
  std::filesystem::create_directories(dir + "/taken/inner");
  EXPECT_MG_ERROR(write_file_bytes(dir + "/taken", std::vector<std::uint8_t>{1}), dir + "/taken",
                  "cannot rename");
  EXPECT_MG_ERROR(write_file_bytes(dir + "/missing/out.bin", std::vector<std::uint8_t>{1}),
                  dir + "/missing/out.bin", "cannot create");
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir),
                          std::filesystem::directory_iterator()),
            3);
  std::filesystem::remove_all(dir);
}

TEST(TextLines, DropsTheByteOrderMarkAndLineEnds) {
  const std::string text =
      "\xEF\xBB\xBF"
      "first\r\nsecond\n\r\nlast";
  const std::vector<std::uint8_t> bytes(text.begin(), text.end());
  EXPECT_EQ(text_lines(bytes), (std::vector<std::string_view>{"first", "second", "", "last"}));
  const std::string ended = "a\nb\n";
  EXPECT_EQ(text_lines(std::vector<std::uint8_t>(ended.begin(), ended.end())),
            (std::vector<std::string_view>{"a", "b"}));
  EXPECT_TRUE(text_lines({}).empty());
}

}  // namespace
}  // namespace mg::data
