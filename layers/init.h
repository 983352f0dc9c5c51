#pragma once

#include <cstdint>
#include <utility>

#include "core/generator.h"
#include "core/tensor.h"

// Parameter initialisation with torch.nn.init's formulas, so that a layer built here starts from
// the same distribution as PyTorch's. Each fills the tensor in place without recording autograd
// history; `generator` null means the default CPU generator.
namespace mg::nn::init {

enum class Nonlinearity { Linear, Conv, Sigmoid, Tanh, ReLU, LeakyReLU };
enum class FanMode { FanIn, FanOut };

// The recommended gain: 1 for linear/conv/sigmoid, 5/3 for tanh, √2 for ReLU,
// √(2 / (1 + slope²)) for leaky ReLU.
double calculate_gain(Nonlinearity nonlinearity, double negative_slope = 0.01);
// fan_in = size(1) · receptive field, fan_out = size(0) · receptive field; needs 2+ dimensions.
std::pair<std::int64_t, std::int64_t> calculate_fan_in_and_fan_out(const Tensor& tensor);

void uniform_(const Tensor& tensor, double low = 0, double high = 1,
              Generator* generator = nullptr);
void normal_(const Tensor& tensor, double mean = 0, double std = 1, Generator* generator = nullptr);
void constant_(const Tensor& tensor, double value);
void zeros_(const Tensor& tensor);
void ones_(const Tensor& tensor);
// U(-b, b) with b = gain · √(3 / fan), the gain taken for `nonlinearity` with slope `a`.
void kaiming_uniform_(const Tensor& tensor, double a = 0, FanMode mode = FanMode::FanIn,
                      Nonlinearity nonlinearity = Nonlinearity::LeakyReLU,
                      Generator* generator = nullptr);
// N(0, std²) with std = gain / √fan.
void kaiming_normal_(const Tensor& tensor, double a = 0, FanMode mode = FanMode::FanIn,
                     Nonlinearity nonlinearity = Nonlinearity::LeakyReLU,
                     Generator* generator = nullptr);
// U(-b, b) with b = gain · √(6 / (fan_in + fan_out)).
void xavier_uniform_(const Tensor& tensor, double gain = 1, Generator* generator = nullptr);
void xavier_normal_(const Tensor& tensor, double gain = 1, Generator* generator = nullptr);

}  // namespace mg::nn::init
