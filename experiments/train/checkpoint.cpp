#include "experiments/train/checkpoint.h"

#include <charconv>
#include <cstdio>
#include <map>

#include "core/error.h"
#include "core/safetensors.h"

namespace mg::train {
namespace {

constexpr const char* kFormat = "mg-train checkpoint 1";

std::string exact(double value) {
  char buffer[32];
  const auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, value);
  return std::string(buffer, end);
}

template <typename T>
T parse(const std::map<std::string, std::string>& metadata, const std::string& key,
        const std::string& path) {
  const auto it = metadata.find(key);
  MG_CHECK(it != metadata.end(), "checkpoint ", path, ": metadata lacks \"", key, "\"");
  T value{};
  const std::string& text = it->second;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  MG_CHECK(ec == std::errc() && end == text.data() + text.size(), "checkpoint ", path,
           ": metadata \"", key, "\" is not a number: '", text, "'");
  return value;
}

void add(nn::TensorList& out, const std::string& prefix, const nn::TensorList& tensors) {
  for (const auto& [name, tensor] : tensors) out.emplace_back(prefix + name, tensor);
}

// The entries of `file` under `prefix`, with it removed.
nn::TensorList under(const SafetensorsFile& file, const std::string& prefix) {
  nn::TensorList out;
  for (const auto& [name, tensor] : file.tensors)
    if (name.starts_with(prefix)) out.emplace_back(name.substr(prefix.size()), tensor);
  return out;
}

}  // namespace

void save_checkpoint(const std::string& path, const RunState& state, const Progress& progress) {
  nn::TensorList tensors;
  add(tensors, "model.", state.model.state_dict());
  add(tensors, "optimizer.", state.optimizer.state_dict());
  add(tensors, "method.", state.method.state_dict());
  std::map<std::string, std::string> metadata = {
      {"format", kFormat},
      {"method", state.method.name()},
      {"next_epoch", std::to_string(progress.next_epoch)},
      {"step", std::to_string(progress.step)},
      {"best_epoch", std::to_string(progress.best_epoch)},
      {"best_score", exact(progress.best_score)},
      {"rng.cpu", std::to_string(default_generator(Device::cpu()).offset())},
      {"rng.method", std::to_string(state.method_generator.offset())},
  };
  if (state.device.is_cuda())
    metadata["rng.device"] = std::to_string(default_generator(state.device).offset());
  for (const auto& [key, value] : state.schedule.state_dict())
    metadata["scheduler." + key] = exact(value);
  save_safetensors(path, tensors, metadata);
}

Progress load_checkpoint(const std::string& path, const RunState& state) {
  const SafetensorsFile file = load_safetensors(path);
  const auto format = file.metadata.find("format");
  MG_CHECK(format != file.metadata.end() && format->second == kFormat, "checkpoint ", path,
           ": not an mg-train checkpoint (metadata \"format\" is not \"", kFormat, "\")");
  const auto method = file.metadata.find("method");
  MG_CHECK(method != file.metadata.end() && method->second == state.method.name(), "checkpoint ",
           path, ": written by method ",
           method == file.metadata.end() ? std::string("?") : method->second, ", not ",
           state.method.name());
  try {
    state.model.load_state_dict(under(file, "model."));
    state.optimizer.load_state_dict(under(file, "optimizer."));
    state.method.load_state_dict(under(file, "method."));
  } catch (const Error& e) {
    throw Error(str("checkpoint ", path, ": ", e.what()));
  }
  state.model.to(state.device);
  optim::SchedulerState schedule;
  for (const auto& [key, value] : file.metadata)
    if (key.starts_with("scheduler."))
      schedule[key.substr(10)] = parse<double>(file.metadata, key, path);
  try {
    state.schedule.load_state_dict(schedule);
  } catch (const Error& e) {
    throw Error(str("checkpoint ", path, ": scheduler: ", e.what()));
  }
  default_generator(Device::cpu()).set_offset(parse<std::uint64_t>(file.metadata, "rng.cpu", path));
  state.method_generator.set_offset(parse<std::uint64_t>(file.metadata, "rng.method", path));
  if (state.device.is_cuda())
    default_generator(state.device)
        .set_offset(parse<std::uint64_t>(file.metadata, "rng.device", path));
  Progress progress;
  progress.next_epoch = parse<std::int64_t>(file.metadata, "next_epoch", path);
  progress.step = parse<std::int64_t>(file.metadata, "step", path);
  progress.best_epoch = parse<std::int64_t>(file.metadata, "best_epoch", path);
  progress.best_score = parse<double>(file.metadata, "best_score", path);
  return progress;
}

}  // namespace mg::train
