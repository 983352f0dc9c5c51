#pragma once

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace mg {

// A JSON value (RFC 8259): null, bool, number, string, array or object. Objects keep their keys
// in insertion order, so dump() writes them back as they were read; find() on an object is a
// linear scan (objects here are configs and file headers, not databases).
//
// A number keeps its double value and, when its literal is an integer (no fraction, no exponent)
// that fits in int64, the exact integer too: as_int() accepts only those, so "2.5" or "1e3" is
// never silently truncated and 2^53 + 1 survives a round trip.
//
// parse() is strict: no comments, no trailing commas, no NaN/Infinity, no duplicate object keys,
// no trailing garbage, valid UTF-8 only, at most 256 levels of nesting. Errors are mg::Error
// naming the source, the byte offset and what was expected there.
class Json {
 public:
  using Array = std::vector<Json>;
  using Object = std::vector<std::pair<std::string, Json>>;
  enum class Type : std::uint8_t { Null, Bool, Number, String, Array, Object };

  static constexpr int kMaxDepth = 256;

  Json() = default;
  Json(std::nullptr_t) {}
  Json(bool value) : value_(value) {}
  // Any integer type; one outside the int64 range (a uint64 above 2^63 - 1) is kept as a double.
  template <std::integral T>
  requires(!std::same_as<T, bool>) Json(T value)
      : value_(Number{static_cast<double>(value), std::nullopt}) {
    if (std::in_range<std::int64_t>(value)) {
      std::get<Number>(value_).integer = static_cast<std::int64_t>(value);
    }
  }
  Json(double value) : value_(Number{value, std::nullopt}) {}
  Json(std::string value) : value_(std::move(value)) {}
  Json(std::string_view value) : value_(std::string(value)) {}
  Json(const char* value) : value_(std::string(value)) {}
  Json(Array value) : value_(std::move(value)) {}
  Json(Object value) : value_(std::move(value)) {}

  static Json array() { return Json(Array{}); }
  static Json object() { return Json(Object{}); }

  // Parses one JSON value from `text`; `source_name` (a path, "config") starts error messages.
  static Json parse(std::string_view text, const std::string& source_name);
  // Compact JSON (no spaces). Non-ASCII text is written as UTF-8, control characters escaped;
  // doubles in their shortest round-trip form, with ".0" when whole so they stay doubles.
  // Throws mg::Error for NaN or infinity, which JSON cannot represent.
  std::string dump() const;

  Type type() const { return static_cast<Type>(value_.index()); }
  static std::string_view type_name(Type type);
  bool is_null() const { return type() == Type::Null; }
  bool is_bool() const { return type() == Type::Bool; }
  bool is_number() const { return type() == Type::Number; }
  // A number whose exact int64 value is known (see the class comment).
  bool is_integer() const { return is_number() && std::get<Number>(value_).integer.has_value(); }
  bool is_string() const { return type() == Type::String; }
  bool is_array() const { return type() == Type::Array; }
  bool is_object() const { return type() == Type::Object; }

  // Each throws mg::Error naming the expected and the actual type.
  bool as_bool() const;
  std::int64_t as_int() const;
  double as_double() const;
  const std::string& as_string() const;
  const Array& as_array() const;
  Array& as_array();
  const Object& as_object() const;
  Object& as_object();

  // The member `key` of an object, or nullptr when it has none; throws unless an object.
  const Json* find(std::string_view key) const;
  // As find(), but throws mg::Error "missing key" when absent.
  const Json& at(std::string_view key) const;
  // Replaces the member `key` of an object, or appends it when new.
  void set(std::string key, Json value);
  // Appends to an array.
  void push_back(Json value);

  // Structural equality; numbers compare by value, object members in order.
  friend bool operator==(const Json& a, const Json& b);

 private:
  struct Number {
    double value;
    std::optional<std::int64_t> integer;
    friend bool operator==(const Number&, const Number&) = default;
  };

  void expect_type(Type expected) const;

  // The alternatives are in the order of Type.
  std::variant<std::nullptr_t, bool, Number, std::string, Array, Object> value_;
};

}  // namespace mg
