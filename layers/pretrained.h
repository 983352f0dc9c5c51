#pragma once

#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "layers/module.h"

namespace mg::nn {

// Maps a tensor name in a checkpoint to the module's parameter or buffer name, or to nullopt to
// leave the entry out (a pre-training head the model does not have).
using NameMap = std::function<std::optional<std::string>(const std::string& checkpoint_name)>;

// Name maps for the usual cases; `then` chains them left to right.
NameMap identity_names();
// "bert.encoder..." → "encoder..." ; names without the prefix are kept.
NameMap strip_prefix(const std::string& prefix);
// "encoder..." → "text_encoder.encoder...".
NameMap add_prefix(const std::string& prefix);
// Leaves out every entry whose name starts with one of `prefixes` ("cls.", "fc.").
NameMap drop_prefixes(std::vector<std::string> prefixes);
// Replaces substrings in order: {{".gamma", ".weight"}, {".beta", ".bias"}} for old BERT files.
NameMap replace_substrings(std::vector<std::pair<std::string, std::string>> replacements);
NameMap then(NameMap first, NameMap second);

// Loads a safetensors checkpoint into `module` through `names`. Missing, unexpected and
// mis-shaped entries are reported together: as one mg::Error naming the file when `strict`,
// else in the returned report (whose matching entries were loaded). Two checkpoint entries that
// map to the same name are an error in both modes.
LoadReport load_pretrained(Module& module, const std::string& path,
                           const NameMap& names = identity_names(), bool strict = true);

}  // namespace mg::nn
