#include "core/safetensors.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>

#include "test_util.h"

namespace mg {
namespace {

namespace fs = std::filesystem;

// A fresh directory per test, removed afterwards.
class Safetensors : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::temp_directory_path() / str("mg_safetensors_", info->name(), "_", ::getpid());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  std::vector<std::string> listing() const {
    std::vector<std::string> names;
    for (const auto& entry : fs::directory_iterator(dir_)) {
      names.push_back(entry.path().filename().string());
    }
    std::sort(names.begin(), names.end());
    return names;
  }

  fs::path dir_;
};

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

std::string le64(std::uint64_t value) {
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>((value >> (8 * i)) & 0xff);
  return out;
}

// A file: the header length, `header` and `data`.
std::string file_bytes(const std::string& header, const std::string& data = "") {
  return le64(header.size()) + header + data;
}

template <typename T>
std::string raw(const std::vector<T>& values) {
  std::string out(values.size() * sizeof(T), '\0');
  std::memcpy(out.data(), values.data(), out.size());
  return out;
}

SafetensorsFile parse(const std::string& bytes) {
  return parse_safetensors(bytes, "m.safetensors");
}

void expect_same(const Tensor& actual, const Tensor& expected) {
  ASSERT_TRUE(actual.defined());
  EXPECT_EQ(actual.dtype(), expected.dtype());
  EXPECT_EQ(actual.shape(), expected.shape());
  EXPECT_TRUE(actual.numel() == 0 || actual.is_contiguous());  // [2, 0] reports false
  EXPECT_EQ(actual.to_vector<double>(), expected.to_vector<double>());
  if (expected.dtype() == kInt64) {  // beyond 2^53 doubles are not exact
    EXPECT_EQ(actual.to_vector<std::int64_t>(), expected.to_vector<std::int64_t>());
  }
}

TEST_F(Safetensors, RoundTripsEveryDtypeAndLayout) {
  const Tensor f32 = tensor({1.5, -2.25, 3e-20, 1e30, 0, -0.0}, {2, 3}, kFloat32);
  const Tensor f64 = tensor({0.1, -1e300, 4.9e-324, 7}, {4}, kFloat64);
  const Tensor i64 = from_vector<std::int64_t>({INT64_MIN, -1, 0, INT64_MAX}, {2, 2});
  const Tensor u8 = from_vector<std::uint8_t>({0, 7, 255}, {3});
  const Tensor flags = from_vector(std::vector<bool>{true, false, false, true}, {2, 2});
  const Tensor strided = transpose(reshape(arange(12, kFloat32), {3, 4}), 0, 1);
  ASSERT_FALSE(strided.is_contiguous());
  const Tensor sliced = slice(from_vector<std::int64_t>({1, 2, 3, 4, 5, 6}), 0, 1, 6, 2);
  const Tensor nothing = zeros({0, 3}, kFloat32);
  const Tensor no_bytes = empty({2, 0}, kBool);
  const Tensor zero_d = scalar_tensor(42, kInt64);
  const std::vector<std::pair<std::string, Tensor>> tensors = {{"f32", f32},
                                                               {"f64", f64},
                                                               {"i64", i64},
                                                               {"u8", u8},
                                                               {"bool", flags},
                                                               {"strided", strided},
                                                               {"sliced", sliced},
                                                               {"empty", nothing},
                                                               {"no_bytes", no_bytes},
                                                               {"zero_d", zero_d},
                                                               {"unicode \xc3\xa9 \"quoted\"", u8}};
  const std::map<std::string, std::string> metadata = {{"format", "pt"}, {"note", "a\nb \"c\""}};
  save_safetensors(path("m.safetensors"), tensors, metadata);

  const SafetensorsFile file = load_safetensors(path("m.safetensors"));
  const SafetensorsFile in_memory = parse(read_bytes(path("m.safetensors")));
  EXPECT_EQ(file.metadata, metadata);
  EXPECT_EQ(in_memory.metadata, metadata);
  ASSERT_EQ(file.tensors.size(), tensors.size());
  ASSERT_EQ(in_memory.tensors.size(), tensors.size());
  for (std::size_t i = 0; i < tensors.size(); ++i) {
    SCOPED_TRACE(tensors[i].first);
    // The data is written in the given order, and file order is data order (the zero-byte
    // tensors sort before zero_d, which starts at the same offset).
    EXPECT_EQ(file.tensors[i].first, tensors[i].first);
    EXPECT_EQ(in_memory.tensors[i].first, tensors[i].first);
    expect_same(file.tensors[i].second, tensors[i].second);
    expect_same(in_memory.tensors[i].second, tensors[i].second);
  }
  EXPECT_EQ(file.find("absent"), nullptr);
  EXPECT_EQ(file.tensors[0].first, "f32");
  EXPECT_EQ(listing(), std::vector<std::string>{"m.safetensors"});
}

TEST_F(Safetensors, WritesTheExactLayout) {
  save_safetensors(
      path("a.safetensors"),
      {{"w", tensor({1, 2}, {2}, kFloat32)}, {"b", from_vector<std::uint8_t>({1, 2, 3}, {3, 1})}},
      {{"k", "v"}});
  const std::string header =
      R"({"__metadata__":{"k":"v"},"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
      R"("b":{"dtype":"U8","shape":[3,1],"data_offsets":[8,11]}})";
  ASSERT_EQ(header.size(), 134u);
  const std::string padded = header + std::string(2, ' ');  // to 136, a multiple of 8
  const std::string expected = le64(136) + padded + raw<float>({1, 2}) + "\x01\x02\x03";
  EXPECT_EQ(read_bytes(path("a.safetensors")), expected);
}

TEST_F(Safetensors, ParsesAHandBuiltFile) {
  // Tensors listed out of data order, an unpadded header, no metadata, an ignored extra field.
  const std::string header =
      R"({"second":{"dtype":"I64","shape":[],"data_offsets":[8,16],"extra":1},)"
      R"("first":{"dtype":"F64","shape":[1],"data_offsets":[0,8]}})";
  const SafetensorsFile file =
      parse(file_bytes(header, raw<double>({-0.5}) + raw<std::int64_t>({9})));
  ASSERT_EQ(file.tensors.size(), 2u);
  EXPECT_EQ(file.tensors[0].first, "first");
  EXPECT_EQ(file.tensors[1].first, "second");
  testing::expect_values(file.tensors[0].second, {-0.5}, {1});
  EXPECT_EQ(file.tensors[1].second.dtype(), kInt64);
  EXPECT_EQ(file.tensors[1].second.item<std::int64_t>(), 9);
  EXPECT_TRUE(file.metadata.empty());
  // An empty file: no tensors at all.
  EXPECT_TRUE(parse(file_bytes("{}")).tensors.empty());
}

TEST_F(Safetensors, ConvertsHalfAndBfloat16Exactly) {
  const std::vector<std::uint16_t> half = {0x3c00, 0xc100, 0x7bff, 0x0001, 0x03ff,
                                           0x7c00, 0xfc00, 0x8000, 0x3555};
  const std::vector<double> half_values = {
      1.0,      -2.5,      65504.0, std::ldexp(1.0, -24),   std::ldexp(1023.0, -24),
      INFINITY, -INFINITY, -0.0,    std::ldexp(1365.0, -12)};  // 0.333251953125
  const std::vector<std::uint16_t> bf16 = {0x3f80, 0xc020, 0x7f7f, 0x0001, 0x7f80, 0x7fc0};
  const std::string header = R"({"h":{"dtype":"F16","shape":[9],"data_offsets":[0,18]},)"
                             R"("b":{"dtype":"BF16","shape":[2,3],"data_offsets":[18,30]}})";
  const SafetensorsFile file = parse(file_bytes(header, raw(half) + raw(bf16)));
  const Tensor& h = *file.find("h");
  EXPECT_EQ(h.dtype(), kFloat32);
  const auto got = h.to_vector<float>();
  for (std::size_t i = 0; i < half_values.size(); ++i) {
    EXPECT_EQ(got[i], static_cast<float>(half_values[i])) << "F16 element " << i;
  }
  EXPECT_TRUE(std::signbit(got[7]));
  const Tensor& b = *file.find("b");
  EXPECT_EQ(b.dtype(), kFloat32);
  EXPECT_EQ(b.shape(), Shape({2, 3}));
  const auto bvalues = b.to_vector<float>();
  EXPECT_EQ(bvalues[0], 1.0f);
  EXPECT_EQ(bvalues[1], -2.5f);
  EXPECT_EQ(bvalues[2], 3.3895313892515355e38f);
  EXPECT_EQ(bvalues[3], std::ldexp(1.0f, -133));
  EXPECT_EQ(bvalues[4], INFINITY);
  EXPECT_TRUE(std::isnan(bvalues[5]));
}

TEST_F(Safetensors, WidensSmallIntegersToInt64) {
  const std::string header = R"({"i8":{"dtype":"I8","shape":[2],"data_offsets":[0,2]},)"
                             R"("i16":{"dtype":"I16","shape":[2],"data_offsets":[2,6]},)"
                             R"("i32":{"dtype":"I32","shape":[2],"data_offsets":[6,14]},)"
                             R"("u16":{"dtype":"U16","shape":[2],"data_offsets":[14,18]},)"
                             R"("u32":{"dtype":"U32","shape":[2],"data_offsets":[18,26]}})";
  const std::string data = raw<std::int8_t>({-128, 127}) + raw<std::int16_t>({-32768, 5}) +
                           raw<std::int32_t>({INT32_MIN, INT32_MAX}) +
                           raw<std::uint16_t>({65535, 1}) + raw<std::uint32_t>({UINT32_MAX, 2});
  const SafetensorsFile file = parse(file_bytes(header, data));
  const std::vector<std::pair<std::string, std::vector<std::int64_t>>> expected = {
      {"i8", {-128, 127}},
      {"i16", {-32768, 5}},
      {"i32", {INT32_MIN, INT32_MAX}},
      {"u16", {65535, 1}},
      {"u32", {UINT32_MAX, 2}}};
  for (const auto& [name, values] : expected) {
    ASSERT_NE(file.find(name), nullptr) << name;
    EXPECT_EQ(file.find(name)->dtype(), kInt64) << name;
    EXPECT_EQ(file.find(name)->to_vector<std::int64_t>(), values) << name;
  }
}

// A one-tensor file whose entry for "t" is `entry`, followed by `data`.
std::string one_tensor(const std::string& entry, const std::string& data) {
  return file_bytes(R"({"t":)" + entry + "}", data);
}

TEST_F(Safetensors, RejectsBadFraming) {
  EXPECT_MG_ERROR(parse("1234567"), "m.safetensors", "7 bytes, fewer than the 8-byte");
  EXPECT_MG_ERROR(parse(le64(9) + "{}      "), "m.safetensors", "header length 9",
                  "larger than the 8 bytes that follow");
  EXPECT_MG_ERROR(parse(le64(200'000'000) + "{}"), "m.safetensors", "header length 200000000",
                  "limit of 100000000");
  EXPECT_MG_ERROR(parse(le64(UINT64_MAX) + "{}"), "header length 18446744073709551615");
  EXPECT_MG_ERROR(parse(file_bytes("{\"t\":")), "m.safetensors (header): invalid JSON at byte 5");
  EXPECT_MG_ERROR(parse(file_bytes("{} x")), "m.safetensors (header)", "at byte 3");
  EXPECT_MG_ERROR(parse(file_bytes("[1]")), "m.safetensors: the header must be a JSON object",
                  "got array");
  EXPECT_MG_ERROR(parse(file_bytes(R"({"__metadata__":{"a":1}})")), "m.safetensors",
                  "\"__metadata__\" must be an object of strings", R"({"a":1})");
  EXPECT_MG_ERROR(parse(file_bytes(R"({"__metadata__":[]})")), "must be an object of strings");
}

TEST_F(Safetensors, RejectsBadEntries) {
  const std::string f32 = raw<float>({1, 2});
  EXPECT_MG_ERROR(parse(one_tensor("[]", f32)), "m.safetensors: tensor \"t\"",
                  "expected an object with dtype, shape and data_offsets, got []");
  EXPECT_MG_ERROR(parse(one_tensor(R"({"shape":[2],"data_offsets":[0,8]})", f32)), "tensor \"t\"",
                  "missing \"dtype\"");
  EXPECT_MG_ERROR(parse(one_tensor(R"({"dtype":"F32","data_offsets":[0,8]})", f32)), "tensor \"t\"",
                  "missing \"shape\"");
  EXPECT_MG_ERROR(parse(one_tensor(R"({"dtype":"F32","shape":[2]})", f32)), "tensor \"t\"",
                  "missing \"data_offsets\"");
  EXPECT_MG_ERROR(parse(one_tensor(R"({"dtype":5,"shape":[2],"data_offsets":[0,8]})", f32)),
                  "tensor \"t\"", "\"dtype\" must be a string, got 5");
  EXPECT_MG_ERROR(parse(one_tensor(R"({"dtype":"F8_E4M3","shape":[8],"data_offsets":[0,8]})", f32)),
                  "m.safetensors: tensor \"t\"", "unknown dtype \"F8_E4M3\"");
  EXPECT_MG_ERROR(parse(one_tensor(R"({"dtype":"f32","shape":[2],"data_offsets":[0,8]})", f32)),
                  "unknown dtype \"f32\"");
  EXPECT_MG_ERROR(parse(one_tensor(R"({"dtype":"F32","shape":2,"data_offsets":[0,8]})", f32)),
                  "tensor \"t\"", "\"shape\" must be an array of integers, got 2");
  EXPECT_MG_ERROR(parse(one_tensor(R"({"dtype":"F32","shape":[2.0],"data_offsets":[0,8]})", f32)),
                  "\"shape\" must be an array of integers, got [2.0]");
  EXPECT_MG_ERROR(parse(one_tensor(R"({"dtype":"F32","shape":[-2],"data_offsets":[0,8]})", f32)),
                  "tensor \"t\"", "negative size in shape [-2]");
  EXPECT_MG_ERROR(
      parse(one_tensor(R"({"dtype":"F32","shape":[4294967296,4294967296,0],"data_offsets":[0,0]})",
                       "")),
      "tensor \"t\"", "has too many elements");
  for (const char* offsets : {"[0]", "[0,8,8]", "[8,0]", "[-8,0]", "\"0,8\"", "[0,8.0]"}) {
    EXPECT_MG_ERROR(
        parse(one_tensor(str(R"({"dtype":"F32","shape":[2],"data_offsets":)", offsets, "}"), f32)),
        "tensor \"t\"", "\"data_offsets\" must be [begin, end] with 0 <= begin <= end");
  }
  EXPECT_MG_ERROR(parse(one_tensor(R"({"dtype":"F32","shape":[3],"data_offsets":[0,8]})", f32)),
                  "m.safetensors: tensor \"t\"", "data_offsets [0,8] hold 8 bytes",
                  "F32 of shape [3] needs 12");
  EXPECT_MG_ERROR(parse(one_tensor(R"({"dtype":"F32","shape":[4],"data_offsets":[0,16]})", f32)),
                  "tensor \"t\"", "data_offsets [0,16] go past the end of the 8-byte data section");
  EXPECT_MG_ERROR(parse(one_tensor(R"({"dtype":"BOOL","shape":[2],"data_offsets":[0,2]})",
                                   std::string("\x01\x02", 2))),
                  "tensor \"t\"", "BOOL element 1 is 2, not 0 or 1");
}

TEST_F(Safetensors, RejectsTensorsThatDoNotTileTheData) {
  const std::string data(16, '\0');
  const auto two = [&](const std::string& a, const std::string& b, const std::string& bytes) {
    return parse(file_bytes(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":)" + a +
                                R"(},"b":{"dtype":"F32","shape":[2],"data_offsets":)" + b + "}}",
                            bytes));
  };
  EXPECT_MG_ERROR(two("[0,8]", "[4,12]", data.substr(0, 12)), "m.safetensors",
                  "tensors \"a\" and \"b\" overlap: data_offsets [0, 8] and [4, 12]");
  EXPECT_MG_ERROR(two("[0,8]", "[0,8]", data.substr(0, 8)), "\"a\" and \"b\" overlap");
  EXPECT_MG_ERROR(two("[0,8]", "[12,20]", data + "1234"), "m.safetensors",
                  "bytes [8, 12) of the data section belong to no tensor",
                  "a gap before tensor \"b\"");
  EXPECT_MG_ERROR(two("[4,12]", "[12,20]", data + "1234"), "bytes [0, 4)",
                  "gap before tensor \"a\"");
  EXPECT_MG_ERROR(two("[0,8]", "[8,16]", data + "xyz"), "m.safetensors",
                  "bytes [16, 19) at the end of the data section belong to no tensor");
  EXPECT_MG_ERROR(parse(file_bytes("{}", "x")), "bytes [0, 1) at the end");
  // A zero-byte tensor may sit at a boundary, not inside another tensor.
  const std::string zero = R"(,"z":{"dtype":"F32","shape":[0],"data_offsets":)";
  const std::string pair = R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]})";
  EXPECT_EQ(parse(file_bytes(pair + zero + "[8,8]}}", data.substr(0, 8))).tensors.size(), 2u);
  EXPECT_MG_ERROR(parse(file_bytes(pair + zero + "[4,4]}}", data.substr(0, 8))),
                  "\"a\" and \"z\" overlap");
  EXPECT_EQ(two("[8,16]", "[0,8]", data).tensors[0].first, "b");
}

TEST_F(Safetensors, RejectsDuplicateNames) {
  const std::string entry = R"({"dtype":"U8","shape":[1],"data_offsets":[0,1]})";
  EXPECT_MG_ERROR(parse(file_bytes(R"({"t":)" + entry + R"(,"t":)" + entry + "}", "x")),
                  "m.safetensors (header)", "duplicate \"t\"");
  EXPECT_MG_ERROR(save_safetensors(path("d.safetensors"),
                                   {{"t", zeros({1})}, {"u", zeros({1})}, {"t", zeros({2})}}),
                  "save_safetensors", "d.safetensors", "the name \"t\" is used by more than one");
  EXPECT_MG_ERROR(save_safetensors(path("d.safetensors"), {{"__metadata__", zeros({1})}}),
                  "\"__metadata__\" is reserved");
  EXPECT_MG_ERROR(save_safetensors(path("d.safetensors"), {{"t", Tensor()}}),
                  "tensor \"t\" is undefined");
  EXPECT_TRUE(listing().empty());
}

TEST_F(Safetensors, LoadNamesTheFile) {
  EXPECT_MG_ERROR(load_safetensors(path("missing.safetensors")), "load_safetensors: cannot open",
                  "missing.safetensors", "No such file or directory");
  EXPECT_MG_ERROR(load_safetensors(dir_.string()), "load_safetensors: ", dir_.string(),
                  "is a directory");
  write_bytes(path("short.safetensors"), "abc");
  EXPECT_MG_ERROR(load_safetensors(path("short.safetensors")), "short.safetensors",
                  "3 bytes, fewer than the 8-byte header length");
  write_bytes(path("bad.safetensors"),
              one_tensor(R"({"dtype":"F32","shape":[3],"data_offsets":[0,8]})", "12345678"));
  EXPECT_MG_ERROR(load_safetensors(path("bad.safetensors")), "bad.safetensors: tensor \"t\"",
                  "needs 12");
  write_bytes(path("half.safetensors"),
              one_tensor(R"({"dtype":"F16","shape":[2],"data_offsets":[0,4]})",
                         raw<std::uint16_t>({0x3c00, 0xc100})));
  testing::expect_values(load_safetensors(path("half.safetensors")).tensors[0].second, {1.0, -2.5},
                         {2}, 0);
}

TEST_F(Safetensors, WritesAtomically) {
  const std::string missing_dir = path("no/such/dir/m.safetensors");
  EXPECT_MG_ERROR(save_safetensors(missing_dir, {{"t", zeros({2})}}), "save_safetensors",
                  missing_dir, "No such file or directory");
  EXPECT_TRUE(listing().empty());

  // Overwriting replaces the whole file, leaving no temporary behind.
  const std::string target = path("m.safetensors");
  save_safetensors(target, {{"big", zeros({1000})}});
  save_safetensors(target, {{"small", ones({2}, kFloat64)}});
  const SafetensorsFile file = load_safetensors(target);
  ASSERT_EQ(file.tensors.size(), 1u);
  EXPECT_EQ(file.tensors[0].first, "small");
  testing::expect_values(file.tensors[0].second, {1, 1}, {2}, 0);
  EXPECT_EQ(listing(), std::vector<std::string>{"m.safetensors"});

  // A directory in the way of the rename: the error names it and the temporary is removed.
  fs::create_directories(path("taken/inside"));
  EXPECT_MG_ERROR(save_safetensors(path("taken"), {{"t", zeros({2})}}), "save_safetensors",
                  "cannot rename", path("taken"));
  EXPECT_EQ(listing(), (std::vector<std::string>{"m.safetensors", "taken"}));
}

}  // namespace
}  // namespace mg
