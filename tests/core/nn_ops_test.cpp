#include <cmath>
#include <limits>

#include "core/ops_loss.h"
#include "core/ops_nn.h"
#include "test_util.h"

namespace mg {
namespace {

using testing::expect_values;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

Tensor random_tensor(const Shape& shape, std::uint64_t seed, DType dtype = kFloat64,
                     double scale = 1) {
  Generator generator(seed);
  return mul(randn(shape, dtype, &generator), scale);
}

// x viewed as [outer, dim, inner] around `dim`.
struct Around {
  std::int64_t outer = 1, size = 1, inner = 1;
  Around(const Shape& shape, std::int64_t dim) {
    for (std::int64_t d = 0; d < static_cast<std::int64_t>(shape.size()); ++d) {
      if (d < dim) outer *= shape[d];
      if (d == dim) size = shape[d];
      if (d > dim) inner *= shape[d];
    }
  }
};

// The obvious two-loop softmax, in double.
std::vector<double> naive_softmax(const Tensor& x, std::int64_t dim, bool log) {
  const auto v = x.to_vector<double>();
  const Around a(x.shape(), dim);
  std::vector<double> out(v.size());
  for (std::int64_t o = 0; o < a.outer; ++o) {
    for (std::int64_t i = 0; i < a.inner; ++i) {
      const auto at = [&](std::int64_t k) { return (o * a.size + k) * a.inner + i; };
      double max = -kInf, sum = 0;
      for (std::int64_t k = 0; k < a.size; ++k) max = std::max(max, v[at(k)]);
      for (std::int64_t k = 0; k < a.size; ++k) sum += std::exp(v[at(k)] - max);
      for (std::int64_t k = 0; k < a.size; ++k) {
        out[at(k)] = log ? v[at(k)] - max - std::log(sum) : std::exp(v[at(k)] - max) / sum;
      }
    }
  }
  return out;
}

TEST(NnOps, SoftmaxMatchesNaiveLoopsAlongEveryDim) {
  const Tensor x = random_tensor({3, 4, 5}, 1, kFloat64, 3);
  for (std::int64_t dim : {0, 1, 2, -1}) {
    const std::int64_t d = dim < 0 ? dim + 3 : dim;
    expect_values(softmax(x, dim), naive_softmax(x, d, false), {3, 4, 5}, 1e-14);
    expect_values(log_softmax(x, dim), naive_softmax(x, d, true), {3, 4, 5}, 1e-13);
  }
  // float32: rows with a vector tail, several row blocks of a strided dim (inner > 256), and
  // enough rows to run on several threads.
  for (const Shape& shape : {Shape{7, 301}, Shape{2, 3, 300}, Shape{80, 1000}}) {
    const Tensor y = random_tensor(shape, 2, kFloat32, 4);
    for (std::int64_t dim : {std::int64_t{0}, std::int64_t{1}}) {
      expect_values(softmax(y, dim), naive_softmax(y, dim, false), shape, 1e-5);
      expect_values(log_softmax(y, dim), naive_softmax(y, dim, true), shape, 2e-5);
    }
  }
  // Non-contiguous input.
  const Tensor t = transpose(x, 0, 2);
  expect_values(softmax(t, 1), naive_softmax(contiguous(t), 1, false), {5, 4, 3}, 1e-14);
}

TEST(NnOps, SoftmaxIsStableAndHandlesInfinities) {
  const Tensor big = tensor({1000, 1001, 1002}, {}, kFloat32);
  const double total = 1 + std::exp(-1.0) + std::exp(-2.0);
  expect_values(softmax(big, 0), {std::exp(-2.0) / total, std::exp(-1.0) / total, 1 / total}, {3},
                1e-6);
  expect_values(log_softmax(big, 0), {-2 - std::log(total), -1 - std::log(total), -std::log(total)},
                {3}, 1e-5);
  // A masked (-inf) entry gets probability 0; very negative differences underflow to 0.
  expect_values(softmax(tensor({0, -kInf, 0, -200}, {}, kFloat32), 0), {0.5, 0, 0.5, 0}, {4});
  const auto masked = log_softmax(tensor({0, -kInf}, {}, kFloat64), 0).to_vector<double>();
  EXPECT_EQ(masked[0], 0);
  EXPECT_EQ(masked[1], -kInf);
  const auto nan_row = softmax(tensor({1, kNaN, 2}), 0).to_vector<double>();
  for (double v : nan_row) EXPECT_TRUE(std::isnan(v));
  // A 0-d tensor is a row of one.
  expect_values(softmax(scalar_tensor(3.0), 0), {1}, {});
  expect_values(log_softmax(scalar_tensor(3.0), -1), {0}, {});
}

TEST(NnOps, SoftmaxBackwardMatchesNaiveLoops) {
  const Tensor x = random_tensor({3, 4, 5}, 3);
  const Tensor g = random_tensor({3, 4, 5}, 4);
  for (std::int64_t dim : {0, 1, 2}) {
    for (bool log : {false, true}) {
      const Tensor y = log ? native::log_softmax(x, dim) : native::softmax(x, dim);
      const Tensor grad =
          log ? native::log_softmax_backward(g, y, dim) : native::softmax_backward(g, y, dim);
      const auto gv = g.to_vector<double>(), yv = y.to_vector<double>();
      std::vector<double> expected(gv.size());
      const Around a(x.shape(), dim);
      for (std::int64_t o = 0; o < a.outer; ++o) {
        for (std::int64_t i = 0; i < a.inner; ++i) {
          const auto at = [&](std::int64_t k) { return (o * a.size + k) * a.inner + i; };
          double s = 0;
          for (std::int64_t k = 0; k < a.size; ++k) s += log ? gv[at(k)] : gv[at(k)] * yv[at(k)];
          for (std::int64_t k = 0; k < a.size; ++k) {
            expected[at(k)] =
                log ? gv[at(k)] - std::exp(yv[at(k)]) * s : yv[at(k)] * (gv[at(k)] - s);
          }
        }
      }
      expect_values(grad, expected, {3, 4, 5}, 1e-13);
    }
  }
}

// Layer norm over the last `cols` elements of each row, in double.
std::vector<double> naive_layer_norm(const Tensor& x, std::int64_t cols, const Tensor& weight,
                                     const Tensor& bias, double eps, std::vector<double>* means,
                                     std::vector<double>* rstds) {
  const auto v = x.to_vector<double>();
  const auto w = weight.defined() ? weight.to_vector<double>() : std::vector<double>(cols, 1);
  const auto b = bias.defined() ? bias.to_vector<double>() : std::vector<double>(cols, 0);
  std::vector<double> out(v.size());
  for (std::size_t r = 0; r < v.size() / cols; ++r) {
    double mean = 0, var = 0;
    for (std::int64_t j = 0; j < cols; ++j) mean += v[r * cols + j] / cols;
    for (std::int64_t j = 0; j < cols; ++j) var += std::pow(v[r * cols + j] - mean, 2) / cols;
    const double rstd = 1 / std::sqrt(var + eps);
    for (std::int64_t j = 0; j < cols; ++j) {
      out[r * cols + j] = (v[r * cols + j] - mean) * rstd * w[j] + b[j];
    }
    means->push_back(mean);
    rstds->push_back(rstd);
  }
  return out;
}

TEST(NnOps, LayerNormMatchesNaiveLoops) {
  const Tensor x = random_tensor({2, 3, 4}, 5, kFloat64, 2);
  const Tensor w4 = random_tensor({4}, 6), b4 = random_tensor({4}, 7);
  const Tensor w34 = random_tensor({3, 4}, 8), b34 = random_tensor({3, 4}, 9);
  std::vector<double> means, rstds;
  auto result = native::layer_norm(x, {4}, w4, b4, 1e-5);
  expect_values(result.out, naive_layer_norm(x, 4, w4, b4, 1e-5, &means, &rstds), {2, 3, 4}, 1e-13);
  expect_values(result.mean, means, {2, 3, 1}, 1e-14);
  expect_values(result.rstd, rstds, {2, 3, 1}, 1e-12);
  means.clear();
  rstds.clear();
  result = native::layer_norm(x, {3, 4}, w34, b34, 0.1);
  expect_values(result.out, naive_layer_norm(x, 12, w34, b34, 0.1, &means, &rstds), {2, 3, 4},
                1e-13);
  EXPECT_EQ(result.mean.shape(), (Shape{2, 1, 1}));
  // Without affine parameters, float32, one row long enough for a vector tail, a large mean.
  const Tensor y = add(random_tensor({5, 301}, 10, kFloat32), 100.0);
  expect_values(layer_norm(y, {301}), naive_layer_norm(y, 301, {}, {}, 1e-5, &means, &rstds),
                {5, 301}, 2e-4);
  // Weight only, bias only, non-contiguous input.
  const Tensor t = transpose(x, 1, 2);
  const Tensor w3 = random_tensor({3}, 11);
  expect_values(layer_norm(t, {3}, w3),
                naive_layer_norm(contiguous(t), 3, w3, {}, 1e-5, &means, &rstds), {2, 4, 3}, 1e-13);
  expect_values(layer_norm(x, {4}, {}, b4), naive_layer_norm(x, 4, {}, b4, 1e-5, &means, &rstds),
                {2, 3, 4}, 1e-13);
}

TEST(NnOps, LayerNormBackwardComputesOnlyWhatIsAsked) {
  const Tensor x = random_tensor({6, 5}, 12);
  const Tensor w = random_tensor({5}, 13);
  const Tensor g = random_tensor({6, 5}, 14);
  const auto forward = native::layer_norm(x, {5}, w, {}, 1e-5);
  const auto all = native::layer_norm_backward(g, x, {5}, forward, w, true, true, true);
  // grad_bias = Σ_rows g, grad_weight = Σ_rows g·x̂.
  const auto gv = g.to_vector<double>();
  const auto xhat = native::layer_norm(x, {5}, {}, {}, 1e-5).out.to_vector<double>();
  std::vector<double> gw(5, 0), gb(5, 0);
  for (int i = 0; i < 30; ++i) {
    gw[i % 5] += gv[i] * xhat[i];
    gb[i % 5] += gv[i];
  }
  expect_values(all.weight, gw, {5}, 1e-12);
  expect_values(all.bias, gb, {5}, 1e-12);
  // Each row of grad_x sums to 0 (the mean is subtracted).
  expect_values(sum(all.x, {1}), std::vector<double>(6, 0), {6}, 1e-12);
  const auto only_x = native::layer_norm_backward(g, x, {5}, forward, w, true, false, false);
  EXPECT_FALSE(only_x.weight.defined());
  EXPECT_FALSE(only_x.bias.defined());
  EXPECT_TRUE(allclose(only_x.x, all.x, 0, 0));
  const auto only_params = native::layer_norm_backward(g, x, {5}, forward, w, false, true, true);
  EXPECT_FALSE(only_params.x.defined());
  EXPECT_TRUE(allclose(only_params.weight, all.weight, 0, 0));
}

// Per-channel statistics of x [N, C, *], in double.
struct ChannelStats {
  std::vector<double> mean, biased_var, unbiased_var;
};
ChannelStats channel_stats(const Tensor& x) {
  const auto v = x.to_vector<double>();
  const std::int64_t n = x.size(0), c = x.size(1), s = x.numel() / (n * c);
  ChannelStats stats;
  for (std::int64_t ch = 0; ch < c; ++ch) {
    double sum = 0, squares = 0;
    for (std::int64_t i = 0; i < n; ++i) {
      for (std::int64_t k = 0; k < s; ++k) sum += v[(i * c + ch) * s + k];
    }
    const double mean = sum / static_cast<double>(n * s);
    for (std::int64_t i = 0; i < n; ++i) {
      for (std::int64_t k = 0; k < s; ++k) squares += std::pow(v[(i * c + ch) * s + k] - mean, 2);
    }
    stats.mean.push_back(mean);
    stats.biased_var.push_back(squares / static_cast<double>(n * s));
    stats.unbiased_var.push_back(squares / static_cast<double>(n * s - 1));
  }
  return stats;
}

// (x - mean)/sqrt(var + eps)·w + b per channel.
std::vector<double> naive_batch_norm(const Tensor& x, const std::vector<double>& mean,
                                     const std::vector<double>& var, const Tensor& weight,
                                     const Tensor& bias, double eps) {
  const auto v = x.to_vector<double>();
  const std::int64_t c = x.size(1), s = x.numel() / (x.size(0) * c);
  const auto w = weight.defined() ? weight.to_vector<double>() : std::vector<double>(c, 1);
  const auto b = bias.defined() ? bias.to_vector<double>() : std::vector<double>(c, 0);
  std::vector<double> out(v.size());
  for (std::size_t i = 0; i < v.size(); ++i) {
    const std::size_t ch = (i / s) % c;
    out[i] = (v[i] - mean[ch]) / std::sqrt(var[ch] + eps) * w[ch] + b[ch];
  }
  return out;
}

TEST(NnOps, BatchNormTrainingUsesBatchStatisticsAndUpdatesRunningOnes) {
  // [N, C] inputs take a path of their own; 1100 channels of 64 values split between threads.
  for (const Shape& shape :
       {Shape{6, 3}, Shape{64, 1100}, Shape{2, 3, 4, 5}, Shape{2, 3, 2, 3, 2}}) {
    const std::int64_t channels = shape[1];
    const Tensor x = random_tensor(shape, 15, kFloat64, 2);
    const Tensor w = random_tensor({channels}, 16), b = random_tensor({channels}, 17);
    const Tensor running_mean = random_tensor({channels}, 18);
    const Tensor running_var = exp(random_tensor({channels}, 19));
    const auto old_mean = running_mean.to_vector<double>();
    const auto old_var = running_var.to_vector<double>();
    const std::uint64_t version = running_mean.version();
    const ChannelStats stats = channel_stats(x);
    const auto result = native::batch_norm(x, w, b, running_mean, running_var, true, 0.25, 1e-3);
    expect_values(result.out, naive_batch_norm(x, stats.mean, stats.biased_var, w, b, 1e-3), shape,
                  1e-12);
    expect_values(result.save_mean, stats.mean, {channels}, 1e-14);
    std::vector<double> invstd, new_mean, new_var;
    for (std::int64_t c = 0; c < channels; ++c) {
      invstd.push_back(1 / std::sqrt(stats.biased_var[c] + 1e-3));
      new_mean.push_back(0.75 * old_mean[c] + 0.25 * stats.mean[c]);
      new_var.push_back(0.75 * old_var[c] + 0.25 * stats.unbiased_var[c]);
    }
    expect_values(result.save_invstd, invstd, {channels}, 1e-12);
    expect_values(running_mean, new_mean, {channels}, 1e-14);
    expect_values(running_var, new_var, {channels}, 1e-14);
    EXPECT_GT(running_mean.version(), version);
  }
  // Without running statistics (track_running_stats=False) and without affine parameters.
  const Tensor x = random_tensor({4, 2, 3}, 20, kFloat32);
  const ChannelStats stats = channel_stats(x);
  expect_values(batch_norm(x, {}, {}, {}, {}, true),
                naive_batch_norm(x, stats.mean, stats.biased_var, {}, {}, 1e-5), {4, 2, 3}, 1e-5);
}

TEST(NnOps, BatchNormEvaluationUsesRunningStatistics) {
  const Tensor x = random_tensor({3, 2, 4}, 19);
  const Tensor w = random_tensor({2}, 20), b = random_tensor({2}, 21);
  const Tensor running_mean = tensor({0.3, -0.2}, {}, kFloat64);
  const Tensor running_var = tensor({1.5, 0.7}, {}, kFloat64);
  const auto result = native::batch_norm(x, w, b, running_mean, running_var, false, 0.1, 1e-5);
  expect_values(result.out, naive_batch_norm(x, {0.3, -0.2}, {1.5, 0.7}, w, b, 1e-5), {3, 2, 4},
                1e-13);
  expect_values(result.save_mean, {0.3, -0.2}, {2});
  expect_values(result.save_invstd, {1 / std::sqrt(1.5 + 1e-5), 1 / std::sqrt(0.7 + 1e-5)}, {2},
                1e-14);
  expect_values(running_mean, {0.3, -0.2}, {2});  // untouched
  expect_values(running_var, {1.5, 0.7}, {2});
  // A single sample is fine in evaluation.
  EXPECT_NO_THROW(batch_norm(ones({1, 2}, kFloat64), running_mean, running_var, {}, {}, false));
}

TEST(NnOps, BatchNormBackwardInEvaluationTreatsStatisticsAsConstants) {
  const Tensor x = random_tensor({4, 2, 3}, 22);
  const Tensor w = tensor({2, -1}, {}, kFloat64);
  const Tensor g = random_tensor({4, 2, 3}, 23);
  const auto forward = native::batch_norm(x, w, {}, tensor({0.1, 0.2}, {}, kFloat64),
                                          tensor({4, 0.25}, {}, kFloat64), false, 0.1, 0);
  const auto grads = native::batch_norm_backward(g, x, w, forward, false, true, true, true);
  const auto gv = g.to_vector<double>(), xv = x.to_vector<double>();
  std::vector<double> gx(gv.size()), gw(2, 0), gb(2, 0);
  const double invstd[] = {0.5, 2}, mean[] = {0.1, 0.2}, weight[] = {2, -1};
  for (std::size_t i = 0; i < gv.size(); ++i) {
    const std::size_t c = (i / 3) % 2;
    gx[i] = gv[i] * weight[c] * invstd[c];
    gw[c] += gv[i] * (xv[i] - mean[c]) * invstd[c];
    gb[c] += gv[i];
  }
  expect_values(grads.x, gx, {4, 2, 3}, 1e-13);
  expect_values(grads.weight, gw, {2}, 1e-13);
  expect_values(grads.bias, gb, {2}, 1e-13);
}

// -weight[t]·input[n, t, s] per position (0 where ignored), and Σ weight[t].
struct NaiveNll {
  std::vector<double> losses;
  double total_weight = 0, sum = 0;
};
NaiveNll naive_nll(const Tensor& input, const std::vector<std::int64_t>& target,
                   const std::vector<double>& weight, std::int64_t ignore_index) {
  const auto v = input.to_vector<double>();
  const std::int64_t c = input.size(1), s = input.numel() / (input.size(0) * c);
  NaiveNll result;
  for (std::size_t i = 0; i < target.size(); ++i) {
    const std::int64_t n = static_cast<std::int64_t>(i) / s, k = static_cast<std::int64_t>(i) % s;
    if (target[i] == ignore_index) {
      result.losses.push_back(0);
      continue;
    }
    const double w = weight.empty() ? 1 : weight[target[i]];
    result.losses.push_back(-w * v[(n * c + target[i]) * s + k]);
    result.total_weight += w;
    result.sum += result.losses.back();
  }
  return result;
}

TEST(NnOps, NllLossMatchesNaiveLoopsForEveryReduction) {
  const Tensor input = random_tensor({5, 4}, 24);
  const std::vector<std::int64_t> t{0, 3, 1, 3, 2};
  const Tensor target = from_vector(t, {5});
  const std::vector<double> wv{0.5, 1.5, 2, 0.25};
  const Tensor weight = tensor(wv, {}, kFloat64);
  for (bool weighted : {false, true}) {
    for (std::int64_t ignore : {std::int64_t{-100}, std::int64_t{3}}) {
      const NaiveNll expected = naive_nll(input, t, weighted ? wv : std::vector<double>{}, ignore);
      const Tensor w = weighted ? weight : Tensor();
      expect_values(nll_loss(input, target, {w, ignore, Reduction::None}), expected.losses, {5},
                    1e-15);
      expect_values(nll_loss(input, target, {w, ignore, Reduction::Sum}), {expected.sum}, {},
                    1e-14);
      const auto mean = native::nll_loss(input, target, w, Reduction::Mean, ignore);
      expect_values(mean.out, {expected.sum / expected.total_weight}, {}, 1e-14);
      expect_values(mean.total_weight, {expected.total_weight}, {}, 1e-15);
    }
  }
  // [N, C, d1, d2] with [N, d1, d2] targets, and an unbatched [C] input with a 0-d target.
  const Tensor spatial = random_tensor({2, 3, 2, 2}, 25);
  const std::vector<std::int64_t> ts{0, 2, 1, 1, 2, 0, -1, 2};
  const NaiveNll expected = naive_nll(spatial, ts, {}, -1);
  expect_values(nll_loss(spatial, from_vector(ts, {2, 2, 2}), {{}, -1, Reduction::None}),
                expected.losses, {2, 2, 2}, 1e-15);
  expect_values(nll_loss(spatial, from_vector(ts, {2, 2, 2}), {.ignore_index = -1}),
                {expected.sum / 7}, {}, 1e-14);
  const Tensor single = tensor({-1, -2, -3}, {}, kFloat64);
  expect_values(nll_loss(single, view(from_vector<std::int64_t>({1}, {1}), {})), {2}, {});
  // Every target ignored: Mean is 0/0.
  EXPECT_TRUE(std::isnan(nll_loss(input, full({5}, -100, kInt64)).item<double>()));
}

TEST(NnOps, NllLossBackwardScattersTheWeights) {
  const Shape shape{3, 4};
  const Tensor target = from_vector<std::int64_t>({2, -100, 0}, {3});
  const Tensor weight = tensor({2, 3, 4, 5}, {}, kFloat64);
  const auto forward =
      native::nll_loss(random_tensor(shape, 26), target, weight, Reduction::Mean, -100);
  expect_values(native::nll_loss_backward(scalar_tensor(1.5, kFloat64), shape, target, weight,
                                          Reduction::Mean, -100, forward.total_weight),
                {0, 0, -4 * 1.5 / 6, 0, 0, 0, 0, 0, -2 * 1.5 / 6, 0, 0, 0}, shape, 1e-15);
  expect_values(native::nll_loss_backward(tensor({1, 2, 3}, {}, kFloat64), shape, target, {},
                                          Reduction::None, -100, forward.total_weight),
                {0, 0, -1, 0, 0, 0, 0, 0, -3, 0, 0, 0}, shape);
}

// PyTorch 1.13's cross_entropy with class indices and label smoothing ε, in double:
// (1 - ε)·nll + ε/C·smooth with smooth_i = -Σ_c w_c·logp_ic (0 where ignored), both reduced
// alike; Mean divides both by Σ w[t_i] over the positions not ignored.
double naive_smoothed_cross_entropy(const Tensor& logits, const std::vector<std::int64_t>& t,
                                    const std::vector<double>& w, std::int64_t ignore, double eps) {
  const std::int64_t n = logits.size(0), c = logits.size(1);
  const auto logp = naive_softmax(logits, 1, true);
  double nll = 0, smooth = 0, total = 0;
  for (std::int64_t i = 0; i < n; ++i) {
    if (t[i] == ignore) continue;
    nll -= w[t[i]] * logp[i * c + t[i]];
    total += w[t[i]];
    for (std::int64_t k = 0; k < c; ++k) smooth -= w[k] * logp[i * c + k];
  }
  return (1 - eps) * nll / total + eps / static_cast<double>(c) * smooth / total;
}

TEST(NnOps, CrossEntropyFollowsPyTorchLabelSmoothing) {
  const Tensor logits = random_tensor({5, 4}, 27, kFloat64, 2);
  const std::vector<std::int64_t> t{0, 3, 1, 3, 2};
  const Tensor target = from_vector(t, {5});
  const std::vector<double> wv{0.5, 1.5, 2, 0.25};
  const Tensor weight = tensor(wv, {}, kFloat64);
  expect_values(cross_entropy(logits, target, {weight, 3, Reduction::Mean, 0.3}),
                {naive_smoothed_cross_entropy(logits, t, wv, 3, 0.3)}, {}, 1e-14);
  expect_values(cross_entropy(logits, target, {.label_smoothing = 0.1}),
                {naive_smoothed_cross_entropy(logits, t, {1, 1, 1, 1}, -100, 0.1)}, {}, 1e-14);
  // Without smoothing, cross_entropy is nll_loss of log_softmax.
  EXPECT_TRUE(allclose(cross_entropy(logits, target, {.reduction = Reduction::None}),
                       nll_loss(log_softmax(logits, 1), target, {.reduction = Reduction::None})));
}

TEST(NnOps, CrossEntropyWithClassProbabilities) {
  const Tensor logits = random_tensor({3, 4}, 28);
  const Tensor probs = softmax(random_tensor({3, 4}, 29), 1);
  const std::vector<double> wv{0.5, 1.5, 2, 0.25};
  const auto logp = naive_softmax(logits, 1, true);
  const auto p = probs.to_vector<double>();
  // -Σ_c w_c·((1 - ε)·p_c + ε/C)·logp_c per row; Mean divides by the rows, not the weights.
  std::vector<double> rows(3, 0);
  for (int i = 0; i < 12; ++i) rows[i / 4] -= wv[i % 4] * (0.8 * p[i] + 0.2 / 4) * logp[i];
  const Tensor weight = tensor(wv, {}, kFloat64);
  expect_values(cross_entropy(logits, probs, {weight, -100, Reduction::None, 0.2}), rows, {3},
                1e-14);
  expect_values(cross_entropy(logits, probs, {weight, -100, Reduction::Mean, 0.2}),
                {(rows[0] + rows[1] + rows[2]) / 3}, {}, 1e-14);
}

TEST(NnOps, DropoutStatistics) {
  Generator g(30);
  const Tensor x = ones({200000});
  const Tensor y = dropout(x, 0.3, true, &g);
  const auto v = y.to_vector<double>();
  std::int64_t zeros_seen = 0;
  for (double value : v) {
    if (value == 0) {
      ++zeros_seen;
    } else {
      EXPECT_FLOAT_EQ(value, 1 / 0.7);
    }
  }
  EXPECT_NEAR(static_cast<double>(zeros_seen) / 200000, 0.3, 0.005);
  EXPECT_NEAR(mean(y).item<double>(), 1.0, 0.01);  // inverted dropout keeps the expectation
  // The same seed draws the same mask.
  Generator a(31), b(31);
  EXPECT_TRUE(allclose(dropout(x, 0.5, true, &a), dropout(x, 0.5, true, &b), 0, 0));
  // Identity when not training or p = 0; x·0 for p = 1 (NaN stays NaN, as in PyTorch).
  EXPECT_TRUE(dropout(x, 0.5, false).is_same(x));
  EXPECT_TRUE(dropout(x, 0, true).is_same(x));
  const auto dropped = dropout(tensor({2, kNaN}), 1, true).to_vector<double>();
  EXPECT_EQ(dropped[0], 0);
  EXPECT_TRUE(std::isnan(dropped[1]));
  // The gradient is the mask.
  Tensor leaf = ones({1000}, kFloat64).requires_grad_();
  Generator c(32);
  const Tensor out = dropout(leaf, 0.25, true, &c);
  backward(sum(out));
  EXPECT_TRUE(allclose(leaf.grad(), out, 0, 0));
}

TEST(NnOps, ErrorsNameTheOpAndTheTensors) {
  const Tensor x = zeros({2, 3});
  EXPECT_MG_ERROR(softmax(zeros({2, 3}, kInt64), 1), "softmax", "floating", "int64[2, 3]");
  EXPECT_MG_ERROR(log_softmax(x, 2), "log_softmax", "dimension 2");
  EXPECT_MG_ERROR(native::softmax_backward(zeros({3, 2}), x, 1), "softmax_backward",
                  "float32[3, 2]", "float32[2, 3]");
  EXPECT_MG_ERROR(layer_norm(x, {2}), "layer_norm", "normalized_shape [2]", "float32[2, 3]");
  EXPECT_MG_ERROR(layer_norm(x, {3}, zeros({2})), "layer_norm", "weight", "[3]", "float32[2]");
  EXPECT_MG_ERROR(layer_norm(x, {3}, {}, zeros({3}, kFloat64)), "layer_norm", "bias", "float64[3]");
  EXPECT_MG_ERROR(batch_norm(zeros({3}), {}, {}, {}, {}, true), "batch_norm", "[N, C, *]",
                  "float32[3]");
  EXPECT_MG_ERROR(batch_norm(x, zeros({2}), ones({3}), {}, {}, false), "batch_norm", "running_mean",
                  "[3]", "float32[2]");
  EXPECT_MG_ERROR(batch_norm(zeros({1, 3, 1}), {}, {}, {}, {}, true), "batch_norm",
                  "more than 1 value per channel", "float32[1, 3, 1]");
  EXPECT_MG_ERROR(batch_norm(x, {}, {}, {}, {}, false), "batch_norm", "evaluation mode");
  EXPECT_MG_ERROR(batch_norm(x, zeros({3}), {}, {}, {}, true), "batch_norm", "together");
  EXPECT_MG_ERROR(batch_norm(x, {}, {}, zeros({3}, kFloat64), {}, true), "batch_norm", "weight",
                  "float64[3]");
  const Tensor target = from_vector<std::int64_t>({0, 2}, {2});
  EXPECT_MG_ERROR(nll_loss(x, zeros({2})), "nll_loss", "target", "int64", "float32[2]");
  EXPECT_MG_ERROR(nll_loss(x, from_vector<std::int64_t>({0, 1, 2}, {3})), "nll_loss", "[2]",
                  "int64[3]", "float32[2, 3]");
  EXPECT_MG_ERROR(nll_loss(x, from_vector<std::int64_t>({0, 3}, {2})), "nll_loss", "target 3",
                  "out of bounds", "3 classes");
  EXPECT_MG_ERROR(nll_loss(x, from_vector<std::int64_t>({-1, 0}, {2})), "nll_loss", "target -1");
  EXPECT_MG_ERROR(nll_loss(x, target, {.weight = ones({4})}), "nll_loss", "weight", "[3]",
                  "float32[4]");
  EXPECT_MG_ERROR(nll_loss(x, target, {.weight = ones({3}, kFloat64)}), "nll_loss", "weight",
                  "float64[3]");
  EXPECT_MG_ERROR(cross_entropy(x, zeros({2, 3}, kInt64)), "cross_entropy", "floating",
                  "int64[2, 3]");
  EXPECT_MG_ERROR(cross_entropy(x, zeros({2, 3}), {.ignore_index = 1}), "cross_entropy",
                  "ignore_index");
  EXPECT_MG_ERROR(cross_entropy(x, target, {.label_smoothing = 1.5}), "cross_entropy",
                  "label_smoothing", "1.5");
  EXPECT_MG_ERROR(cross_entropy(x, zeros({2, 3}), {.weight = ones({2})}), "cross_entropy", "weight",
                  "float32[2]");
  EXPECT_MG_ERROR(dropout(x, 1.5, true), "dropout", "1.5");
}

}  // namespace
}  // namespace mg
