#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

// CSV and TSV as Python's csv module and pandas read them (RFC 4180 with a configurable
// delimiter): a UTF-8 byte order mark at the start is skipped; rows end at LF, CRLF or a lone CR;
// a field that starts with the quote character is quoted: it runs to the next lone quote, may hold
// delimiters and line breaks, and "" inside it stands for one quote. As in Python's csv module,
// text after the closing quote is kept (`"a"b` reads `ab`) and a quote inside an unquoted field is
// an ordinary character. As in pandas, empty lines are skipped. No header handling: the first row
// is returned like the others.
namespace mg::data {

struct CsvOptions {
  char delimiter = ',';
  // '\0' turns quoting off: every character is literal (TomBERT's TSVs are read positionally).
  char quote = '"';
  // When true, every row must have as many fields as the first.
  bool require_same_field_count = false;
};

using CsvRows = std::vector<std::vector<std::string>>;

// Parses the whole text; `source_name` (a path, or "<bytes>") and the 1-based line number start
// every error message.
CsvRows parse_csv(std::string_view text, const std::string& source_name,
                  const CsvOptions& options = {});

// read_file_bytes + parse_csv.
CsvRows read_csv(const std::string& path, const CsvOptions& options = {});

// The same, also giving the 1-based line on which each row starts (a quoted field may span
// lines, empty lines are skipped), for errors that name a row's line.
CsvRows parse_csv(std::string_view text, const std::string& source_name, const CsvOptions& options,
                  std::vector<std::int64_t>& row_lines);
CsvRows read_csv(const std::string& path, const CsvOptions& options,
                 std::vector<std::int64_t>& row_lines);

}  // namespace mg::data
