#include "datasets/npy.h"

#include <cmath>
#include <cstdio>
#include <cstring>

#include "test_util.h"

namespace mg::data {
namespace {

std::vector<std::uint8_t> as_bytes(const std::string& text) {
  return std::vector<std::uint8_t>(text.begin(), text.end());
}

// A .npy file: magic, version, little-endian header length, header, payload.
std::vector<std::uint8_t> npy_file(int major, const std::string& header,
                                   const std::string& payload) {
  std::string out = std::string("\x93NUMPY", 6) + char(major) + '\0';
  const std::size_t length_size = major == 1 ? 2 : 4;
  for (std::size_t i = 0; i < length_size; ++i) out += char((header.size() >> (8 * i)) & 0xff);
  return as_bytes(out + header + payload);
}

template <typename T>
std::string raw(const std::vector<T>& values) {
  return std::string(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(T));
}

const std::string kHeader23 = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";

// What numpy >= 1.14 writes: the header padded with spaces so that magic through '\n' is a
// multiple of 64 bytes.
std::string numpy_padded(const std::string& header, std::size_t preamble) {
  return header + std::string((64 - (preamble + header.size() + 1) % 64) % 64, ' ') + '\n';
}

TEST(Npy, ReadsAHeaderAsNumpyWritesIt) {
  const std::string header = numpy_padded(kHeader23, 10);
  ASSERT_EQ(10 + header.size(), 128u);
  const auto bytes = npy_file(1, header, raw<float>({0, 1, 2, 3, 4, 5.5f}));
  const Tensor t = parse_npy(bytes, "<bytes>");
  EXPECT_EQ(t.dtype(), kFloat32);
  testing::expect_values(t, {0, 1, 2, 3, 4, 5.5}, {2, 3});
  // write_npy produces exactly numpy's bytes.
  EXPECT_EQ(npy_bytes(t), bytes);
}

TEST(Npy, ReadsVersion2And3) {
  const std::string header =
      numpy_padded("{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }", 12);
  testing::expect_values(parse_npy(npy_file(2, header, raw<double>({1, -2, 3e300})), "<bytes>"),
                         {1, -2, 3e300}, {3});
  testing::expect_values(parse_npy(npy_file(3, header, raw<double>({1, -2, 3})), "<bytes>"),
                         {1, -2, 3}, {3});
}

TEST(Npy, AcceptsKeysInAnyOrderExtraSpacesAndPython2Longs) {
  const std::string header =
      "{ \"shape\" : ( 2L , 1L ) ,'fortran_order':False,  'descr':'<i8'}            \n";
  const Tensor t = parse_npy(npy_file(1, header, raw<std::int64_t>({7, -8})), "<bytes>");
  EXPECT_EQ(t.dtype(), kInt64);
  EXPECT_EQ(t.to_vector<std::int64_t>(), (std::vector<std::int64_t>{7, -8}));
}

TEST(Npy, ConvertsEveryDtype) {
  const auto read = [](const std::string& descr, const std::string& payload,
                       const std::string& shape = "(2,)") {
    return parse_npy(
        npy_file(1,
                 "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + shape + ", }\n",
                 payload),
        "<bytes>");
  };
  // float16: 1.0 = 0x3c00, -2.5 = 0xc100, smallest subnormal 0x0001 = 2^-24.
  Tensor half = read("<f2", raw<std::uint16_t>({0x3c00, 0xc100, 0x0001}), "(3,)");
  EXPECT_EQ(half.dtype(), kFloat32);
  EXPECT_EQ(half.to_vector<float>(), (std::vector<float>{1.0f, -2.5f, std::ldexp(1.0f, -24)}));
  Tensor bytes = read("|u1", std::string("\x00\xff", 2));
  EXPECT_EQ(bytes.dtype(), kUInt8);
  EXPECT_EQ(bytes.to_vector<std::uint8_t>(), (std::vector<std::uint8_t>{0, 255}));
  EXPECT_EQ(read("|i1", "\x80\x7f").to_vector<std::int64_t>(),
            (std::vector<std::int64_t>{-128, 127}));
  Tensor shorts = read("<i2", raw<std::int16_t>({-32768, 32767}));
  EXPECT_EQ(shorts.dtype(), kInt64);
  EXPECT_EQ(shorts.to_vector<std::int64_t>(), (std::vector<std::int64_t>{-32768, 32767}));
  EXPECT_EQ(read("<i4", raw<std::int32_t>({-5, 1 << 30})).to_vector<std::int64_t>(),
            (std::vector<std::int64_t>{-5, 1 << 30}));
  EXPECT_EQ(read("|b1", std::string("\x01\x00", 2)).to_vector<bool>(),
            (std::vector<bool>{true, false}));
  // Big-endian is byte-swapped, as numpy does.
  EXPECT_EQ(
      read(">i4", std::string("\x00\x00\x01\x02\xff\xff\xff\xfe", 8)).to_vector<std::int64_t>(),
      (std::vector<std::int64_t>{258, -2}));
  EXPECT_EQ(read(">f4", std::string("\x3f\x80\x00\x00\xc0\x00\x00\x00", 8)).to_vector<float>(),
            (std::vector<float>{1.0f, -2.0f}));
  // 0-d and empty arrays.
  Tensor scalar = read("<f8", raw<double>({4.25}), "()");
  EXPECT_EQ(scalar.dim(), 0);
  EXPECT_EQ(scalar.item<double>(), 4.25);
  EXPECT_EQ(read("<f4", "", "(0, 3)").shape(), (Shape{0, 3}));
}

TEST(Npy, RoundTripsEveryMaskgradDtypeThroughAFile) {
  const std::string path = ::testing::TempDir() + "/mg_npy_round_trip.npy";
  const std::vector<Tensor> tensors = {
      tensor({1.5, -2, 3, 4, 5, 6}, {3, 2}, kFloat32),
      transpose(tensor({1.5, -2, 3, 4, 5, 6}, {3, 2}, kFloat64), 0, 1),  // non-contiguous
      tensor({0, 200, 255}, {3}, kUInt8),
      tensor({-1, 1LL << 40}, {1, 1, 2}, kInt64),
      from_vector<bool>({true, false, true}, {3}),
      scalar_tensor(7, kFloat32),
      zeros({2, 0}, kFloat64),
  };
  for (const Tensor& original : tensors) {
    write_npy(path, original);
    const Tensor loaded = read_npy(path);
    EXPECT_EQ(loaded.dtype(), original.dtype());
    EXPECT_EQ(loaded.shape(), original.shape());
    EXPECT_EQ(loaded.to_vector<double>(), original.to_vector<double>()) << describe(original);
    EXPECT_EQ(npy_bytes(original).size() % 64,
              (original.numel() * element_size(original.dtype())) % 64);
  }
  std::remove(path.c_str());
}

TEST(Npy, LongHeadersMoveToVersion2) {
  Shape shape(25000, 1);
  const auto bytes = npy_bytes(zeros(shape, kUInt8));
  EXPECT_EQ(bytes[6], 2);
  EXPECT_EQ(parse_npy(bytes, "<bytes>").shape(), shape);
}

TEST(Npy, CorruptFilesGiveClearErrors) {
  const std::string good_header = numpy_padded(kHeader23, 10);
  const std::string payload = raw<float>({0, 1, 2, 3, 4, 5});
  const auto with_header = [&](const std::string& header) { return npy_file(1, header, payload); };
  EXPECT_MG_ERROR(parse_npy(as_bytes("PK\x03\x04 not npy at all"), "a.npy"), "a.npy",
                  "not a .npy file");
  EXPECT_MG_ERROR(parse_npy(as_bytes(""), "a.npy"), "a.npy", "not a .npy file");
  auto future = with_header(good_header);
  future[6] = 4;
  EXPECT_MG_ERROR(parse_npy(future, "a.npy"), "a.npy", "unsupported npy version 4.0");
  // The header length points past the end of the file.
  auto short_header = with_header(good_header);
  short_header.resize(40);
  EXPECT_MG_ERROR(parse_npy(short_header, "a.npy"), "a.npy", "truncated npy header");
  // Truncated or overlong data.
  auto truncated = with_header(good_header);
  truncated.pop_back();
  EXPECT_MG_ERROR(parse_npy(truncated, "a.npy"), "a.npy", "[2, 3]", "needs 24 bytes", "holds 23");
  EXPECT_MG_ERROR(parse_npy(npy_file(1, good_header, payload + "xyzw"), "a.npy"), "needs 24",
                  "holds 28");
  // Bad headers.
  EXPECT_MG_ERROR(parse_npy(with_header("['descr', '<f4']\n"), "a.npy"), "a.npy",
                  "bad npy header at character 1", "expected '{'");
  EXPECT_MG_ERROR(
      parse_npy(with_header("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), "), "a.npy"),
      "bad npy header");
  EXPECT_MG_ERROR(parse_npy(with_header("{'descr': '<f4', 'fortran_order': False}\n"), "a.npy"),
                  "lacks one of");
  EXPECT_MG_ERROR(
      parse_npy(with_header("{'descr': '<f4', 'fortran_order': 0, 'shape': (6,)}"), "a.npy"),
      "neither True nor False");
  EXPECT_MG_ERROR(
      parse_npy(with_header("{'descr': '<f4', 'fortran_order': False, 'shape': (6)}"), "a.npy"),
      "not a tuple");
  EXPECT_MG_ERROR(
      parse_npy(with_header("{'descr': '<f4', 'fortran_order': False, 'shape': (-6,)}"), "a.npy"),
      "non-negative integer");
  EXPECT_MG_ERROR(parse_npy(with_header("{'descr': '<f4', 'fortran_order': False, 'shape': (6,), "
                                        "'extra': 1}"),
                            "a.npy"),
                  "unexpected key 'extra'");
  EXPECT_MG_ERROR(
      parse_npy(with_header("{'descr': [('x', '<f4')], 'fortran_order': False, 'shape': (6,)}"),
                "a.npy"),
      "structured dtypes");
  // Unknown or unsupported dtypes.
  for (const std::string descr : {"|O", "<c8", "<u4", "=f4", "<U10", "*f4"}) {
    EXPECT_MG_ERROR(
        parse_npy(with_header("{'descr': '" + descr + "', 'fortran_order': False, 'shape': (6,)}"),
                  "a.npy"),
        "a.npy", "unsupported npy dtype '" + descr + "'");
  }
  // Shape and size mismatch, including dimensions whose product overflows.
  EXPECT_MG_ERROR(
      parse_npy(with_header("{'descr': '<f4', 'fortran_order': False, 'shape': (7,)}"), "a.npy"),
      "needs 28 bytes", "holds 24");
  EXPECT_MG_ERROR(parse_npy(with_header("{'descr': '<f4', 'fortran_order': False, 'shape': "
                                        "(4294967296, 4294967296, 4294967296)}"),
                            "a.npy"),
                  "needs more bytes");
  EXPECT_MG_ERROR(parse_npy(with_header("{'descr': '<f4', 'fortran_order': False, 'shape': "
                                        "(0, 4294967296, 4294967296)}"),
                            "a.npy"),
                  "needs more bytes");
  EXPECT_MG_ERROR(parse_npy(with_header("{'descr': '<f4', 'fortran_order': False, 'shape': "
                                        "(99999999999999999999,)}"),
                            "a.npy"),
                  "dimension too large");
  EXPECT_MG_ERROR(
      parse_npy(with_header("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }"), "a.npy"),
      "a.npy", "Fortran order");
  EXPECT_MG_ERROR(
      parse_npy(npy_file(1, "{'descr': '|b1', 'fortran_order': False, 'shape': (2,)}", "\x01\x02"),
                "a.npy"),
      "bool element 1 is 2");
}

TEST(Npy, EveryTruncationOfAValidFileIsAnErrorNotACrash) {
  const auto bytes = npy_bytes(tensor({1, 2, 3}, {3}, kFloat64));
  for (std::size_t size = 0; size < bytes.size(); ++size) {
    EXPECT_THROW(parse_npy(std::span(bytes).first(size), "<bytes>"), Error) << size;
  }
}

TEST(Npy, MissingFilesAreNamed) {
  EXPECT_MG_ERROR(read_npy("/nonexistent/x.npy"), "/nonexistent/x.npy", "no such file");
}

}  // namespace
}  // namespace mg::data
