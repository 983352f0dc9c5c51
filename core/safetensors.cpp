#include "core/safetensors.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>

#include "core/creation.h"
#include "core/error.h"
#include "core/float16.h"
#include "core/json.h"
#include "core/ops_copy.h"

namespace mg {

// The file stores little-endian data, which is copied to and from memory as is.
static_assert(std::endian::native == std::endian::little, "safetensors I/O assumes little-endian");

namespace {

constexpr std::uint64_t kMaxHeaderBytes = 100'000'000;  // the Rust reference's limit
constexpr std::string_view kMetadataKey = "__metadata__";

// A dtype as the file names it, and the maskgrad dtype it loads as.
struct FileDType {
  std::string_view name;
  std::size_t size;
  DType loads_as;
};

constexpr FileDType kFileDTypes[] = {
    {"F32", 4, kFloat32}, {"F64", 8, kFloat64}, {"I64", 8, kInt64},    {"U8", 1, kUInt8},
    {"BOOL", 1, kBool},   {"F16", 2, kFloat32}, {"BF16", 2, kFloat32}, {"I8", 1, kInt64},
    {"I16", 2, kInt64},   {"I32", 4, kInt64},   {"U16", 2, kInt64},    {"U32", 4, kInt64},
};

// The name maskgrad writes a dtype under: the first entry (the exact one) that loads as it.
std::string_view file_dtype_name(DType dtype) {
  for (const FileDType& entry : kFileDTypes) {
    if (entry.loads_as == dtype) return entry.name;
  }
  throw Error(str("save_safetensors: no safetensors dtype for ", dtype));
}

struct Entry {
  std::string name;
  const FileDType* dtype;
  Shape shape;
  std::uint64_t begin;
  std::uint64_t end;

  bool stored_as_is() const { return element_size(dtype->loads_as) == dtype->size; }
};

struct Header {
  std::vector<Entry> entries;  // sorted by data offset
  std::map<std::string, std::string> metadata;
};

[[noreturn]] void fail_tensor(const std::string& source, const std::string& name,
                              const std::string& message) {
  throw Error(str(source, ": tensor \"", name, "\": ", message));
}

// The header length N from the first 8 bytes, checked against the file size.
std::uint64_t header_length(std::string_view prefix, std::uint64_t file_size,
                            const std::string& source) {
  MG_CHECK(file_size >= 8, source, ": not a safetensors file: ", file_size,
           " bytes, fewer than the 8-byte header length");
  std::uint64_t length = 0;
  std::memcpy(&length, prefix.data(), sizeof(length));
  MG_CHECK(length <= kMaxHeaderBytes, source, ": header length ", length,
           " is larger than the limit of ", kMaxHeaderBytes, " bytes");
  MG_CHECK(length <= file_size - 8, source, ": header length ", length, " is larger than the ",
           file_size - 8, " bytes that follow it in the file");
  return length;
}

const FileDType& parse_dtype(const Json& value, const std::string& source,
                             const std::string& name) {
  if (!value.is_string()) {
    fail_tensor(source, name, str("\"dtype\" must be a string, got ", value.dump()));
  }
  for (const FileDType& entry : kFileDTypes) {
    if (entry.name == value.as_string()) return entry;
  }
  fail_tensor(source, name, str("unknown dtype ", value.dump()));
}

Shape parse_shape(const Json& value, const std::string& source, const std::string& name) {
  const bool integers =
      value.is_array() && std::all_of(value.as_array().begin(), value.as_array().end(),
                                      [](const Json& x) { return x.is_integer(); });
  if (!integers) {
    fail_tensor(source, name, str("\"shape\" must be an array of integers, got ", value.dump()));
  }
  Shape shape;
  std::int64_t product = 1;  // of the nonzero sizes, so that numel(shape) cannot overflow
  for (const Json& size : value.as_array()) {
    shape.push_back(size.as_int());
    if (shape.back() < 0) fail_tensor(source, name, str("negative size in shape ", value.dump()));
    if (shape.back() > 0 && __builtin_mul_overflow(product, shape.back(), &product)) {
      fail_tensor(source, name, str("shape ", value.dump(), " has too many elements"));
    }
  }
  return shape;
}

Entry parse_entry(const std::string& name, const Json& value, std::uint64_t data_size,
                  const std::string& source) {
  if (!value.is_object()) {
    fail_tensor(source, name,
                str("expected an object with dtype, shape and data_offsets, got ", value.dump()));
  }
  const auto member = [&](std::string_view key) -> const Json& {
    const Json* found = value.find(key);
    if (found == nullptr) fail_tensor(source, name, str("missing \"", key, "\""));
    return *found;
  };
  Entry entry{name, &parse_dtype(member("dtype"), source, name),
              parse_shape(member("shape"), source, name), 0, 0};

  const Json& offsets = member("data_offsets");
  const bool well_formed =
      offsets.is_array() && offsets.as_array().size() == 2 && offsets.as_array()[0].is_integer() &&
      offsets.as_array()[1].is_integer() && offsets.as_array()[0].as_int() >= 0 &&
      offsets.as_array()[0].as_int() <= offsets.as_array()[1].as_int();
  if (!well_formed) {
    fail_tensor(
        source, name,
        str("\"data_offsets\" must be [begin, end] with 0 <= begin <= end, got ", offsets.dump()));
  }
  entry.begin = static_cast<std::uint64_t>(offsets.as_array()[0].as_int());
  entry.end = static_cast<std::uint64_t>(offsets.as_array()[1].as_int());

  std::uint64_t needed = 0;
  const bool fits = !__builtin_mul_overflow(static_cast<std::uint64_t>(numel(entry.shape)),
                                            entry.dtype->size, &needed);
  if (!fits || entry.end - entry.begin != needed) {
    fail_tensor(source, name,
                str("data_offsets ", offsets.dump(), " hold ", entry.end - entry.begin,
                    " bytes, but ", entry.dtype->name, " of shape ", entry.shape, " needs ",
                    fits ? str(needed) : std::string("more than 2^64")));
  }
  if (entry.end > data_size) {
    fail_tensor(source, name,
                str("data_offsets ", offsets.dump(), " go past the end of the ", data_size,
                    "-byte data section"));
  }
  return entry;
}

std::map<std::string, std::string> parse_metadata(const Json& value, const std::string& source) {
  const auto all_strings = [](const Json::Object& members) {
    return std::all_of(members.begin(), members.end(),
                       [](const auto& member) { return member.second.is_string(); });
  };
  MG_CHECK(value.is_object() && all_strings(value.as_object()), source, ": \"", kMetadataKey,
           "\" must be an object of strings, got ", value.dump());
  std::map<std::string, std::string> metadata;
  for (const auto& [key, text] : value.as_object()) metadata.emplace(key, text.as_string());
  return metadata;
}

// Checks that the tensors tile [0, data_size) exactly, as the Rust reference does, and sorts them
// into that order.
void check_coverage(std::vector<Entry>& entries, std::uint64_t data_size,
                    const std::string& source) {
  std::stable_sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
    return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
  });
  std::uint64_t covered = 0;
  const Entry* previous = nullptr;
  for (const Entry& entry : entries) {
    if (entry.begin < covered) {
      throw Error(str(source, ": tensors \"", previous->name, "\" and \"", entry.name,
                      "\" overlap: data_offsets [", previous->begin, ", ", previous->end, "] and [",
                      entry.begin, ", ", entry.end, "]"));
    }
    MG_CHECK(entry.begin == covered, source, ": bytes [", covered, ", ", entry.begin,
             ") of the data section belong to no tensor (a gap before tensor \"", entry.name,
             "\")");
    covered = entry.end;
    previous = &entry;
  }
  MG_CHECK(covered == data_size, source, ": bytes [", covered, ", ", data_size,
           ") at the end of the data section belong to no tensor");
}

Header parse_header(std::string_view text, std::uint64_t data_size, const std::string& source) {
  const Json json = Json::parse(text, str(source, " (header)"));
  MG_CHECK(json.is_object(), source, ": the header must be a JSON object, got ",
           Json::type_name(json.type()));
  Header header;
  for (const auto& [name, value] : json.as_object()) {
    if (name == kMetadataKey) {
      header.metadata = parse_metadata(value, source);
    } else {
      header.entries.push_back(parse_entry(name, value, data_size, source));
    }
  }
  check_coverage(header.entries, data_size, source);
  return header;
}

void check_bools(const Entry& entry, const Tensor& tensor, const std::string& source) {
  if (entry.dtype->loads_as != kBool) return;
  const auto* bytes = static_cast<const std::uint8_t*>(tensor.raw_data());
  const auto* bad = std::find_if(bytes, bytes + tensor.numel(), [](auto b) { return b > 1; });
  if (bad != bytes + tensor.numel()) {
    fail_tensor(source, entry.name,
                str("BOOL element ", bad - bytes, " is ", int(*bad), ", not 0 or 1"));
  }
}

template <typename Stored, typename Loaded, typename Convert>
void convert(const char* bytes, const Tensor& out, Convert convert_one) {
  auto* values = out.data_ptr<Loaded>();
  for (std::int64_t i = 0; i < out.numel(); ++i) {
    Stored stored;
    std::memcpy(&stored, bytes + i * sizeof(Stored), sizeof(Stored));
    values[i] = convert_one(stored);
  }
}

// Fills `out` (of entry.dtype->loads_as) from the entry's bytes in the file's dtype.
void decode_into(const Entry& entry, const char* bytes, const Tensor& out,
                 const std::string& source) {
  if (entry.stored_as_is()) {
    if (entry.end > entry.begin) std::memcpy(out.raw_data(), bytes, entry.end - entry.begin);
    check_bools(entry, out, source);
    return;
  }
  const auto widen = [](auto x) { return static_cast<std::int64_t>(x); };
  const std::string_view name = entry.dtype->name;
  if (name == "F16") {
    convert<std::uint16_t, float>(bytes, out, half_to_float);
  } else if (name == "BF16") {
    convert<std::uint16_t, float>(bytes, out, [](std::uint16_t x) {
      return std::bit_cast<float>(static_cast<std::uint32_t>(x) << 16);
    });
  } else if (name == "I8") {
    convert<std::int8_t, std::int64_t>(bytes, out, widen);
  } else if (name == "I16") {
    convert<std::int16_t, std::int64_t>(bytes, out, widen);
  } else if (name == "I32") {
    convert<std::int32_t, std::int64_t>(bytes, out, widen);
  } else if (name == "U16") {
    convert<std::uint16_t, std::int64_t>(bytes, out, widen);
  } else if (name == "U32") {
    convert<std::uint32_t, std::int64_t>(bytes, out, widen);
  } else {
    throw Error(str(source, ": no conversion from ", name));  // kFileDTypes and this disagree
  }
}

std::string errno_text() {
  return std::strerror(errno);
}

void write_all(int fd, const char* data, std::size_t size, const std::string& path) {
  while (size > 0) {
    const ssize_t written = ::write(fd, data, size);
    if (written < 0 && errno == EINTR) continue;
    MG_CHECK(written > 0, "save_safetensors: cannot write ", path, ": ", errno_text());
    data += written;
    size -= static_cast<std::size_t>(written);
  }
}

// Writes the pieces to a temporary file next to `path` and renames it over `path`.
void write_atomically(const std::string& path, const std::vector<std::string_view>& pieces) {
  const std::string temporary = str(path, ".tmp-", ::getpid());
  const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  MG_CHECK(fd >= 0, "save_safetensors: cannot create ", temporary, " to write ", path, ": ",
           errno_text());
  try {
    for (std::string_view piece : pieces) write_all(fd, piece.data(), piece.size(), path);
    // Flushed before the rename so that a crash cannot leave a renamed but empty file.
    MG_CHECK(::fsync(fd) == 0, "save_safetensors: cannot flush ", path, ": ", errno_text());
    const int closed = ::close(fd);
    MG_CHECK(closed == 0, "save_safetensors: cannot write ", path, ": ", errno_text());
  } catch (...) {
    ::close(fd);  // a second close after a failed one only returns EBADF
    ::unlink(temporary.c_str());
    throw;
  }
  if (::rename(temporary.c_str(), path.c_str()) != 0) {
    const std::string reason = errno_text();
    ::unlink(temporary.c_str());
    throw Error(str("save_safetensors: cannot rename ", temporary, " to ", path, ": ", reason));
  }
}

}  // namespace

const Tensor* SafetensorsFile::find(const std::string& name) const {
  for (const auto& [tensor_name, tensor] : tensors) {
    if (tensor_name == name) return &tensor;
  }
  return nullptr;
}

void save_safetensors(const std::string& path,
                      const std::vector<std::pair<std::string, Tensor>>& tensors,
                      const std::map<std::string, std::string>& metadata) {
  Json header = Json::object();
  if (!metadata.empty()) {
    Json entries = Json::object();
    for (const auto& [key, value] : metadata) entries.set(key, value);
    header.set(std::string(kMetadataKey), std::move(entries));
  }
  std::set<std::string_view> names;
  std::vector<Tensor> contiguous;
  std::int64_t offset = 0;
  for (const auto& [name, tensor] : tensors) {
    MG_CHECK(name != kMetadataKey, "save_safetensors: ", path, ": \"", kMetadataKey,
             "\" is reserved and cannot name a tensor");
    MG_CHECK(names.insert(name).second, "save_safetensors: ", path, ": the name \"", name,
             "\" is used by more than one tensor");
    MG_CHECK(tensor.defined(), "save_safetensors: ", path, ": tensor \"", name, "\" is undefined");
    contiguous.push_back(native::contiguous(native::to(tensor, Device::cpu())));
    const std::int64_t bytes =
        tensor.numel() * static_cast<std::int64_t>(element_size(tensor.dtype()));
    Json shape = Json::array();
    for (const std::int64_t size : tensor.shape()) shape.push_back(size);
    header.set(name, Json(Json::Object{{"dtype", file_dtype_name(tensor.dtype())},
                                       {"shape", std::move(shape)},
                                       {"data_offsets", Json::Array{offset, offset + bytes}}}));
    offset += bytes;
  }

  std::string text = header.dump();
  // Pads with spaces so that the data section starts 8-byte aligned, as the reference does.
  text.append((8 - text.size() % 8) % 8, ' ');
  const std::uint64_t length = text.size();
  char length_bytes[sizeof(length)];
  std::memcpy(length_bytes, &length, sizeof(length));

  std::vector<std::string_view> pieces{std::string_view(length_bytes, sizeof(length_bytes)), text};
  for (const Tensor& tensor : contiguous) {
    const auto bytes = static_cast<std::size_t>(tensor.numel()) * element_size(tensor.dtype());
    if (bytes > 0) pieces.emplace_back(static_cast<const char*>(tensor.raw_data()), bytes);
  }
  write_atomically(path, pieces);
}

SafetensorsFile parse_safetensors(std::string_view bytes, const std::string& source_name) {
  const std::uint64_t length = header_length(bytes, bytes.size(), source_name);
  const std::uint64_t data_size = bytes.size() - 8 - length;
  Header header = parse_header(bytes.substr(8, length), data_size, source_name);
  const char* data = bytes.data() + 8 + length;
  SafetensorsFile file;
  file.metadata = std::move(header.metadata);
  for (Entry& entry : header.entries) {
    Tensor tensor = empty(entry.shape, entry.dtype->loads_as);
    decode_into(entry, data + entry.begin, tensor, source_name);
    file.tensors.emplace_back(std::move(entry.name), std::move(tensor));
  }
  return file;
}

SafetensorsFile load_safetensors(const std::string& path) {
  // Reads tensor by tensor, straight into the tensors where the dtype needs no conversion, so a
  // large checkpoint is not held in memory twice.
  std::ifstream in(path, std::ios::binary);
  MG_CHECK(in.is_open(), "load_safetensors: cannot open ", path, ": ", errno_text());
  std::error_code ignored;
  MG_CHECK(!std::filesystem::is_directory(path, ignored), "load_safetensors: ", path,
           " is a directory");
  in.seekg(0, std::ios::end);
  const auto file_size = static_cast<std::uint64_t>(in.tellg());
  in.seekg(0, std::ios::beg);
  const auto read = [&](char* out, std::uint64_t size) {
    if (size == 0) return;
    in.read(out, static_cast<std::streamsize>(size));
    MG_CHECK(in.good(), "load_safetensors: cannot read ", size, " bytes from ", path,
             " (was it changed while being read?)");
  };

  char prefix[8] = {};
  if (file_size >= 8) read(prefix, 8);
  const std::uint64_t length = header_length(std::string_view(prefix, 8), file_size, path);
  std::string text(length, '\0');
  read(text.data(), length);
  Header header = parse_header(text, file_size - 8 - length, path);

  SafetensorsFile file;
  file.metadata = std::move(header.metadata);
  std::string buffer;
  for (Entry& entry : header.entries) {
    Tensor tensor = empty(entry.shape, entry.dtype->loads_as);
    const std::uint64_t size = entry.end - entry.begin;
    if (entry.stored_as_is()) {
      read(static_cast<char*>(tensor.raw_data()), size);
      check_bools(entry, tensor, path);
    } else {
      buffer.resize(size);
      read(buffer.data(), size);
      decode_into(entry, buffer.data(), tensor, path);
    }
    file.tensors.emplace_back(std::move(entry.name), std::move(tensor));
  }
  return file;
}

}  // namespace mg
