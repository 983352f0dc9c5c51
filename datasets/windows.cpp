#include "datasets/windows.h"

#include <cmath>
#include <numbers>

#include "core/error.h"

namespace mg::data {

std::vector<double> hann_window(std::int64_t length) {
  MG_CHECK(length >= 1, "hann_window: length ", length, " must be positive");
  if (length == 1) return {1.0};
  std::vector<double> window(length);
  for (std::int64_t j = 0; j < length; ++j)
    window[j] = 0.5 - 0.5 * std::cos(2 * std::numbers::pi * static_cast<double>(j) /
                                     static_cast<double>(length));
  return window;
}

std::vector<double> tukey_window(std::int64_t length, double alpha) {
  MG_CHECK(length >= 1, "tukey_window: length ", length, " must be positive");
  if (length == 1 || alpha <= 0) return std::vector<double>(length, 1.0);
  if (alpha >= 1) return hann_window(length);
  // scipy's formula on the symmetric window of size + 1 points, of which the first `length`.
  const std::int64_t size = length + 1;
  const double last = static_cast<double>(size - 1);
  const auto width = static_cast<std::int64_t>(std::floor(alpha * last / 2));
  std::vector<double> window(length, 1.0);
  for (std::int64_t j = 0; j < length; ++j) {
    const double n = static_cast<double>(j);
    if (j <= width) {
      window[j] = 0.5 * (1 + std::cos(std::numbers::pi * (-1 + 2 * n / alpha / last)));
    } else if (j >= size - width - 1) {
      window[j] = 0.5 * (1 + std::cos(std::numbers::pi * (-2 / alpha + 1 + 2 * n / alpha / last)));
    }
  }
  return window;
}

}  // namespace mg::data
