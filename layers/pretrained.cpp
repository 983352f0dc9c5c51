#include "layers/pretrained.h"

#include <set>

#include "core/error.h"
#include "core/safetensors.h"

namespace mg::nn {

NameMap identity_names() {
  return [](const std::string& name) { return std::optional<std::string>(name); };
}

NameMap strip_prefix(const std::string& prefix) {
  return [prefix](const std::string& name) {
    return std::optional<std::string>(name.rfind(prefix, 0) == 0 ? name.substr(prefix.size())
                                                                 : name);
  };
}

NameMap add_prefix(const std::string& prefix) {
  return [prefix](const std::string& name) { return std::optional<std::string>(prefix + name); };
}

NameMap drop_prefixes(std::vector<std::string> prefixes) {
  return [prefixes = std::move(prefixes)](const std::string& name) -> std::optional<std::string> {
    for (const auto& prefix : prefixes)
      if (name.rfind(prefix, 0) == 0) return std::nullopt;
    return name;
  };
}

NameMap replace_substrings(std::vector<std::pair<std::string, std::string>> replacements) {
  return [replacements = std::move(replacements)](const std::string& name) {
    std::string out = name;
    for (const auto& [from, to] : replacements) {
      for (std::size_t at = out.find(from); at != std::string::npos;
           at = out.find(from, at + to.size()))
        out.replace(at, from.size(), to);
    }
    return std::optional<std::string>(out);
  };
}

NameMap then(NameMap first, NameMap second) {
  return [first = std::move(first),
          second = std::move(second)](const std::string& name) -> std::optional<std::string> {
    const auto mapped = first(name);
    return mapped ? second(*mapped) : std::nullopt;
  };
}

LoadReport load_pretrained(Module& module, const std::string& path, const NameMap& names,
                           bool strict) {
  const SafetensorsFile file = load_safetensors(path);
  TensorList mapped;
  std::set<std::string> seen;
  for (const auto& [name, tensor] : file.tensors) {
    const auto target = names(name);
    if (!target) continue;
    MG_CHECK(seen.insert(*target).second, "load_pretrained: ", path, ": two entries map to \"",
             *target, "\" (the last was \"", name, "\")");
    mapped.emplace_back(*target, tensor);
  }
  try {
    return module.load_state_dict(mapped, strict);
  } catch (const Error& error) {
    throw Error(str("load_pretrained: ", path, ": ", error.what()));
  }
}

}  // namespace mg::nn
