#pragma once

#include <cstdint>
#include <string>

// Small pieces shared by the text readers (JSON, Python literals, the BERT tokenizer).
namespace mg {

// Appends code point `code` (at most U+10FFFF, not a surrogate) to `out` as UTF-8.
void append_utf8(std::string& out, char32_t code);

// The value of hexadecimal digit `c` (0-9, a-f, A-F), or -1 when it is not one.
int hex_digit_value(char c);

}  // namespace mg
