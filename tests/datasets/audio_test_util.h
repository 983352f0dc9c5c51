#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "core/tensor.h"
#include "datasets/npy.h"

// Reference values written by tools/reference/audio.py (librosa 0.10.2, soxr, scipy) into
// tests/fixtures/audio/.
namespace mg::data::testing {

inline Tensor audio_fixture(const std::string& name) {
  return read_npy(std::string(MG_FIXTURE_DIR) + "/audio/" + name + ".npy");
}

template <typename T = float>
std::vector<T> audio_fixture_values(const std::string& name) {
  return audio_fixture(name).to_vector<T>();
}

// max |actual - expected| / max |expected| over the array: one number per array, so bins near
// zero neither dominate (as an elementwise ratio would) nor hide (as a norm ratio could).
inline double max_relative_error(const std::vector<double>& actual,
                                 const std::vector<double>& expected) {
  double scale = 0, difference = 0;
  for (std::size_t i = 0; i < expected.size(); ++i) {
    scale = std::max(scale, std::abs(expected[i]));
    difference = std::max(difference, std::abs(actual[i] - expected[i]));
  }
  return scale > 0 ? difference / scale : difference;
}

// With MG_PARITY_REPORT set, prints a measured error (MG_PARITY_REPORT=1 build/tests/...).
inline void report(const std::string& what, double value) {
  if (std::getenv("MG_PARITY_REPORT")) std::printf("parity %s %.3g\n", what.c_str(), value);
}

}  // namespace mg::data::testing
