#include "datasets/csv.h"

#include "core/error.h"
#include "datasets/file_bytes.h"

namespace mg::data {

CsvRows parse_csv(std::string_view text, const std::string& source_name, const CsvOptions& options,
                  std::vector<std::int64_t>& row_lines) {
  row_lines.clear();
  MG_CHECK(
      options.delimiter != '\n' && options.delimiter != '\r' && options.delimiter != options.quote,
      source_name, ": bad CSV options (the delimiter is a line break or the quote)");
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);
  const bool quoting = options.quote != '\0';
  CsvRows rows;
  std::vector<std::string> row;
  std::string field;
  std::size_t line = 1;      // of the character at `at`
  std::size_t row_line = 1;  // where the current row started
  bool at_field_start = true;
  bool row_has_content = false;  // a character, delimiter or quoted field since the row began
  const auto end_row = [&] {
    if (row_has_content) {
      row.push_back(std::move(field));
      MG_CHECK(!options.require_same_field_count || rows.empty() || row.size() == rows[0].size(),
               source_name, ":", row_line, ": ", row.size(), " fields, but the first row has ",
               rows[0].size());
      rows.push_back(std::move(row));
      row_lines.push_back(static_cast<std::int64_t>(row_line));
    }
    row.clear();
    field.clear();
  };
  std::size_t at = 0;
  while (at < text.size()) {
    const char c = text[at];
    if (at_field_start && quoting && c == options.quote) {
      const std::size_t quote_line = line;
      ++at;
      while (true) {
        MG_CHECK(at < text.size(), source_name, ":", quote_line,
                 ": unterminated quoted field (the quote opened on this line never closes)");
        const char q = text[at];
        if (q == options.quote) {
          if (at + 1 < text.size() && text[at + 1] == options.quote) {
            field += options.quote;
            at += 2;
            continue;
          }
          ++at;
          break;
        }
        if (q == '\n' || (q == '\r' && (at + 1 == text.size() || text[at + 1] != '\n'))) ++line;
        field += q;
        ++at;
      }
      at_field_start = false;
      row_has_content = true;
      continue;
    }
    at_field_start = false;
    if (c == options.delimiter) {
      row.push_back(std::move(field));
      field.clear();
      at_field_start = true;
      row_has_content = true;
      ++at;
    } else if (c == '\n' || c == '\r') {
      at += c == '\r' && at + 1 < text.size() && text[at + 1] == '\n' ? 2 : 1;
      end_row();
      row_line = ++line;
      at_field_start = true;
      row_has_content = false;
    } else {
      field += c;
      row_has_content = true;
      ++at;
    }
  }
  end_row();
  return rows;
}

CsvRows parse_csv(std::string_view text, const std::string& source_name,
                  const CsvOptions& options) {
  std::vector<std::int64_t> row_lines;
  return parse_csv(text, source_name, options, row_lines);
}

CsvRows read_csv(const std::string& path, const CsvOptions& options,
                 std::vector<std::int64_t>& row_lines) {
  const std::vector<std::uint8_t> bytes = read_file_bytes(path);
  return parse_csv(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()),
                   path, options, row_lines);
}

CsvRows read_csv(const std::string& path, const CsvOptions& options) {
  std::vector<std::int64_t> row_lines;
  return read_csv(path, options, row_lines);
}

}  // namespace mg::data
