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

}  // namespace
}  // namespace mg::data
