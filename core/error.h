#pragma once

#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>

namespace mg {

// The one exception type maskgrad throws for bad input: wrong shapes or dtypes, corrupt files,
// bad flags. Its message names the op (or file) and the values involved.
class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
};

// Concatenates anything that has an operator<< into one string.
template <typename... Args>
std::string str(const Args&... args) {
  std::ostringstream out;
  (out << ... << args);
  return out.str();
}

}  // namespace mg

// Throws mg::Error built from the remaining arguments when `cond` is false.
#define MG_CHECK(cond, ...)                                 \
  do {                                                      \
    if (!(cond)) throw ::mg::Error(::mg::str(__VA_ARGS__)); \
  } while (false)
