#include "layers/init.h"

#include <cmath>

#include "core/error.h"
#include "core/ops_copy.h"
#include "core/random.h"

namespace mg::nn::init {

double calculate_gain(Nonlinearity nonlinearity, double negative_slope) {
  switch (nonlinearity) {
    case Nonlinearity::Linear:
    case Nonlinearity::Conv:
    case Nonlinearity::Sigmoid:
      return 1.0;
    case Nonlinearity::Tanh:
      return 5.0 / 3.0;
    case Nonlinearity::ReLU:
      return std::sqrt(2.0);
    case Nonlinearity::LeakyReLU:
      return std::sqrt(2.0 / (1.0 + negative_slope * negative_slope));
  }
  return 1.0;
}

std::pair<std::int64_t, std::int64_t> calculate_fan_in_and_fan_out(const Tensor& tensor) {
  MG_CHECK(tensor.dim() >= 2, "init: fan in and fan out need a tensor with at least 2 dimensions, ",
           "got ", describe(tensor));
  std::int64_t receptive_field = 1;
  for (std::int64_t d = 2; d < tensor.dim(); ++d) receptive_field *= tensor.size(d);
  return {tensor.size(1) * receptive_field, tensor.size(0) * receptive_field};
}

namespace {
double fan(const Tensor& tensor, FanMode mode) {
  const auto [fan_in, fan_out] = calculate_fan_in_and_fan_out(tensor);
  const std::int64_t value = mode == FanMode::FanIn ? fan_in : fan_out;
  MG_CHECK(value > 0, "init: cannot initialise ", describe(tensor), " with a zero fan");
  return static_cast<double>(value);
}
}  // namespace

void uniform_(const Tensor& tensor, double low, double high, Generator* generator) {
  mg::uniform_(tensor, low, high, generator);
}

void normal_(const Tensor& tensor, double mean, double std, Generator* generator) {
  mg::normal_(tensor, mean, std, generator);
}

void constant_(const Tensor& tensor, double value) {
  native::fill_(tensor, value);
}
void zeros_(const Tensor& tensor) {
  native::fill_(tensor, 0.0);
}
void ones_(const Tensor& tensor) {
  native::fill_(tensor, 1.0);
}

void kaiming_uniform_(const Tensor& tensor, double a, FanMode mode, Nonlinearity nonlinearity,
                      Generator* generator) {
  const double bound = calculate_gain(nonlinearity, a) * std::sqrt(3.0 / fan(tensor, mode));
  mg::uniform_(tensor, -bound, bound, generator);
}

void kaiming_normal_(const Tensor& tensor, double a, FanMode mode, Nonlinearity nonlinearity,
                     Generator* generator) {
  mg::normal_(tensor, 0.0, calculate_gain(nonlinearity, a) / std::sqrt(fan(tensor, mode)),
              generator);
}

void xavier_uniform_(const Tensor& tensor, double gain, Generator* generator) {
  const auto [fan_in, fan_out] = calculate_fan_in_and_fan_out(tensor);
  const double bound = gain * std::sqrt(6.0 / static_cast<double>(fan_in + fan_out));
  mg::uniform_(tensor, -bound, bound, generator);
}

void xavier_normal_(const Tensor& tensor, double gain, Generator* generator) {
  const auto [fan_in, fan_out] = calculate_fan_in_and_fan_out(tensor);
  mg::normal_(tensor, 0.0, gain * std::sqrt(2.0 / static_cast<double>(fan_in + fan_out)),
              generator);
}

}  // namespace mg::nn::init
