#include "datasets/pickle.h"

#include <algorithm>
#include <bit>
#include <memory>
#include <optional>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/creation.h"
#include "core/error.h"
#include "core/ops_copy.h"
#include "core/ops_view.h"
#include "datasets/byte_order.h"
#include "datasets/file_bytes.h"
#include "datasets/numpy_dtype.h"

namespace mg::data {
namespace {

using Bytes = std::span<const std::uint8_t>;

// Every opcode of pickle protocols 0-5, for the messages; `allowed` marks the whitelist.
struct OpcodeInfo {
  std::uint8_t code;
  std::string_view name;
  bool allowed;
};
constexpr OpcodeInfo kOpcodes[] = {
    {'(', "MARK", true},           {'.', "STOP", true},
    {'0', "POP", false},           {'1', "POP_MARK", false},
    {'2', "DUP", false},           {'F', "FLOAT", false},
    {'I', "INT", false},           {'J', "BININT", true},
    {'K', "BININT1", true},        {'L', "LONG", false},
    {'M', "BININT2", true},        {'N', "NONE", true},
    {'P', "PERSID", false},        {'Q', "BINPERSID", false},
    {'R', "REDUCE", true},         {'S', "STRING", false},
    {'T', "BINSTRING", true},      {'U', "SHORT_BINSTRING", true},
    {'V', "UNICODE", false},       {'X', "BINUNICODE", true},
    {'a', "APPEND", false},        {'b', "BUILD", true},
    {'c', "GLOBAL", true},         {'d', "DICT", false},
    {'}', "EMPTY_DICT", false},    {'e', "APPENDS", false},
    {'g', "GET", false},           {'h', "BINGET", true},
    {'i', "INST", false},          {'j', "LONG_BINGET", true},
    {'l', "LIST", false},          {']', "EMPTY_LIST", false},
    {'o', "OBJ", false},           {'p', "PUT", false},
    {'q', "BINPUT", true},         {'r', "LONG_BINPUT", true},
    {'s', "SETITEM", false},       {'t', "TUPLE", true},
    {')', "EMPTY_TUPLE", true},    {'u', "SETITEMS", false},
    {'G', "BINFLOAT", false},      {0x80, "PROTO", true},
    {0x81, "NEWOBJ", false},       {0x82, "EXT1", false},
    {0x83, "EXT2", false},         {0x84, "EXT4", false},
    {0x85, "TUPLE1", true},        {0x86, "TUPLE2", true},
    {0x87, "TUPLE3", true},        {0x88, "NEWTRUE", true},
    {0x89, "NEWFALSE", true},      {0x8a, "LONG1", true},
    {0x8b, "LONG4", false},        {'B', "BINBYTES", true},
    {'C', "SHORT_BINBYTES", true}, {0x8c, "SHORT_BINUNICODE", true},
    {0x8d, "BINUNICODE8", false},  {0x8e, "BINBYTES8", true},
    {0x8f, "EMPTY_SET", false},    {0x90, "ADDITEMS", false},
    {0x91, "FROZENSET", false},    {0x92, "NEWOBJ_EX", false},
    {0x93, "STACK_GLOBAL", true},  {0x94, "MEMOIZE", true},
    {0x95, "FRAME", true},         {0x96, "BYTEARRAY8", false},
    {0x97, "NEXT_BUFFER", false},  {0x98, "READONLY_BUFFER", false},
};

const OpcodeInfo* find_opcode(std::uint8_t code) {
  for (const OpcodeInfo& info : kOpcodes) {
    if (info.code == code) return &info;
  }
  return nullptr;
}

std::string hex_byte(std::uint8_t byte) {
  return str("0x", "0123456789abcdef"[byte >> 4], "0123456789abcdef"[byte & 15]);
}

// Text from the file for a message: at most 80 bytes, non-printable bytes escaped.
std::string printable(Bytes text) {
  std::string out;
  for (std::uint8_t c : text.first(std::min<std::size_t>(text.size(), 80))) {
    out += c >= 0x20 && c < 0x7f ? std::string(1, char(c)) : "\\x" + hex_byte(c).substr(2);
  }
  return text.size() > 80 ? out + "..." : out;
}

bool equals(Bytes text, std::string_view expected) {
  return std::equal(text.begin(), text.end(), expected.begin(), expected.end(),
                    [](std::uint8_t a, char b) { return a == std::uint8_t(b); });
}

// The callables a numpy array pickle may name.
enum class Global { Reconstruct, NdArray, DType, CodecsEncode };

struct DTypeObject {
  std::string type_code;  // "f4", as numpy.dtype was called with
  char byte_order = '=';  // set by BUILD
  bool built = false;
};

struct ArrayObject {
  bool built = false;
  Shape shape;
  NumpyElementType type{};
  bool fortran = false;
  Bytes data;  // in the file, or in data_owner
  std::shared_ptr<const std::vector<std::uint8_t>> data_owner;
};

enum class Kind { None, Bool, Int, Str, Bytes, Python2Str, Tuple, Global, DType, Array };

// A Python object on the unpickler's stack. Strings and bytes point into the file, or into
// `owner` for what _codecs.encode produced. DType and Array are shared, as Python objects are, so
// that BUILD on a memoized one changes every reference.
struct Value {
  Kind kind = Kind::None;
  std::int64_t integer = 0;  // Bool, Int
  Bytes bytes;               // Str (UTF-8), Bytes, Python2Str
  std::shared_ptr<const std::vector<std::uint8_t>> owner;
  std::shared_ptr<const std::vector<Value>> items;  // Tuple
  int depth = 0;                                    // tuple nesting, bounded (see make_tuple)
  Global global = Global::Reconstruct;
  std::shared_ptr<DTypeObject> dtype;
  std::shared_ptr<ArrayObject> array;
};

// "an int", "a tuple of 3", ... for the messages.
std::string described(const Value& value) {
  switch (value.kind) {
    case Kind::None:
      return "None";
    case Kind::Bool:
      return "a bool";
    case Kind::Int:
      return "an int";
    case Kind::Str:
      return "a str";
    case Kind::Bytes:
      return "a bytes object";
    case Kind::Python2Str:
      return "a Python 2 str";
    case Kind::Tuple:
      return str("a tuple of ", value.items->size());
    case Kind::Global:
      return "a global";
    case Kind::DType:
      return "a numpy.dtype";
    case Kind::Array:
      return "a numpy.ndarray";
  }
  return "?";
}

// Deeper tuples are refused: a numpy pickle nests 2 deep, and freeing a long chain of nested
// tuples would recurse once per level.
constexpr int kMaxTupleDepth = 32;
// numpy allows 32 dimensions (64 since numpy 2).
constexpr std::size_t kMaxDims = 64;

class Unpickler {
 public:
  Unpickler(Bytes bytes, const std::string& source) : bytes_(bytes), source_(source) {}

  Tensor run() {
    constexpr std::string_view kNpyMagic = "\x93NUMPY";
    MG_CHECK(!equals(bytes_.first(std::min(bytes_.size(), kNpyMagic.size())), kNpyMagic), source_,
             ": a .npy file, not a pickle (read it with read_npy)");
    MG_CHECK(!bytes_.empty() && bytes_[0] == 0x80, source_,
             ": not a pickle of protocol 2, 3 or 4 (it does not start with the PROTO opcode "
             "0x80)");
    while (true) {
      op_offset_ = pos_;
      if (pos_ == bytes_.size()) {
        throw Error(str(source_, ": byte offset ", pos_,
                        ": the pickle ends before its STOP opcode (truncated file?)"));
      }
      op_ = take(1, "opcode")[0];
      if (op_ == '.') return stop();
      step();
    }
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    const OpcodeInfo* info = find_opcode(op_);
    throw Error(str(source_, ": byte offset ", op_offset_, ", opcode ",
                    info ? std::string(info->name) : hex_byte(op_), ": ", what));
  }
  // The message is only formatted on failure: take() runs for every opcode.
  template <typename... Parts>
  void require(bool cond, const Parts&... what) const {
    if (!cond) fail(str(what...));
  }

  // The next n bytes. Inside a frame they must lie in it, as Python's unpickler requires.
  Bytes take(std::uint64_t n, std::string_view what) {
    const bool in_frame = pos_ < frame_end_;
    const std::size_t left = (in_frame ? frame_end_ : bytes_.size()) - pos_;
    require(n <= left, "truncated ", what, ": needs ", n, " bytes but ",
            in_frame ? "its frame" : "the file", " has ", left, " left");
    const Bytes out = bytes_.subspan(pos_, n);
    pos_ += n;
    return out;
  }
  std::uint64_t take_unsigned(std::size_t size, std::string_view what) {
    return load_le(take(size, what).data(), size);
  }
  // A GLOBAL operand: text up to a newline.
  Bytes take_line(std::string_view what) {
    const std::size_t end = pos_ < frame_end_ ? frame_end_ : bytes_.size();
    const auto* begin = bytes_.data() + pos_;
    const auto* newline = std::find(begin, bytes_.data() + end, '\n');
    require(newline != bytes_.data() + end, "truncated ", what, ": no newline");
    const Bytes line = take(newline - begin, what);
    ++pos_;
    return line;
  }

  // The stack above the innermost MARK, as in Python, where MARK starts a new stack.
  std::size_t stack_base() const { return marks_.empty() ? 0 : marks_.back(); }
  Value& top() {
    require(stack_.size() > stack_base(), "stack underflow");
    return stack_.back();
  }
  Value pop() {
    Value value = std::move(top());
    stack_.pop_back();
    return value;
  }
  void push(Value value) { stack_.push_back(std::move(value)); }
  std::vector<Value> pop_mark() {
    require(!marks_.empty(), "no MARK before it");
    std::vector<Value> items(std::make_move_iterator(stack_.begin() + marks_.back()),
                             std::make_move_iterator(stack_.end()));
    stack_.resize(marks_.back());
    marks_.pop_back();
    return items;
  }

  Value make_tuple(std::vector<Value> items) {
    Value tuple = of_kind(Kind::Tuple);
    for (const Value& item : items) tuple.depth = std::max(tuple.depth, item.depth + 1);
    require(tuple.depth <= kMaxTupleDepth, "tuples nested more than ", kMaxTupleDepth,
            " deep: not a numpy array");
    tuple.items = std::make_shared<const std::vector<Value>>(std::move(items));
    return tuple;
  }
  void push_tuple(std::size_t size) {
    std::vector<Value> items(size);
    for (std::size_t i = size; i-- > 0;) items[i] = pop();
    push(make_tuple(std::move(items)));
  }
  static Value of_kind(Kind kind) {
    Value value;
    value.kind = kind;
    return value;
  }
  static Value integer(std::int64_t integer, Kind kind = Kind::Int) {
    Value value = of_kind(kind);
    value.integer = integer;
    return value;
  }
  static Value text(Kind kind, Bytes bytes) {
    Value value = of_kind(kind);
    value.bytes = bytes;
    return value;
  }

  void step() {
    switch (op_) {
      case 0x80: {  // PROTO
        const int protocol = take(1, "protocol")[0];
        require(protocol != 5,
                "pickle protocol 5 is not supported: numpy writes protocol-5 arrays as "
                "numpy.core.numeric._frombuffer of a BYTEARRAY8 or out-of-band buffer; re-save "
                "with pickle.dump(array, f, protocol=4)");
        require(protocol >= 2 && protocol <= 4, "unsupported pickle protocol ", protocol,
                " (supported: 2, 3, 4)");
        return;
      }
      case 0x95: {  // FRAME
        const std::uint64_t length = take_unsigned(8, "frame length");
        require(pos_ >= frame_end_, "a frame starts before the end of the current one");
        require(length <= bytes_.size() - pos_, "frame of ", length, " bytes but the file has ",
                bytes_.size() - pos_, " left");
        frame_end_ = pos_ + length;
        return;
      }
      case 'c': {  // GLOBAL
        const Bytes module = take_line("module name");
        const Bytes name = take_line("global name");
        return push(global(module, name));
      }
      case 0x93: {  // STACK_GLOBAL
        const Value name = pop(), module = pop();
        require(module.kind == Kind::Str && name.kind == Kind::Str, "module and name are ",
                described(module), " and ", described(name), ", not two str");
        return push(global(module.bytes, name.bytes));
      }
      case 0x8c:  // SHORT_BINUNICODE
        return push(text(Kind::Str, take(take_unsigned(1, "length"), "str")));
      case 'X':  // BINUNICODE
        return push(text(Kind::Str, take(take_unsigned(4, "length"), "str")));
      case 'U':  // SHORT_BINSTRING
        return push(text(Kind::Python2Str, take(take_unsigned(1, "length"), "str")));
      case 'T': {  // BINSTRING
        const auto length = static_cast<std::int32_t>(take_unsigned(4, "length"));
        require(length >= 0, "negative length ", length);
        return push(text(Kind::Python2Str, take(length, "str")));
      }
      case 'C':  // SHORT_BINBYTES
        return push(text(Kind::Bytes, take(take_unsigned(1, "length"), "bytes")));
      case 'B':  // BINBYTES
        return push(text(Kind::Bytes, take(take_unsigned(4, "length"), "bytes")));
      case 0x8e:  // BINBYTES8
        return push(text(Kind::Bytes, take(take_unsigned(8, "length"), "bytes")));
      case 0x94: {  // MEMOIZE
        const std::uint64_t index = memo_.size();
        memo_[index] = top();
        return;
      }
      case 'q':  // BINPUT
        memo_[take_unsigned(1, "memo index")] = top();
        return;
      case 'r':  // LONG_BINPUT
        memo_[take_unsigned(4, "memo index")] = top();
        return;
      case 'h':  // BINGET
        return push(memo_get(take_unsigned(1, "memo index")));
      case 'j':  // LONG_BINGET
        return push(memo_get(take_unsigned(4, "memo index")));
      case '(':  // MARK
        marks_.push_back(stack_.size());
        return;
      case 't':  // TUPLE
        return push(make_tuple(pop_mark()));
      case ')':  // EMPTY_TUPLE
        return push_tuple(0);
      case 0x85:  // TUPLE1
        return push_tuple(1);
      case 0x86:  // TUPLE2
        return push_tuple(2);
      case 0x87:  // TUPLE3
        return push_tuple(3);
      case 'J':  // BININT
        return push(integer(static_cast<std::int32_t>(take_unsigned(4, "int"))));
      case 'K':  // BININT1
        return push(integer(take_unsigned(1, "int")));
      case 'M':  // BININT2
        return push(integer(take_unsigned(2, "int")));
      case 0x8a: {  // LONG1: little-endian two's complement
        const std::size_t size = take_unsigned(1, "length");
        require(size <= 8, "integer of ", size, " bytes does not fit 64 bits");
        std::uint64_t value = take_unsigned(size, "int");
        if (size > 0 && size < 8 && (value >> (8 * size - 1)) != 0) value |= ~0ULL << (8 * size);
        return push(integer(std::bit_cast<std::int64_t>(value)));
      }
      case 'N':  // NONE
        return push(Value{});
      case 0x88:  // NEWTRUE
        return push(integer(1, Kind::Bool));
      case 0x89:  // NEWFALSE
        return push(integer(0, Kind::Bool));
      case 'R':
        return reduce();
      case 'b':
        return build();
      default:
        return refuse_opcode();
    }
  }

  [[noreturn]] void refuse_opcode() const {
    const OpcodeInfo* info = find_opcode(op_);
    require(info != nullptr, "unknown opcode (corrupt file?)");
    constexpr std::string_view kContainers[] = {"EMPTY_DICT", "DICT",      "EMPTY_LIST", "LIST",
                                                "EMPTY_SET",  "FROZENSET", "APPEND",     "APPENDS",
                                                "SETITEM",    "SETITEMS",  "ADDITEMS"};
    require(std::find(std::begin(kContainers), std::end(kContainers), info->name) ==
                std::end(kContainers),
            "the pickle holds a list, dict or set, not a numpy array");
    fail(
        "opcode not allowed: only the opcodes of a numpy array pickled with protocol 2, 3 or 4 "
        "are read (specs/datasets.md §4.2); this is not a numpy array");
  }

  Value memo_get(std::uint64_t index) {
    const auto found = memo_.find(index);
    require(found != memo_.end(), "memo index ", index, " was never stored");
    return found->second;
  }

  Value global(Bytes module, Bytes name) {
    Value value = of_kind(Kind::Global);
    if ((equals(module, "numpy.core.multiarray") || equals(module, "numpy._core.multiarray")) &&
        equals(name, "_reconstruct")) {
      value.global = Global::Reconstruct;
    } else if (equals(module, "numpy") && equals(name, "ndarray")) {
      value.global = Global::NdArray;
    } else if (equals(module, "numpy") && equals(name, "dtype")) {
      value.global = Global::DType;
    } else if (equals(module, "_codecs") && equals(name, "encode")) {
      value.global = Global::CodecsEncode;
    } else {
      fail(str("refusing to call ", printable(module), ".", printable(name),
               ": a numpy array pickle names only numpy.core.multiarray._reconstruct, "
               "numpy.ndarray, numpy.dtype and _codecs.encode"));
    }
    return value;
  }

  void reduce() {
    const Value args = pop(), callable = pop();
    require(callable.kind == Kind::Global, "calls ", described(callable), ", not a callable");
    require(args.kind == Kind::Tuple, "arguments are ", described(args), ", not a tuple");
    const std::vector<Value>& items = *args.items;
    switch (callable.global) {
      case Global::Reconstruct: {
        // _reconstruct(numpy.ndarray, (0,), b'b'): an empty array that BUILD then fills.
        require(items.size() == 3 && items[0].kind == Kind::Global &&
                    items[0].global == Global::NdArray && items[1].kind == Kind::Tuple &&
                    (items[2].kind == Kind::Bytes || items[2].kind == Kind::Python2Str),
                "_reconstruct takes (numpy.ndarray, shape tuple, bytes)");
        Value array = of_kind(Kind::Array);
        array.array = std::make_shared<ArrayObject>();
        return push(std::move(array));
      }
      case Global::DType: {
        // numpy.dtype('f4', False, True): the byte order comes with BUILD.
        require(!items.empty() && items.size() <= 3 &&
                    (items[0].kind == Kind::Str || items[0].kind == Kind::Python2Str),
                "numpy.dtype takes (type code str, align, copy)");
        const Bytes code = items[0].bytes;
        require(
            code.size() <= 8 && std::all_of(code.begin(), code.end(),
                                            [](std::uint8_t c) { return c > 0x20 && c < 0x7f; }),
            "'", printable(code), "' is not a numpy type code");
        auto dtype = std::make_shared<DTypeObject>();
        dtype->type_code.assign(code.begin(), code.end());
        Value value = of_kind(Kind::DType);
        value.dtype = std::move(dtype);
        return push(std::move(value));
      }
      case Global::CodecsEncode:
        return push(encode_latin1(items));
      case Global::NdArray:
        fail("refusing to call numpy.ndarray (only _reconstruct makes arrays)");
    }
  }

  // _codecs.encode(text, 'latin1'): protocol 2's bytes, each byte a code point below 256,
  // written as UTF-8.
  Value encode_latin1(const std::vector<Value>& items) {
    require(items.size() == 2 && items[0].kind == Kind::Str && items[1].kind == Kind::Str &&
                (equals(items[1].bytes, "latin1") || equals(items[1].bytes, "latin-1")),
            "_codecs.encode takes (str, 'latin1')");
    const Bytes utf8 = items[0].bytes;
    auto out = std::make_shared<std::vector<std::uint8_t>>();
    out->reserve(utf8.size());
    for (std::size_t i = 0; i < utf8.size(); ++i) {
      if (utf8[i] < 0x80) {
        out->push_back(utf8[i]);
        continue;
      }
      // Code points 0x80..0xff: 110000xx 10xxxxxx.
      require((utf8[i] == 0xc2 || utf8[i] == 0xc3) && i + 1 < utf8.size() &&
                  (utf8[i + 1] & 0xc0) == 0x80,
              "the text for _codecs.encode is not latin-1 in UTF-8 at its byte ", i);
      out->push_back(std::uint8_t((utf8[i] & 0x03) << 6 | (utf8[i + 1] & 0x3f)));
      ++i;
    }
    Value value = text(Kind::Bytes, *out);
    value.owner = std::move(out);
    return value;
  }

  void build() {
    const Value state = pop();
    Value& object = top();
    if (object.kind == Kind::DType) return build_dtype(*object.dtype, state);
    if (object.kind == Kind::Array) return build_array(*object.array, state);
    fail(str("BUILD of ", described(object), "; only numpy.dtype and numpy.ndarray are built"));
  }

  // numpy.dtype's state: (3, byte order, subarray, names, fields, elsize, alignment, flags), and
  // metadata as a 9th item in version 4.
  void build_dtype(DTypeObject& dtype, const Value& state) {
    require(!dtype.built, "the numpy.dtype is built twice");
    require(state.kind == Kind::Tuple && (state.items->size() == 8 || state.items->size() == 9),
            "numpy.dtype state is ", described(state), ", not a tuple of 8 or 9");
    const std::vector<Value>& items = *state.items;
    const Value& order = items[1];
    require((order.kind == Kind::Str || order.kind == Kind::Python2Str) &&
                order.bytes.size() == 1 &&
                std::string_view("<>|=").find(order.bytes[0]) != std::string_view::npos,
            "numpy.dtype byte order is ", described(order), " ('", printable(order.bytes),
            "'), not one of '<', '>', '|', '='");
    require(
        items[2].kind == Kind::None && items[3].kind == Kind::None && items[4].kind == Kind::None,
        "structured and subarray dtypes are not supported");
    for (int i : {0, 5, 6, 7}) {
      require(items[i].kind == Kind::Int, "numpy.dtype state item ", i, " is ", described(items[i]),
              ", not an int");
    }
    dtype.byte_order = char(order.bytes[0]);
    dtype.built = true;
  }

  // ndarray's state: (version 1, shape, dtype, is_fortran, data); numpy also reads it without
  // the version.
  void build_array(ArrayObject& array, const Value& state) {
    require(!array.built, "the numpy.ndarray is built twice");
    require(state.kind == Kind::Tuple && (state.items->size() == 5 || state.items->size() == 4),
            "numpy.ndarray state is ", described(state), ", not a tuple of 5");
    const std::vector<Value>& all = *state.items;
    const std::size_t first = all.size() - 4;
    require(first == 0 || (all[0].kind == Kind::Int && all[0].integer == 1),
            "numpy.ndarray state version is not the int 1");
    const Value &shape = all[first], &dtype = all[first + 1], &fortran = all[first + 2],
                &data = all[first + 3];
    require(shape.kind == Kind::Tuple && shape.items->size() <= kMaxDims &&
                std::all_of(shape.items->begin(), shape.items->end(),
                            [](const Value& v) { return v.kind == Kind::Int && v.integer >= 0; }),
            "numpy.ndarray shape is ", described(shape),
            ", not a tuple of at most 64 non-negative ints");
    require(dtype.kind == Kind::DType, "numpy.ndarray dtype is ", described(dtype),
            ", not a numpy.dtype");
    require(fortran.kind == Kind::Bool || fortran.kind == Kind::Int, "numpy.ndarray is_fortran is ",
            described(fortran), ", not a bool");
    require(data.kind == Kind::Bytes || data.kind == Kind::Python2Str, "numpy.ndarray data is ",
            described(data), ", not bytes (object arrays are not supported)");

    // '=' is the reading machine's order; maskgrad runs on little-endian machines only.
    static_assert(std::endian::native == std::endian::little);
    const char order = dtype.dtype->byte_order == '=' ? '<' : dtype.dtype->byte_order;
    const std::string descr = order + dtype.dtype->type_code;
    array.type = parse_numpy_descr(
        descr, str(source_, ": byte offset ", op_offset_, ", opcode BUILD"), "pickled numpy");
    for (const Value& dim : *shape.items) array.shape.push_back(dim.integer);
    const std::optional<std::uint64_t> needed =
        numpy_payload_size(array.shape, array.type.itemsize);
    require(needed == data.bytes.size(), "numpy.ndarray shape ", array.shape, " of ", descr,
            " needs ", needed ? std::to_string(*needed) : std::string("more"),
            " bytes of data but the pickle holds ", data.bytes.size());
    array.fortran = fortran.integer != 0;
    array.data = data.bytes;
    array.data_owner = data.owner;
    array.built = true;
  }

  Tensor stop() {
    require(marks_.empty(), "a MARK is never closed");
    require(stack_.size() == 1, "the stack holds ", stack_.size(), " values, not 1");
    const Value& result = stack_.back();
    require(result.kind == Kind::Array, "the pickle holds ", described(result),
            ", not a numpy array");
    const ArrayObject& array = *result.array;
    require(array.built, "the numpy.ndarray never got its state (no BUILD)");
    // Fortran order is C order of the reversed shape.
    Shape stored = array.shape;
    if (array.fortran) std::reverse(stored.begin(), stored.end());
    Tensor out = empty(stored, array.type.loaded_dtype());
    decode_numpy_elements(array.data.data(), array.type, out, source_, "pickled numpy");
    if (!array.fortran || stored.size() < 2) return out;
    Shape reverse_dims;
    for (std::size_t i = stored.size(); i-- > 0;) reverse_dims.push_back(std::int64_t(i));
    return native::contiguous(native::permute(out, reverse_dims));
  }

  Bytes bytes_;
  const std::string& source_;
  std::size_t pos_ = 0;
  std::size_t frame_end_ = 0;
  std::size_t op_offset_ = 0;
  std::uint8_t op_ = 0;
  std::vector<Value> stack_;
  std::vector<std::size_t> marks_;
  std::unordered_map<std::uint64_t, Value> memo_;
};

}  // namespace

Tensor parse_pickled_array(std::span<const std::uint8_t> bytes, const std::string& source_name) {
  return Unpickler(bytes, source_name).run();
}

Tensor read_pickled_array(const std::string& path) {
  const std::vector<std::uint8_t> bytes = read_file_bytes(path);
  return parse_pickled_array(bytes, path);
}

}  // namespace mg::data
