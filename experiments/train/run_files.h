#pragma once

#include <string>
#include <vector>

#include "core/json.h"

// Reading and writing the files of a run directory (config.json, metrics.jsonl, summary.json,
// tables), and the plain-text tables the programs print. Errors name the file.
namespace mg::train {

Json read_json_file(const std::string& path);
// One JSON value per non-empty line (metrics.jsonl).
std::vector<Json> read_json_lines(const std::string& path);
// Written whole or not at all (a temporary file renamed).
void write_text_file(const std::string& path, const std::string& text);

// `value` with `digits` digits after the point.
std::string fixed(double value, int digits);

// Rows of cells, the first the header: aligned columns (the first left-aligned, the others
// right-aligned, widths in code points), or a markdown table.
std::string table_text(const std::vector<std::vector<std::string>>& rows);
std::string table_markdown(const std::vector<std::vector<std::string>>& rows);

}  // namespace mg::train
