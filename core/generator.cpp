#include "core/generator.h"

#include <map>

namespace mg {

void Generator::manual_seed(std::uint64_t seed) {
  std::lock_guard lock(mutex_);
  seed_ = seed;
  offset_ = 0;
}

std::uint64_t Generator::seed() const {
  std::lock_guard lock(mutex_);
  return seed_;
}

std::uint64_t Generator::offset() const {
  std::lock_guard lock(mutex_);
  return offset_;
}

void Generator::set_offset(std::uint64_t offset) {
  std::lock_guard lock(mutex_);
  offset_ = offset;
}

PhiloxState Generator::reserve(std::uint64_t blocks) {
  std::lock_guard lock(mutex_);
  const PhiloxState state{seed_, offset_};
  offset_ += blocks;
  return state;
}

namespace {
struct DefaultGenerators {
  std::mutex mutex;
  std::uint64_t seed = 0;  // what a generator created later starts from
  std::map<std::pair<int, int>, Generator> by_device;
};
DefaultGenerators& default_generators() {
  static DefaultGenerators generators;
  return generators;
}
}  // namespace

Generator& default_generator(Device device) {
  auto& all = default_generators();
  std::lock_guard lock(all.mutex);
  const std::pair<int, int> key{static_cast<int>(device.type), device.index};
  return all.by_device.try_emplace(key, all.seed).first->second;
}

void manual_seed(std::uint64_t seed) {
  auto& all = default_generators();
  std::lock_guard lock(all.mutex);
  all.seed = seed;
  for (auto& [device, generator] : all.by_device) generator.manual_seed(seed);
}

}  // namespace mg
