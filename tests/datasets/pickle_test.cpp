// Fixtures in tests/fixtures/pickle/ come from tools/reference/pickles.py (numpy 1.24.2, Python
// 3.11): <name>.<variant>.pkl holds the array that np.save wrote to <name>.npy.
#include "datasets/pickle.h"

#include <cstring>
#include <random>

#include "datasets/file_bytes.h"
#include "datasets/npy.h"
#include "test_util.h"

namespace mg::data {
namespace {

using namespace std::string_literals;

const std::string kDir = std::string(MG_FIXTURE_DIR) + "/pickle/";

std::vector<std::uint8_t> as_bytes(const std::string& text) {
  return std::vector<std::uint8_t>(text.begin(), text.end());
}

Tensor parse(const std::string& pickle, const std::string& source = "a.pkl") {
  return parse_pickled_array(as_bytes(pickle), source);
}

void expect_same(const Tensor& actual, const Tensor& expected, const std::string& what) {
  EXPECT_EQ(actual.dtype(), expected.dtype()) << what;
  EXPECT_EQ(actual.shape(), expected.shape()) << what;
  EXPECT_TRUE(actual.is_contiguous()) << what;
  if (actual.shape() == expected.shape()) {
    EXPECT_EQ(actual.to_vector<double>(), expected.to_vector<double>()) << what;
  }
}

// Hand-written opcode streams.
std::string byte(int value) {
  return std::string(1, char(value));
}
std::string little_endian(std::uint64_t value, int size) {
  std::string out;
  for (int i = 0; i < size; ++i) out += byte((value >> (8 * i)) & 0xff);
  return out;
}
// An opcode and its operand. (Not "K" + operand: GCC 12 warns wrongly about operator+(const
// char*, std::string&&), bug 105329.)
std::string opcode(char code, const std::string& operand) {
  std::string out(1, code);
  return out += operand;
}
std::string binint1(int value) {
  return opcode('K', byte(value));
}
std::string binunicode(const std::string& text) {
  return opcode('X', little_endian(text.size(), 4) + text);
}
std::string short_binbytes(const std::string& data) {
  return opcode('C', byte(data.size()) + data);
}
template <typename T>
std::string raw(const std::vector<T>& values) {
  return std::string(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(T));
}
// `text` with its first `from` replaced by `to`.
std::string replaced(const std::string& text, const std::string& from, const std::string& to) {
  const std::size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  return at == std::string::npos ? text : text.substr(0, at) + to + text.substr(at + from.size());
}
const std::string kMinusOne = "J" + little_endian(0xffffffff, 4);

// The protocol-3 stream numpy writes (without the memo), in replaceable parts.
struct ArrayPickle {
  std::string reconstruct = "cnumpy.core.multiarray\n_reconstruct\n";
  std::string version = binint1(1);
  std::string shape = binint1(2) + binint1(3) + "\x86";
  std::string dtype_args = binunicode("f4") + "\x89\x88\x87";
  std::string dtype_state =
      "(" + binint1(3) + binunicode("<") + "NNN" + kMinusOne + kMinusOne + binint1(0) + "t";
  std::string fortran = "\x89";
  std::string data = short_binbytes(raw<float>({0, 1, 2, 3, 4, 5.5f}));

  std::string bytes() const {
    return "\x80\x03" + reconstruct + "cnumpy\nndarray\n" + binint1(0) + "\x85" +
           short_binbytes("b") + "\x87R(" + version + shape + "cnumpy\ndtype\n" + dtype_args + "R" +
           dtype_state + "b" + fortran + data + "tb.";
  }
};

TEST(Pickle, ReadsEveryFixtureAsNumpyLoadsIt) {
  const std::vector<std::pair<std::string, std::vector<std::string>>> fixtures = {
      {"f32_3x4", {"p2", "p3", "p4", "p2_numpy2", "p4_numpy2"}},
      {"ks_257x8", {"p2", "p3", "p4_frames"}},
      {"f32_8x10", {"py2"}},
      {"f64_2x3", {"p4"}},
      {"i16_5", {"p4"}},
      {"i64_2x2", {"p2"}},
      {"u8_4", {"p3"}},
      {"bool_3", {"p4"}},
      {"f32be_2x3", {"p4"}},
      {"f64_fortran_2x3x4", {"p4", "p2"}},
      {"f64_scalar", {"p4"}},
      {"f32_empty_0x3", {"p4"}},
  };
  for (const auto& [name, variants] : fixtures) {
    const Tensor expected = read_npy(kDir + name + ".npy");
    for (const std::string& variant : variants) {
      const std::string file = name + "." + variant + ".pkl";
      try {
        expect_same(read_pickled_array(kDir + file), expected, file);
      } catch (const Error& error) {
        ADD_FAILURE() << file << ": " << error.what();
      }
    }
  }
}

TEST(Pickle, ConvertsDtypesByteOrderAndFortranOrder) {
  EXPECT_EQ(read_pickled_array(kDir + "ks_257x8.p4_frames.pkl").shape(), (Shape{257, 8}));
  EXPECT_EQ(read_pickled_array(kDir + "f32_3x4.p2.pkl").dtype(), kFloat32);
  EXPECT_EQ(read_pickled_array(kDir + "f64_2x3.p4.pkl").dtype(), kFloat64);
  EXPECT_EQ(read_pickled_array(kDir + "i16_5.p4.pkl").to_vector<std::int64_t>(),
            (std::vector<std::int64_t>{-32768, -1, 0, 1, 32767}));
  EXPECT_EQ(read_pickled_array(kDir + "u8_4.p3.pkl").dtype(), kUInt8);
  EXPECT_EQ(read_pickled_array(kDir + "bool_3.p4.pkl").to_vector<bool>(),
            (std::vector<bool>{true, false, true}));
  testing::expect_values(read_pickled_array(kDir + "f32be_2x3.p4.pkl"),
                         {-0.5, -0.25, 0, 0.25, 0.5, 0.75}, {2, 3}, 0);
  // np.asfortranarray(np.arange(24.0).reshape(2, 3, 4)): element [i, j, k] is 12i + 4j + k.
  const Tensor fortran = read_pickled_array(kDir + "f64_fortran_2x3x4.p4.pkl");
  ASSERT_EQ(fortran.shape(), (Shape{2, 3, 4}));
  const std::vector<double> values = fortran.to_vector<double>();
  for (int i = 0; i < 24; ++i) EXPECT_EQ(values[i], i);
  const Tensor scalar = read_pickled_array(kDir + "f64_scalar.p4.pkl");
  EXPECT_EQ(scalar.dim(), 0);
  EXPECT_EQ(scalar.item<double>(), 4.25);
  EXPECT_EQ(read_pickled_array(kDir + "f32_empty_0x3.p4.pkl").shape(), (Shape{0, 3}));
}

TEST(Pickle, HandWrittenVariantsOfNumpysStream) {
  testing::expect_values(parse(ArrayPickle{}.bytes()), {0, 1, 2, 3, 4, 5.5}, {2, 3}, 0);
  // '=' is the reader's (little-endian) order; numpy reads it that way too.
  ArrayPickle native;
  native.dtype_state = replaced(native.dtype_state, "<", "=");
  testing::expect_values(parse(native.bytes()), {0, 1, 2, 3, 4, 5.5}, {2, 3}, 0);
  // Python 2 longs as dimensions, a 4-item state without the version, BINPUT / BINGET.
  ArrayPickle longs;
  longs.shape = "\x8a\x01\x02q\x07h\x07\x86";  // (2, 2): LONG1 2, BINPUT 7, BINGET 7
  longs.version = "";
  longs.data = short_binbytes(raw<float>({1, 2, 3, 4}));
  testing::expect_values(parse(longs.bytes()), {1, 2, 3, 4}, {2, 2}, 0);
  ArrayPickle fortran;
  fortran.fortran = "\x88";
  testing::expect_values(parse(fortran.bytes()), {0, 2, 4, 1, 3, 5.5}, {2, 3}, 0);
  // A one-byte LONG1 with the sign bit set is negative: an error as a dimension.
  ArrayPickle negative;
  negative.shape = "\x8a\x01\xfe\x85";
  EXPECT_MG_ERROR(parse(negative.bytes()), "a.pkl", "opcode BUILD",
                  "not a tuple of at most 64 non-negative ints");
}

TEST(Pickle, RefusesEveryCallableOutsideTheWhitelist) {
  EXPECT_MG_ERROR(read_pickled_array(kDir + "hostile_os_system.p2.pkl"),
                  kDir + "hostile_os_system.p2.pkl", "byte offset 2, opcode GLOBAL",
                  "refusing to call os.system");
  EXPECT_MG_ERROR(read_pickled_array(kDir + "hostile_builtins_eval.p4.pkl"),
                  "hostile_builtins_eval.p4.pkl", "opcode STACK_GLOBAL",
                  "refusing to call builtins.eval");
  // A numpy function that is not the array constructor, and one hidden where the data goes.
  ArrayPickle load;
  load.reconstruct = "cnumpy\nload\n";
  EXPECT_MG_ERROR(parse(load.bytes()), "refusing to call numpy.load");
  ArrayPickle hidden;
  hidden.data = "cposix\nsystem\n" + binunicode("true") + "\x85R";
  EXPECT_MG_ERROR(parse(hidden.bytes()), "refusing to call posix.system");
  ArrayPickle ndarray;
  ndarray.reconstruct = "cnumpy\nndarray\n";
  EXPECT_MG_ERROR(parse(ndarray.bytes()), "opcode REDUCE", "refusing to call numpy.ndarray");
  // Names with unprintable bytes are escaped in the message.
  EXPECT_MG_ERROR(parse("\x80\x02" + std::string("cos\x01\nsystem\n")),
                  "refusing to call os\\x01.system");
}

TEST(Pickle, RejectsWhatIsNotANumpyArray) {
  EXPECT_MG_ERROR(read_pickled_array(kDir + "dict_of_array.p4.pkl"), "dict_of_array.p4.pkl",
                  "opcode EMPTY_DICT", "not a numpy array");
  EXPECT_MG_ERROR(read_pickled_array(kDir + "list.p4.pkl"), "opcode EMPTY_LIST",
                  "not a numpy array");
  EXPECT_MG_ERROR(read_pickled_array(kDir + "f32_3x4.p5.pkl"), "f32_3x4.p5.pkl", "opcode PROTO",
                  "protocol 5 is not supported", "protocol=4");
  EXPECT_MG_ERROR(read_pickled_array(kDir + "f32_3x4.npy"), "a .npy file, not a pickle");
  EXPECT_MG_ERROR(parse(""), "a.pkl: not a pickle of protocol 2, 3 or 4");
  EXPECT_MG_ERROR(parse("(lp0\nI1\na."), "not a pickle of protocol 2, 3 or 4");
  EXPECT_MG_ERROR(parse("\x80\x01K\x01."), "unsupported pickle protocol 1");
  EXPECT_MG_ERROR(parse("\x80\x04K\x01."), "byte offset 4, opcode STOP",
                  "the pickle holds an int, not a numpy array");
  EXPECT_MG_ERROR(parse("\x80\x04G" + std::string(8, '\0') + "."), "opcode BINFLOAT",
                  "not a numpy array");
  // A tuple of two arrays.
  const std::string array = ArrayPickle{}.bytes().substr(2);
  EXPECT_MG_ERROR(parse("\x80\x03" + array.substr(0, array.size() - 1) +
                        array.substr(0, array.size() - 1) + "\x86."),
                  "holds a tuple of 2, not a numpy array");
  // _reconstruct without BUILD.
  ArrayPickle unbuilt;
  const std::string stream = unbuilt.bytes();
  EXPECT_MG_ERROR(parse(stream.substr(0, stream.find("R(") + 1) + "."),
                  "never got its state (no BUILD)");
}

TEST(Pickle, MalformedStreamsNameTheOffsetAndOpcode) {
  EXPECT_MG_ERROR(parse("\x80\x02\x85."), "a.pkl: byte offset 2, opcode TUPLE1", "stack underflow");
  EXPECT_MG_ERROR(parse("\x80\x02Nt."), "byte offset 3, opcode TUPLE", "no MARK");
  // MARK starts a new stack: what lies below it cannot be popped.
  EXPECT_MG_ERROR(parse("\x80\x02N(\x85t."), "opcode TUPLE1", "stack underflow");
  EXPECT_MG_ERROR(parse("\x80\x02(N."), "opcode STOP", "a MARK is never closed");
  EXPECT_MG_ERROR(parse("\x80\x02NN."), "the stack holds 2 values");
  EXPECT_MG_ERROR(parse("\x80\x02h\x05."), "opcode BINGET", "memo index 5 was never stored");
  EXPECT_MG_ERROR(parse("\x80\x02Nq\x01j\x02\x00\x00\x00."s), "opcode LONG_BINGET", "memo index 2");
  EXPECT_MG_ERROR(parse("\x80\x02\x94"), "opcode MEMOIZE", "stack underflow");
  EXPECT_MG_ERROR(parse("\x80\x02\xff"), "byte offset 2, opcode 0xff", "unknown opcode");
  EXPECT_MG_ERROR(parse("\x80\x02N"), "byte offset 3: the pickle ends before its STOP opcode");
  EXPECT_MG_ERROR(parse("\x80\x02X" + little_endian(5, 4) + "abc"), "opcode BINUNICODE",
                  "truncated str: needs 5 bytes but the file has 3 left");
  EXPECT_MG_ERROR(parse("\x80\x02T\xff\xff\xff\xff."), "opcode BINSTRING", "negative length");
  EXPECT_MG_ERROR(parse("\x80\x02\x8a\x09" + std::string(9, '\x01') + "."), "opcode LONG1",
                  "does not fit 64 bits");
  EXPECT_MG_ERROR(parse("\x80\x02" + std::string("cnumpy")), "opcode GLOBAL",
                  "truncated module name: no newline");
  EXPECT_MG_ERROR(parse("\x80\x04" + binunicode("numpy") + "K\x01\x93."), "opcode STACK_GLOBAL",
                  "an int, not two str");
  // A huge length is checked against the file before anything is allocated.
  EXPECT_MG_ERROR(parse("\x80\x04\x8e" + little_endian(1ULL << 62, 8) + "xyz."), "opcode BINBYTES8",
                  "truncated bytes: needs 4611686018427387904 bytes but the file has 4 left");
  // Frames: their length must fit, and no opcode may cross a frame's end.
  EXPECT_MG_ERROR(parse("\x80\x04\x95" + little_endian(100, 8) + "N."), "opcode FRAME",
                  "frame of 100 bytes but the file has 2 left");
  EXPECT_MG_ERROR(parse("\x80\x04\x95" + little_endian(2, 8) + "M\x01\x02."), "opcode BININT2",
                  "truncated int: needs 2 bytes but its frame has 1 left");
  EXPECT_MG_ERROR(
      parse("\x80\x04\x95" + little_endian(12, 8) + "\x95" + little_endian(1, 8) + "NN."),
      "a frame starts before the end of the current one");
  // Deeply nested tuples are refused (freeing them would recurse once per level).
  EXPECT_MG_ERROR(parse("\x80\x02N" + std::string(100000, '\x85') + "."), "opcode TUPLE1",
                  "nested more than 32 deep");
  // REDUCE and BUILD with the wrong types.
  EXPECT_MG_ERROR(parse("\x80\x02NN)R."), "opcode REDUCE", "calls None, not a callable");
  EXPECT_MG_ERROR(parse("\x80\x02" + std::string("cnumpy\ndtype\nNR.")), "opcode REDUCE",
                  "arguments are None, not a tuple");
  EXPECT_MG_ERROR(
      parse("\x80\x02" + std::string("cnumpy\ndtype\n") + binunicode("f\x01") + "\x85R."),
      "'f\\x01' is not a numpy type code");
  EXPECT_MG_ERROR(parse("\x80\x02" + std::string("c_codecs\nencode\n") +
                        binunicode("\xe2\x82\xac") + binunicode("latin1") + "\x86R."),
                  "opcode REDUCE", "not latin-1 in UTF-8 at its byte 0");
  EXPECT_MG_ERROR(parse("\x80\x02" + std::string("c_codecs\nencode\n") + binunicode("abc") +
                        binunicode("utf8") + "\x86R."),
                  "_codecs.encode takes (str, 'latin1')");
  EXPECT_MG_ERROR(parse("\x80\x02N)b."), "opcode BUILD", "BUILD of None");
  ArrayPickle data_int;
  data_int.data = binint1(5);
  EXPECT_MG_ERROR(parse(data_int.bytes()), "opcode BUILD", "data is an int, not bytes");
  ArrayPickle shape_str;
  shape_str.shape = binunicode("2, 3");
  EXPECT_MG_ERROR(parse(shape_str.bytes()), "opcode BUILD", "shape is a str");
  ArrayPickle dtype_none;
  dtype_none.dtype_args = "N\x85";
  EXPECT_MG_ERROR(parse(dtype_none.bytes()), "numpy.dtype takes (type code str, align, copy)");
  ArrayPickle short_state;
  short_state.dtype_state = "(" + binint1(3) + binunicode("<") + "t";
  EXPECT_MG_ERROR(parse(short_state.bytes()), "opcode BUILD",
                  "numpy.dtype state is a tuple of 2, not a tuple of 8 or 9");
  ArrayPickle structured;
  structured.dtype_state = replaced(structured.dtype_state, "NNN", "N)N");
  EXPECT_MG_ERROR(parse(structured.bytes()), "structured and subarray dtypes");
  ArrayPickle bad_order;
  bad_order.dtype_state = replaced(bad_order.dtype_state, "<", "!");
  EXPECT_MG_ERROR(parse(bad_order.bytes()), "byte order is a str ('!')");
  ArrayPickle twice;
  twice.dtype_state += "b" + twice.dtype_state;
  EXPECT_MG_ERROR(parse(twice.bytes()), "the numpy.dtype is built twice");
  // Unsupported element types and payloads of the wrong size.
  ArrayPickle complex;
  complex.dtype_args = binunicode("c8") + "\x89\x88\x87";
  EXPECT_MG_ERROR(parse(complex.bytes()), "a.pkl: byte offset", "opcode BUILD",
                  "unsupported pickled numpy dtype '<c8'");
  ArrayPickle short_data;
  short_data.data = short_binbytes(raw<float>({0, 1, 2, 3, 4}));
  EXPECT_MG_ERROR(parse(short_data.bytes()), "opcode BUILD", "shape [2, 3] of <f4",
                  "needs 24 bytes of data but the pickle holds 20");
  ArrayPickle huge;
  huge.shape = "J\xff\xff\xff\x7fJ\xff\xff\xff\x7fJ\xff\xff\xff\x7f\x87";
  EXPECT_MG_ERROR(parse(huge.bytes()), "needs more bytes of data");
  ArrayPickle bad_bool;
  bad_bool.dtype_args = binunicode("b1") + "\x89\x88\x87";
  bad_bool.data = short_binbytes(raw<std::uint8_t>({1, 0, 2, 0, 0, 0}));
  EXPECT_MG_ERROR(parse(bad_bool.bytes()), "a.pkl: pickled numpy bool element 2 is 2");
}

// Every fixture that should parse, as bytes.
std::vector<std::pair<std::string, std::vector<std::uint8_t>>> valid_fixtures() {
  std::vector<std::pair<std::string, std::vector<std::uint8_t>>> out;
  for (const char* file : {"f32_3x4.p2.pkl", "f32_3x4.p4.pkl", "f32_8x10.py2.pkl",
                           "f64_fortran_2x3x4.p4.pkl", "ks_257x8.p4_frames.pkl"}) {
    out.emplace_back(file, read_file_bytes(kDir + file));
  }
  return out;
}

TEST(Pickle, EveryTruncationIsAnError) {
  for (const auto& [file, bytes] : valid_fixtures()) {
    for (std::size_t size = 0; size < bytes.size(); ++size) {
      EXPECT_THROW(parse_pickled_array(std::span(bytes).first(size), file), Error)
          << file << " cut to " << size;
    }
  }
}

TEST(Pickle, RandomByteFlipsParseOrThrowMgError) {
  std::mt19937 random(6);
  int parsed = 0, rejected = 0;
  for (const auto& [file, original] : valid_fixtures()) {
    for (int trial = 0; trial < 1500; ++trial) {
      std::vector<std::uint8_t> bytes = original;
      // Flip bytes in the opcode stream mostly (the payload is at the end of small files).
      const std::size_t limit = std::min<std::size_t>(bytes.size(), 300);
      for (int flips = 1 + trial % 3; flips > 0; --flips) {
        bytes[random() % limit] ^= std::uint8_t(1 + random() % 255);
      }
      try {
        parse_pickled_array(bytes, file);
        ++parsed;
      } catch (const Error& error) {
        EXPECT_EQ(std::string(error.what()).rfind(file, 0), 0u) << error.what();
        ++rejected;
      }
    }
  }
  EXPECT_GT(rejected, 0);
  EXPECT_GT(parsed, 0);  // flips in the payload, the memo indices of unused values, ...
}

TEST(Pickle, MissingFilesAreNamed) {
  EXPECT_MG_ERROR(read_pickled_array("/nonexistent/x.pkl"), "/nonexistent/x.pkl", "no such file");
}

}  // namespace
}  // namespace mg::data
