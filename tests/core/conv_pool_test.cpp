#include <omp.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <thread>

#include "core/allocator.h"
#include "core/ops_conv.h"
#include "test_util.h"

namespace mg {
namespace {

using testing::expect_values;

// ---- naive references: direct loops over every output and kernel offset --------------------

// Index helpers for [N, C, *spatial] tensors with 2 or 3 spatial dims, seen as 3 (depth 1).
struct Dims {
  std::int64_t n, c;
  std::array<std::int64_t, 3> s;
  explicit Dims(const Shape& shape) : n(shape[0]), c(shape[1]), s{1, 1, 1} {
    const std::size_t skip = 5 - shape.size();
    for (std::size_t d = 2; d < shape.size(); ++d) s[skip + d - 2] = shape[d];
  }
  std::int64_t at(std::int64_t i, std::int64_t ch, std::int64_t d, std::int64_t h,
                  std::int64_t w) const {
    return (((i * c + ch) * s[0] + d) * s[1] + h) * s[2] + w;
  }
};

// One entry per spatial dim (of 3), padded in front with `fill` for 2-D.
std::array<std::int64_t, 3> as3(const Shape& values, std::size_t spatial, std::int64_t fill) {
  std::array<std::int64_t, 3> out{fill, fill, fill};
  for (std::size_t d = 0; d < spatial; ++d) {
    out[3 - spatial + d] = values.size() == 1 ? values[0] : values[d];
  }
  return out;
}

struct NaiveConv {
  Shape x_shape, w_shape;
  ConvParams params;
  std::array<std::int64_t, 3> stride, padding, dilation;
  Shape out_shape;

  NaiveConv(const Shape& xs, const Shape& ws, const ConvParams& p)
      : x_shape(xs), w_shape(ws), params(p) {
    const std::size_t spatial = xs.size() - 2;
    stride = as3(p.stride, spatial, 1);
    padding = as3(p.padding, spatial, 0);
    dilation = as3(p.dilation, spatial, 1);
    out_shape = {xs[0], ws[0]};
    for (std::size_t d = 0; d < spatial; ++d) {
      const std::size_t e = 3 - spatial + d;
      out_shape.push_back(
          (xs[2 + d] + 2 * padding[e] - dilation[e] * (ws[2 + d] - 1) - 1) / stride[e] + 1);
    }
  }

  // Calls f(x_index, w_index, out_index) for every product the convolution sums.
  template <typename F>
  void for_each_term(const F& f) const {
    const Dims x(x_shape), w(w_shape), o(out_shape);
    const std::int64_t group_in = w.c, group_out = w.n / params.groups;
    for (std::int64_t i = 0; i < o.n; ++i)
      for (std::int64_t oc = 0; oc < o.c; ++oc)
        for (std::int64_t od = 0; od < o.s[0]; ++od)
          for (std::int64_t oh = 0; oh < o.s[1]; ++oh)
            for (std::int64_t ow = 0; ow < o.s[2]; ++ow)
              for (std::int64_t ci = 0; ci < group_in; ++ci)
                for (std::int64_t kd = 0; kd < w.s[0]; ++kd)
                  for (std::int64_t kh = 0; kh < w.s[1]; ++kh)
                    for (std::int64_t kw = 0; kw < w.s[2]; ++kw) {
                      const std::int64_t id = od * stride[0] - padding[0] + kd * dilation[0];
                      const std::int64_t ih = oh * stride[1] - padding[1] + kh * dilation[1];
                      const std::int64_t iw = ow * stride[2] - padding[2] + kw * dilation[2];
                      if (id < 0 || ih < 0 || iw < 0 || id >= x.s[0] || ih >= x.s[1] ||
                          iw >= x.s[2])
                        continue;
                      const std::int64_t channel = oc / group_out * group_in + ci;
                      f(x.at(i, channel, id, ih, iw), w.at(oc, ci, kd, kh, kw),
                        o.at(i, oc, od, oh, ow));
                    }
  }

  std::vector<double> forward(const std::vector<double>& x, const std::vector<double>& w,
                              const std::vector<double>& bias) const {
    std::vector<double> out(numel(out_shape), 0.0);
    const std::int64_t plane = numel(out_shape) / out_shape[0] / out_shape[1];
    for (std::size_t i = 0; i < out.size() && !bias.empty(); ++i) {
      out[i] = bias[(i / plane) % out_shape[1]];
    }
    for_each_term(
        [&](std::int64_t xi, std::int64_t wi, std::int64_t oi) { out[oi] += x[xi] * w[wi]; });
    return out;
  }
};

struct Case {
  Shape x, w;
  ConvParams params;
  bool bias;
};

// Checks forward and all three gradients of one convolution against the naive loops.
void check_conv(const Case& c, DType dtype, double tol) {
  SCOPED_TRACE(str("x ", c.x, " w ", c.w, " stride ", c.params.stride, " padding ",
                   c.params.padding, " dilation ", c.params.dilation, " groups ", c.params.groups,
                   " ", dtype));
  Generator generator(42);
  const Tensor x = randn(c.x, dtype, &generator);
  const Tensor w = randn(c.w, dtype, &generator);
  const Tensor b = c.bias ? randn({c.w[0]}, dtype, &generator) : Tensor();
  const NaiveConv naive(c.x, c.w, c.params);
  const auto xv = x.to_vector<double>(), wv = w.to_vector<double>();
  const auto bv = c.bias ? b.to_vector<double>() : std::vector<double>{};
  expect_values(native::convolution(x, w, b, c.params), naive.forward(xv, wv, bv), naive.out_shape,
                tol);

  const Tensor gy = randn(naive.out_shape, dtype, &generator);
  const auto gv = gy.to_vector<double>();
  std::vector<double> gx(xv.size(), 0.0), gw(wv.size(), 0.0), gb(c.w[0], 0.0);
  naive.for_each_term([&](std::int64_t xi, std::int64_t wi, std::int64_t oi) {
    gx[xi] += gv[oi] * wv[wi];
    gw[wi] += gv[oi] * xv[xi];
  });
  const std::int64_t plane = gy.numel() / c.x[0] / c.w[0];
  for (std::size_t i = 0; i < gv.size(); ++i) gb[(i / plane) % c.w[0]] += gv[i];
  const auto grads = native::convolution_backward(gy, x, w, c.params, true, true, true);
  expect_values(grads.x, gx, c.x, tol);
  expect_values(grads.weight, gw, c.w, tol);
  expect_values(grads.bias, gb, {c.w[0]}, tol);
  // Only some gradients.
  const auto only_weight = native::convolution_backward(gy, x, w, c.params, false, true, false);
  EXPECT_FALSE(only_weight.x.defined());
  EXPECT_FALSE(only_weight.bias.defined());
  expect_values(only_weight.weight, gw, c.w, tol);
}

TEST(Conv, MatchesDirectLoops2d) {
  const std::vector<Case> cases = {
      // stride, padding and dilation per dim; input gradient through col2im (stride 2)
      {{2, 3, 7, 6}, {4, 3, 3, 2}, {{2, 1}, {1, 0}, {1, 2}, 1}, true},
      // groups; unit stride: input gradient as a transposed convolution
      {{2, 4, 5, 6}, {6, 2, 3, 3}, {{1}, {1}, {1}, 2}, true},
      // one sample: runs on one thread, BLAS threaded
      {{1, 3, 6, 5}, {2, 3, 3, 3}, {{1}, {2}, {2}, 1}, false},
      // padding larger than the dilated kernel: col2im at unit stride
      {{3, 2, 4, 4}, {3, 2, 2, 2}, {{1}, {2}, {1}, 1}, true},
      // 1×1 on a large plane reads x directly; on a small one samples share a GEMM
      {{3, 5, 16, 16}, {3, 5, 1, 1}, {{1}, {0}, {1}, 1}, true},
      {{5, 5, 3, 4}, {3, 5, 1, 1}, {{1}, {0}, {1}, 1}, false},
      // 1×1 with stride: im2col subsamples
      {{2, 3, 5, 5}, {2, 3, 1, 1}, {{2}, {0}, {1}, 1}, false},
      // small planes, several samples per GEMM, groups
      {{7, 6, 3, 3}, {4, 3, 3, 3}, {{1}, {1}, {1}, 2}, true},
  };
  for (const Case& c : cases) check_conv(c, kFloat64, 1e-9);
  for (const Case& c : cases) check_conv(c, kFloat32, 1e-4);
}

TEST(Conv, MatchesDirectLoopsWinograd) {
  // 3×3, unit stride, at least 16 channels per group and more tiles of 2×2 outputs than
  // channels / 16: the Winograd F(2×2, 3×3) path, with odd and even output sizes, paddings 0 to 2,
  // groups, and several blocks of tiles.
  const std::vector<Case> cases = {
      {{2, 16, 12, 13}, {16, 16, 3, 3}, {{1}, {1}, {1}, 1}, true},
      {{4, 16, 11, 14}, {24, 16, 3, 3}, {{1}, {0}, {1}, 1}, false},
      {{3, 20, 9, 9}, {16, 20, 3, 3}, {{1}, {2, 1}, {1}, 1}, true},
      {{4, 32, 8, 10}, {32, 16, 3, 3}, {{1}, {1}, {1}, 2}, true},
  };
  for (const Case& c : cases) check_conv(c, kFloat64, 1e-9);
  for (const Case& c : cases) check_conv(c, kFloat32, 1e-4);
  // More tiles than one block holds: on wide planes (gathered a tile row at a time), and on
  // narrow ones (gathered through a table), where the second block starts inside a sample.
  check_conv({{3, 16, 40, 40}, {16, 16, 3, 3}, {{1}, {1}, {1}, 1}, false}, kFloat64, 1e-9);
  check_conv({{22, 16, 14, 14}, {16, 16, 3, 3}, {{1}, {1}, {1}, 1}, true}, kFloat64, 1e-9);
}

TEST(Conv, MatchesDirectLoopsOnSmallPlanes) {
  // Output planes of at most 64 positions with at least 16 input channels per group: im2col and
  // col2im go through a table of offsets (strides, large padding, dilation, groups, 3-D).
  const std::vector<Case> cases = {
      {{3, 16, 8, 8}, {8, 16, 3, 3}, {{2}, {1}, {1}, 1}, true},
      {{3, 16, 8, 8}, {8, 16, 1, 1}, {{2}, {0}, {1}, 1}, false},
      {{2, 32, 5, 7}, {6, 16, 2, 3}, {{1, 2}, {2, 1}, {2, 1}, 2}, true},
      {{2, 16, 4, 5, 5}, {4, 16, 2, 3, 3}, {{2}, {1}, {1}, 1}, true},
  };
  for (const Case& c : cases) check_conv(c, kFloat64, 1e-9);
  for (const Case& c : cases) check_conv(c, kFloat32, 1e-4);
  // One sample with enough work for two threads: they split the rows of the same plane.
  const int threads = get_num_threads();
  set_num_threads(2);
  check_conv({{1, 192, 16, 16}, {192, 192, 3, 3}, {{2}, {1}, {1}, 1}, false}, kFloat64, 1e-9);
  set_num_threads(threads);
}

TEST(Conv, MatchesDirectLoopsWithDeadTaps) {
  // Maps about as small as the kernel: taps that only meet padding are cropped off, and their
  // weight gradient is zero. What is left of a 3×3 kernel on 1×1 maps is fully connected.
  const std::vector<Case> cases = {
      // 1×1 map, 3×3 kernel, padding 1: only the centre tap is live (ResNet-18's layer4 at 32×32)
      {{3, 5, 1, 1}, {4, 5, 3, 3}, {{1}, {1}, {1}, 1}, true},
      // a 1×1 kernel on 1×1 maps is a fully connected layer
      {{4, 6, 1, 1}, {5, 6, 1, 1}, {{1}, {0}, {1}, 1}, true},
      // 2×2 map, stride 2: the last two taps of each dim
      {{3, 4, 2, 2}, {6, 4, 3, 3}, {{2}, {1}, {1}, 1}, false},
      // cropped in one dim only, groups, dilation
      {{2, 4, 1, 5}, {4, 2, 3, 3}, {{1}, {2, 1}, {2, 1}, 2}, true},
      // taps 1..3 of a 5-wide kernel: padding 1 is left on each side
      {{2, 3, 2, 2}, {2, 3, 5, 3}, {{1}, {2, 1}, {1}, 1}, true},
  };
  for (const Case& c : cases) check_conv(c, kFloat64, 1e-9);
  for (const Case& c : cases) check_conv(c, kFloat32, 1e-4);
  check_conv({{2, 3, 1, 1, 1}, {2, 3, 3, 3, 3}, {{1}, {1}, {1}, 1}, true}, kFloat64, 1e-9);
}

TEST(Conv, WinogradOnlyWithEnoughTiles) {
  // With few tiles of 2×2 outputs for the channels, Winograd's 16 transformed weight matrices
  // cost more than they save: [1, 512, 7, 7] has 16 tiles, 512 / 16 are needed, and would
  // transform 16 MB of weights. The memory a forward call leaves behind (its output and the
  // scratch it grew in its thread's workspace) shows the path it took; a new thread starts with
  // an empty workspace.
  const auto memory_left = [](const Shape& x_shape, const Shape& w_shape) {
    std::int64_t grown = 0;
    std::thread([&] {
      const Tensor x = zeros(x_shape), w = zeros(w_shape);
      const std::int64_t before = cpu_memory_stats().current_bytes;
      const Tensor y = native::convolution(x, w, Tensor(), {{1}, {1}, {1}, 1});
      grown = cpu_memory_stats().current_bytes - before;
    }).join();
    return grown;
  };
  const std::int64_t mib = 1 << 20;
  EXPECT_LT(memory_left({1, 512, 7, 7}, {512, 512, 3, 3}), 2 * mib);  // im2col: 4608 × 49 floats
  EXPECT_LT(memory_left({1, 256, 7, 7}, {256, 256, 3, 3}), 1 * mib);  // 16 tiles, 256 / 16 needed
  EXPECT_GT(memory_left({2, 256, 7, 7}, {256, 256, 3, 3}), 4 * mib);  // Winograd: 16 × 256²
  // An empty batch has no tiles: im2col gives an empty output and a zero weight gradient.
  const Tensor x = zeros({0, 16, 6, 6}), w = ones({16, 16, 3, 3});
  const auto grads = native::convolution_backward(zeros({0, 16, 6, 6}), x, w, {{1}, {1}, {1}, 1},
                                                  true, true, true);
  EXPECT_EQ(native::convolution(x, w, Tensor(), {{1}, {1}, {1}, 1}).shape(), Shape({0, 16, 6, 6}));
  expect_values(grads.weight, std::vector<double>(16 * 16 * 9, 0.0), w.shape());
  expect_values(grads.bias, std::vector<double>(16, 0.0), {16});
}

TEST(Conv, MatchesDirectLoops3d) {
  const std::vector<Case> cases = {
      {{2, 2, 4, 5, 5}, {3, 2, 2, 3, 3}, {{1, 2, 1}, {1, 1, 0}, {2, 1, 1}, 1}, true},
      {{2, 4, 3, 4, 4}, {4, 2, 3, 3, 3}, {{1}, {1}, {1}, 2}, true},
      {{1, 2, 5, 4, 3}, {2, 2, 3, 2, 2}, {{2}, {1}, {1}, 1}, false},
      {{4, 3, 2, 3, 3}, {2, 3, 1, 1, 1}, {{1}, {0}, {1}, 1}, true},
  };
  for (const Case& c : cases) check_conv(c, kFloat64, 1e-9);
}

TEST(Conv, LargePlaneInChunksOfRows) {
  // An im2col matrix of more than 8 MiB is built a few output rows at a time; in 3-D a chunk
  // may end inside a depth slice.
  check_conv({{1, 64, 48, 48}, {2, 64, 3, 3}, {{1}, {1}, {1}, 1}, true}, kFloat64, 1e-9);
  check_conv({{1, 16, 5, 30, 30}, {2, 16, 3, 3, 3}, {{1}, {1}, {1}, 1}, true}, kFloat64, 1e-9);
}

// Large enough to run on two threads: the parallel paths must give what one thread gives (the
// one-thread results are checked against the direct loops above).
TEST(Conv, TwoThreadsMatchOne) {
  const std::vector<Case> cases = {
      {{4, 32, 24, 24}, {32, 32, 3, 3}, {{1}, {1}, {1}, 1}, true},        // Winograd
      {{8, 16, 48, 48}, {32, 16, 3, 3}, {{2}, {1}, {1}, 1}, true},        // im2col, col2im
      {{8, 256, 7, 7}, {256, 256, 1, 1}, {{1}, {0}, {1}, 1}, false},      // samples share GEMMs
      {{2, 16, 8, 16, 16}, {16, 16, 3, 3, 3}, {{1}, {1}, {1}, 1}, true},  // 3-D
  };
  const int threads = get_num_threads();
  for (const Case& c : cases) {
    SCOPED_TRACE(str("x ", c.x, " w ", c.w));
    Generator generator(3);
    const Tensor x = randn(c.x, kFloat64, &generator);
    const Tensor w = randn(c.w, kFloat64, &generator);
    const Tensor b = c.bias ? randn({c.w[0]}, kFloat64, &generator) : Tensor();
    std::vector<std::vector<double>> results[2];
    for (int t : {1, 2}) {
      set_num_threads(t);
      const Tensor y = native::convolution(x, w, b, c.params);
      const auto grads = native::convolution_backward(y, x, w, c.params, true, true, c.bias);
      for (const Tensor& r : {y, grads.x, grads.weight}) {
        results[t - 1].push_back(r.to_vector<double>());
      }
    }
    for (std::size_t r = 0; r < results[0].size(); ++r) {
      ASSERT_EQ(results[0][r].size(), results[1][r].size());
      for (std::size_t i = 0; i < results[0][r].size(); ++i) {
        ASSERT_NEAR(results[0][r][i], results[1][r][i], 1e-9 * (1 + std::abs(results[0][r][i])))
            << "result " << r << " element " << i;
      }
    }
  }
  set_num_threads(threads);
}

// Units (runs of samples) fewer than threads run one after another, the threads sharing each
// GEMM and splitting col2im by input channel: one sample with stride 2, and two samples of
// small planes in one GEMM. The scattered sums must not race and give what one thread gives.
TEST(Conv, Col2imSharedByThreads) {
  const std::vector<Case> cases = {
      {{1, 64, 48, 48}, {64, 64, 3, 3}, {{2}, {1}, {1}, 1}, false},
      {{2, 256, 14, 14}, {256, 256, 3, 3}, {{2}, {1}, {1}, 1}, false},
  };
  const int threads = get_num_threads();
  for (const Case& c : cases) {
    SCOPED_TRACE(str("x ", c.x, " w ", c.w));
    Generator generator(13);
    const Tensor x = randn(c.x, kFloat64, &generator);
    const Tensor w = randn(c.w, kFloat64, &generator);
    std::vector<double> grad_x[2];
    for (const int t : {1, 3}) {
      set_num_threads(t);
      const Tensor gy = ones(native::convolution(x, w, Tensor(), c.params).shape(), kFloat64);
      grad_x[t > 1] = native::convolution_backward(gy, x, w, c.params, true, false, false)
                          .x.to_vector<double>();
    }
    ASSERT_EQ(grad_x[0].size(), grad_x[1].size());
    for (std::size_t i = 0; i < grad_x[0].size(); ++i) {
      ASSERT_NEAR(grad_x[0][i], grad_x[1][i], 1e-9 * (1 + std::abs(grad_x[0][i]))) << i;
    }
  }
  set_num_threads(threads);
}

// A parallel region may get fewer threads than it asks for: under OMP_THREAD_LIMIT or
// OMP_DYNAMIC, or when the system cannot start more. The kernels plan their split with
// omp_get_max_threads() and must still compute every sample with the team they get, and sum
// only the partial results of threads that ran. OMP_THREAD_LIMIT and OMP_DYNAMIC are read once
// at startup, and how far dynamic adjustment shrinks a team is up to the runtime, so the test
// sets max-active-levels to 0 instead: every region then runs on one thread while
// omp_get_max_threads() keeps promising three and omp_in_parallel() stays false. (Calling the op
// from inside a parallel region would not do: the kernels see omp_in_parallel() and plan for one
// thread.) The run on a full team of three just before leaves partial sums of threads 1 and 2 in
// the scratch memory, where a kernel that adds partials of threads that did not run finds them.
TEST(Conv, SmallerTeamThanPlanned) {
  const std::vector<Case> cases = {
      {{6, 16, 64, 64}, {32, 16, 3, 3}, {{2}, {1}, {1}, 1}, true},     // im2col, col2im
      {{12, 256, 7, 7}, {256, 256, 1, 1}, {{1}, {0}, {1}, 1}, false},  // samples share GEMMs
      {{6, 32, 24, 24}, {32, 32, 3, 3}, {{1}, {1}, {1}, 1}, true},     // Winograd
  };
  struct Restore {
    int threads = get_num_threads(), levels = omp_get_max_active_levels();
    ~Restore() {
      omp_set_max_active_levels(levels);
      set_num_threads(threads);
    }
  } restore;
  enum Mode { kOneThread, kFullTeam, kTeamOfOne };
  for (const Case& c : cases) {
    SCOPED_TRACE(str("x ", c.x, " w ", c.w));
    Generator generator(11);
    const Tensor x = randn(c.x, kFloat64, &generator);
    const Tensor w = randn(c.w, kFloat64, &generator);
    const Tensor b = c.bias ? randn({c.w[0]}, kFloat64, &generator) : Tensor();
    std::vector<std::vector<double>> results[3];
    for (const Mode mode : {kOneThread, kFullTeam, kTeamOfOne}) {
      set_num_threads(mode == kOneThread ? 1 : 3);
      omp_set_max_active_levels(mode == kTeamOfOne ? 0 : restore.levels);
      int team = 0;
#pragma omp parallel num_threads(3)
      team = omp_get_num_threads();
      if (mode == kTeamOfOne) {
        ASSERT_EQ(team, 1) << "max-active-levels 0 should give one-thread teams";
        ASSERT_EQ(get_num_threads(), 3);
      }
      const Tensor y = native::convolution(x, w, b, c.params);
      const auto grads = native::convolution_backward(y, x, w, c.params, true, true, c.bias);
      for (const Tensor& r : {y, grads.x, grads.weight}) {
        results[mode].push_back(r.to_vector<double>());
      }
    }
    for (const Mode mode : {kFullTeam, kTeamOfOne}) {
      for (std::size_t r = 0; r < results[0].size(); ++r) {
        ASSERT_EQ(results[0][r].size(), results[mode][r].size());
        for (std::size_t i = 0; i < results[0][r].size(); ++i) {
          ASSERT_NEAR(results[0][r][i], results[mode][r][i],
                      1e-9 * (1 + std::abs(results[0][r][i])))
              << "mode " << mode << " result " << r << " element " << i;
        }
      }
    }
  }
}

TEST(Conv, HandChecked) {
  // 1 channel, 3×3 input, 2×2 kernel of ones: each output sums a 2×2 window, plus the bias.
  const Tensor x = reshape(arange(9, kFloat32), {1, 1, 3, 3});
  const Tensor w = ones({1, 1, 2, 2});
  expect_values(native::convolution(x, w, tensor({0.5}), {{1}, {0}, {1}, 1}),
                {8.5, 12.5, 20.5, 24.5}, {1, 1, 2, 2});
  // Padding 1, stride 2: windows at corners.
  expect_values(native::convolution(x, w, Tensor(), {{2}, {1}, {1}, 1}), {0, 3, 9, 24},
                {1, 1, 2, 2});
}

TEST(Conv, RepeatedCallsDoNotGrowMemory) {
  // The im2col and Winograd buffers are reused from call to call: once the first call has grown
  // them, the loop allocates nothing that outlives an iteration.
  std::int64_t after_first = 0;
  for (int call = 0; call < 10; ++call) {
    {
      Generator generator(call);
      const Tensor x = randn({4, 16, 20, 20}, kFloat32, &generator).requires_grad_();
      const Tensor w = randn({16, 16, 3, 3}, kFloat32, &generator).requires_grad_();
      const Tensor b = randn({16}, kFloat32, &generator).requires_grad_();
      const Tensor w_strided = randn({8, 16, 3, 3}, kFloat32, &generator).requires_grad_();
      const Tensor y = conv2d(x, w, b, {1}, {1});           // Winograd
      const Tensor z = conv2d(y, w_strided, {}, {2}, {1});  // im2col, col2im
      backward(sum(z));
      ASSERT_TRUE(x.grad().defined() && w.grad().defined() && w_strided.grad().defined());
    }
    if (call == 0) after_first = cpu_memory_stats().current_bytes;
  }
  EXPECT_EQ(cpu_memory_stats().current_bytes, after_first);
}

// ---- pooling --------------------------------------------------------------------------------

// PyTorch's pooling, written out directly: for every output the window [start, start + kernel)
// clipped to the padded input (`padded`) and to the input itself (`inside`).
struct NaivePool {
  Shape x_shape, out_shape;
  std::array<std::int64_t, 3> kernel, stride, padding;
  std::array<std::int64_t, 3> out_sizes{1, 1, 1};
  bool ceil_mode, count_include_pad;

  NaivePool(const Shape& xs, const PoolParams& p)
      : x_shape(xs), ceil_mode(p.ceil_mode), count_include_pad(p.count_include_pad) {
    const std::size_t spatial = xs.size() - 2;
    kernel = as3(p.kernel, spatial, 1);
    stride = p.stride.empty() ? kernel : as3(p.stride, spatial, 1);
    padding = as3(p.padding, spatial, 0);
    const Dims x(xs);
    out_shape = {xs[0], xs[1]};
    for (std::size_t e = 3 - spatial; e < 3; ++e) {
      const double span = static_cast<double>(x.s[e] + 2 * padding[e] - kernel[e]) / stride[e];
      std::int64_t out =
          static_cast<std::int64_t>(ceil_mode ? std::ceil(span) : std::floor(span)) + 1;
      if (ceil_mode && (out - 1) * stride[e] >= x.s[e] + padding[e]) --out;
      out_sizes[e] = out;
      out_shape.push_back(out);
    }
  }

  // Calls f(out_index, inside_indices, padded_count) for every output.
  template <typename F>
  void for_each_window(const F& f) const {
    const Dims x(x_shape);
    std::int64_t index = 0;
    for (std::int64_t plane = 0; plane < x.n * x.c; ++plane)
      for (std::int64_t od = 0; od < out_sizes[0]; ++od)
        for (std::int64_t oh = 0; oh < out_sizes[1]; ++oh)
          for (std::int64_t ow = 0; ow < out_sizes[2]; ++ow, ++index) {
            const std::array<std::int64_t, 3> o{od, oh, ow};
            std::vector<std::int64_t> inside;
            std::int64_t padded = 1;
            std::array<std::int64_t, 3> lo{}, hi{};
            for (int e = 0; e < 3; ++e) {
              const std::int64_t start = o[e] * stride[e] - padding[e];
              const std::int64_t stop = std::min(start + kernel[e], x.s[e] + padding[e]);
              padded *= stop - start;
              lo[e] = std::max<std::int64_t>(start, 0);
              hi[e] = std::min(stop, x.s[e]);
            }
            for (std::int64_t d = lo[0]; d < hi[0]; ++d)
              for (std::int64_t h = lo[1]; h < hi[1]; ++h)
                for (std::int64_t w = lo[2]; w < hi[2]; ++w)
                  inside.push_back(plane * x.s[0] * x.s[1] * x.s[2] + (d * x.s[1] + h) * x.s[2] +
                                   w);
            f(index, inside, padded);
          }
  }
};

void check_pool(const Shape& shape, const PoolParams& params) {
  SCOPED_TRACE(str("x ", shape, " kernel ", params.kernel, " stride ", params.stride, " padding ",
                   params.padding, " ceil_mode ", params.ceil_mode, " count_include_pad ",
                   params.count_include_pad));
  Generator generator(7);
  const Tensor x = randn(shape, kFloat64, &generator);
  const auto xv = x.to_vector<double>();
  const NaivePool naive(shape, params);
  const std::int64_t plane = numel(shape) / shape[0] / shape[1];

  std::vector<double> max_values, avg_values;
  std::vector<double> max_indices;
  naive.for_each_window([&](std::int64_t, const std::vector<std::int64_t>& inside,
                            std::int64_t padded) {
    std::int64_t best = inside[0];
    double sum = 0;
    for (std::int64_t i : inside) {
      if (xv[i] > xv[best]) best = i;
      sum += xv[i];
    }
    max_values.push_back(xv[best]);
    max_indices.push_back(static_cast<double>(best % plane));
    avg_values.push_back(sum / static_cast<double>(params.count_include_pad
                                                       ? padded
                                                       : static_cast<std::int64_t>(inside.size())));
  });
  const auto [out, indices] = native::max_pool(x, params);
  expect_values(out, max_values, naive.out_shape, 1e-12);
  expect_values(indices, max_indices, naive.out_shape, 0);
  expect_values(native::avg_pool(x, params), avg_values, naive.out_shape, 1e-12);

  // Backward: the adjoints of the loops above.
  const Tensor gy = randn(naive.out_shape, kFloat64, &generator);
  const auto gv = gy.to_vector<double>();
  std::vector<double> max_grad(xv.size(), 0.0), avg_grad(xv.size(), 0.0);
  naive.for_each_window(
      [&](std::int64_t o, const std::vector<std::int64_t>& inside, std::int64_t padded) {
        const std::int64_t base = inside[0] / plane * plane;
        max_grad[base + static_cast<std::int64_t>(max_indices[o])] += gv[o];
        const double divisor = static_cast<double>(
            params.count_include_pad ? padded : static_cast<std::int64_t>(inside.size()));
        for (std::int64_t i : inside) avg_grad[i] += gv[o] / divisor;
      });
  expect_values(native::max_pool_backward(gy, shape, indices), max_grad, shape, 1e-12);
  expect_values(native::avg_pool_backward(gy, shape, params), avg_grad, shape, 1e-12);
}

TEST(Pool, MatchesDirectLoops) {
  check_pool({2, 3, 7, 6}, {{3}, {2}, {1}, false, true});
  check_pool({2, 3, 7, 6}, {{3}, {2}, {1}, true, true});
  check_pool({2, 3, 7, 6}, {{3}, {2}, {1}, true, false});
  check_pool({1, 2, 8, 9}, {{2, 3}, {}, {0, 1}, false, false});  // stride = kernel
  check_pool({1, 2, 5, 5}, {{2}, {2}, {1}, true, true});         // last window dropped
  check_pool({2, 2, 4, 5, 6}, {{2, 3, 2}, {1, 2, 2}, {1, 1, 0}, false, true});
  check_pool({2, 2, 5, 5, 5}, {{3}, {2}, {1}, true, false});
  // Rows narrower than the kernel: some kernel offsets meet no input at all.
  check_pool({1, 2, 3, 1}, {{3}, {1}, {1}, false, true});
  check_pool({1, 2, 4, 2}, {{3}, {3}, {1}, true, true});
}

TEST(Pool, TwoThreadsMatchOne) {
  Generator generator(5);
  const Tensor x = randn({16, 64, 16, 16}, kFloat64, &generator);
  const PoolParams params{{3}, {2}, {1}, true, false};
  const int threads = get_num_threads();
  std::vector<std::vector<double>> results[2];
  for (int t : {1, 2}) {
    set_num_threads(t);
    const auto [values, indices] = native::max_pool(x, params);
    const Tensor avg = native::avg_pool(x, params);
    const Tensor adaptive = native::adaptive_avg_pool(x, {3, 5});
    for (const Tensor& r : {values, indices, native::max_pool_backward(values, x.shape(), indices),
                            avg, native::avg_pool_backward(avg, x.shape(), params), adaptive,
                            native::adaptive_avg_pool_backward(adaptive, x.shape())}) {
      results[t - 1].push_back(r.to_vector<double>());
    }
  }
  set_num_threads(threads);
  for (std::size_t r = 0; r < results[0].size(); ++r) EXPECT_EQ(results[0][r], results[1][r]);
}

TEST(Pool, HandChecked) {
  const Tensor x = reshape(arange(1, 26, 1, kFloat64), {1, 1, 5, 5});
  // ceil_mode: a third window covers the last row and column alone.
  expect_values(native::avg_pool(x, {{2}, {2}, {0}, true, true}),
                {4, 6, 7.5, 14, 16, 17.5, 21.5, 23.5, 25}, {1, 1, 3, 3});
  const auto [values, indices] = native::max_pool(x, {{2}, {2}, {0}, true, true});
  expect_values(values, {7, 9, 10, 17, 19, 20, 22, 24, 25}, {1, 1, 3, 3});
  expect_values(indices, {6, 8, 9, 16, 18, 19, 21, 23, 24}, {1, 1, 3, 3}, 0);
  // Padding counted in the divisor, or not.
  expect_values(native::avg_pool(x, {{3}, {2}, {1}, true, false}),
                {4, 5.5, 7, 11.5, 13, 14.5, 19, 20.5, 22}, {1, 1, 3, 3});
  expect_values(
      native::avg_pool(x, {{3}, {2}, {1}, true, true}),
      {16.0 / 9, 33.0 / 9, 28.0 / 9, 69.0 / 9, 13, 87.0 / 9, 76.0 / 9, 123.0 / 9, 88.0 / 9},
      {1, 1, 3, 3});
  // A window that would start in the right padding is dropped: 2 wide, kernel 2, stride 3,
  // padding 1 gives one output, not two.
  EXPECT_EQ(native::max_pool(zeros({1, 1, 2, 2}), {{2}, {3}, {1}, true, true}).out.shape(),
            Shape({1, 1, 1, 1}));
  // With count_include_pad, windows reaching past the right padding count only up to it.
  expect_values(native::avg_pool(ones({1, 1, 5, 5}), {{2}, {2}, {1}, true, true}),
                {0.25, 0.5, 0.5, 0.5, 1, 1, 0.5, 1, 1}, {1, 1, 3, 3});
}

TEST(Pool, AdaptiveAverage) {
  const Tensor x = reshape(arange(1, 26, 1, kFloat64), {1, 1, 5, 5});
  // Rows [0, 3) and [2, 5); columns [0, 2), [1, 4), [3, 5).
  expect_values(native::adaptive_avg_pool(x, {2, 3}), {6.5, 8, 9.5, 16.5, 18, 19.5}, {1, 1, 2, 3});
  expect_values(native::adaptive_avg_pool(x, {1}), {13}, {1, 1, 1, 1});
  // Larger output than input: cells repeat input elements.
  expect_values(native::adaptive_avg_pool(reshape(arange(1, 3, 1, kFloat64), {1, 1, 1, 2}), {1, 3}),
                {1, 1.5, 2}, {1, 1, 1, 3});
  // 3-D, and the backward pass spreading each gradient over its cell.
  const Tensor cube = reshape(arange(8, kFloat64), {1, 1, 2, 2, 2});
  expect_values(native::adaptive_avg_pool(cube, {1, 1, 2}), {3, 4}, {1, 1, 1, 1, 2});
  expect_values(
      native::adaptive_avg_pool_backward(tensor({4, 8}, {1, 1, 1, 1, 2}, kFloat64), cube.shape()),
      {1, 2, 1, 2, 1, 2, 1, 2}, cube.shape());
  // Column cells hold 2, 3 and 2 elements, row cells 3 each (row 2 is in both).
  std::vector<double> expected;
  for (double rows : {1, 1, 2, 1, 1}) {
    for (double share : {1.0 / 6, 1.0 / 6 + 1.0 / 9, 1.0 / 9, 1.0 / 9 + 1.0 / 6, 1.0 / 6}) {
      expected.push_back(rows * share);
    }
  }
  expect_values(native::adaptive_avg_pool_backward(ones({1, 1, 2, 3}, kFloat64), x.shape()),
                expected, x.shape());
}

TEST(Pool, MaxPoolNaNAndInfinity) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  const auto [values, indices] =
      native::max_pool(tensor({1, nan, 3, 4, -inf, -inf, -inf, -inf}, {1, 2, 2, 2}, kFloat64),
                       {{2}, {}, {0}, false, true});
  const auto v = values.to_vector<double>();
  EXPECT_TRUE(std::isnan(v[0]));
  EXPECT_EQ(v[1], -inf);
  expect_values(indices, {1, 0}, {1, 2, 1, 1}, 0);
}

// ---- errors ---------------------------------------------------------------------------------

TEST(ConvPoolErrors, Convolution) {
  const Tensor x = zeros({1, 3, 5, 5});
  const Tensor w = zeros({4, 3, 3, 3});
  EXPECT_MG_ERROR(conv2d(x, zeros({4, 2, 3, 3})), "conv2d", "float32[1, 3, 5, 5]", "3 channels",
                  "float32[4, 2, 3, 3]");
  EXPECT_MG_ERROR(conv2d(x, zeros({4, 1, 3, 3}), {}, {1}, {0}, {1}, 2), "conv2d",
                  "input channels (3) are not divisible by groups (2)", "float32[1, 3, 5, 5]");
  EXPECT_MG_ERROR(conv2d(x, zeros({3, 3, 3})), "conv2d", "weight to be 4-d", "float32[3, 3, 3]");
  EXPECT_MG_ERROR(conv2d(zeros({1, 1, 2, 2}), zeros({1, 1, 5, 5}), {}, {1}, {1}), "conv2d",
                  "kernel extent 5", "padded input size 4", "float32[1, 1, 5, 5]");
  EXPECT_MG_ERROR(conv2d(x, w, {}, {1}, {0}, {3}), "conv2d", "kernel extent 7", "dilation 3");
  EXPECT_MG_ERROR(conv2d(x, w, {}, {1, 0}), "conv2d", "stride", "positive", "[1, 0]");
  EXPECT_MG_ERROR(conv2d(x, w, {}, {1}, {-1}), "conv2d", "padding", "non-negative");
  EXPECT_MG_ERROR(conv2d(x, w, {}, {1, 1, 1}), "conv2d", "stride to have 1 or 2 entries",
                  "[1, 1, 1]");
  EXPECT_MG_ERROR(conv2d(x, w, {}, {1}, {0}, {1}, 0), "conv2d", "groups", "positive");
  EXPECT_MG_ERROR(conv2d(x, zeros({4, 3, 3, 3}, kFloat64)), "conv2d", "float32[1, 3, 5, 5]",
                  "float64[4, 3, 3, 3]");
  EXPECT_MG_ERROR(conv2d(x, w, zeros({3})), "conv2d", "bias of shape [4]", "float32[3]");
  EXPECT_MG_ERROR(conv2d(zeros({3, 5, 5}), w), "conv2d", "4-d", "float32[3, 5, 5]");
  EXPECT_MG_ERROR(conv3d(x, w), "conv3d", "5-d", "float32[1, 3, 5, 5]");
  EXPECT_MG_ERROR(conv3d(zeros({1, 2, 3, 3, 3}), zeros({2, 2, 2, 2, 2}), {}, {1, 1}), "conv3d",
                  "stride to have 1 or 3 entries");
  EXPECT_MG_ERROR(conv2d(zeros({1, 3, 5, 5}, kInt64), zeros({4, 3, 3, 3}, kInt64)), "conv2d",
                  "floating-point", "int64[1, 3, 5, 5]");
  EXPECT_MG_ERROR(native::convolution_backward(zeros({1, 4, 2, 2}), x, w, {{1}, {0}, {1}, 1}, true,
                                               true, false),
                  "conv2d_backward", "grad_out of shape [1, 4, 3, 3]", "float32[1, 4, 2, 2]");
}

TEST(ConvPoolErrors, Pooling) {
  const Tensor x = zeros({1, 1, 5, 5});
  EXPECT_MG_ERROR(max_pool2d(x, {3}, {1}, {2}), "max_pool2d", "padding 2",
                  "more than half the kernel size 3", "float32[1, 1, 5, 5]");
  EXPECT_MG_ERROR(avg_pool3d(zeros({1, 1, 2, 2, 2}), {3}), "avg_pool3d", "kernel size 3",
                  "larger than the padded input size 2", "float32[1, 1, 2, 2, 2]");
  EXPECT_MG_ERROR(avg_pool2d(x, {2}, {0}), "avg_pool2d", "stride", "positive");
  EXPECT_MG_ERROR(max_pool2d(x, {0}), "max_pool2d", "kernel", "positive");
  EXPECT_MG_ERROR(max_pool2d(x, {2, 2, 2}), "max_pool2d", "kernel to have 1 or 2 entries",
                  "[2, 2, 2]");
  EXPECT_MG_ERROR(max_pool3d(x, {2}), "max_pool3d", "5-d", "float32[1, 1, 5, 5]");
  EXPECT_MG_ERROR(adaptive_avg_pool2d(x, {0}), "adaptive_avg_pool2d", "output_size", "positive");
  EXPECT_MG_ERROR(adaptive_avg_pool2d(x, {1, 2, 3}), "adaptive_avg_pool2d",
                  "output_size to have 1 or 2 entries");
  EXPECT_MG_ERROR(avg_pool2d(zeros({1, 1, 4, 4}, kInt64), {2}), "avg_pool2d", "floating-point",
                  "int64[1, 1, 4, 4]");
  EXPECT_MG_ERROR(
      native::avg_pool_backward(zeros({1, 1, 3, 3}), {1, 1, 5, 5}, {{2}, {}, {0}, false, true}),
      "avg_pool2d_backward", "float32[1, 1, 3, 3]", "[1, 1, 2, 2]");
}

TEST(ConvPoolErrors, MaxPoolBackwardIndices) {
  // The kernel writes where the indices point: indices that cannot come from max_pool of an
  // input of that shape (other batch, channels or rank, or entries outside the plane) would
  // write outside grad_x.
  const Shape shape{1, 2, 4, 4};
  const auto [out, indices] = native::max_pool(zeros(shape), {{2}, {}, {0}, false, true});
  EXPECT_MG_ERROR(
      native::max_pool_backward(zeros({3, 2, 2, 2}), shape, zeros({3, 2, 2, 2}, kInt64)),
      "max_pool2d_backward", "int64[3, 2, 2, 2]", "[1, 2, 4, 4]");
  EXPECT_MG_ERROR(
      native::max_pool_backward(zeros({1, 5, 2, 2}), shape, zeros({1, 5, 2, 2}, kInt64)),
      "max_pool2d_backward", "int64[1, 5, 2, 2]", "[1, 2, 4, 4]");
  EXPECT_MG_ERROR(native::max_pool_backward(out, {1, 2, 4, 4, 4}, indices), "max_pool3d_backward",
                  "int64[1, 2, 2, 2]", "[1, 2, 4, 4, 4]");
  for (const std::int64_t bad : {std::int64_t(16), std::int64_t(-1), std::int64_t(1) << 40}) {
    std::vector<double> values(8, 5.0);
    values[6] = static_cast<double>(bad);
    EXPECT_MG_ERROR(native::max_pool_backward(out, shape, tensor(values, {1, 2, 2, 2}, kInt64)),
                    "max_pool2d_backward", str("index ", bad, " at flat position 6"),
                    "int64[1, 2, 2, 2]", "input plane of 16 elements", "[1, 2, 4, 4]");
  }
  // An empty plane has no valid index, and would leave no room for even an empty gradient's.
  EXPECT_MG_ERROR(
      native::max_pool_backward(zeros({1, 1, 0, 2}), {1, 1, 0, 4}, zeros({1, 1, 0, 2}, kInt64)),
      "max_pool2d_backward", "non-empty input plane", "[1, 1, 0, 4]");
  // What max_pool returns is accepted, for an empty batch too.
  expect_values(native::max_pool_backward(ones({1, 2, 2, 2}), shape, indices),
                {1, 0, 1, 0, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0,
                 1, 0, 1, 0, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0},
                shape);
  const auto empty_batch = native::max_pool(zeros({0, 2, 4, 4}), {{2}, {}, {0}, false, true});
  EXPECT_EQ(native::max_pool_backward(empty_batch.out, {0, 2, 4, 4}, empty_batch.indices).shape(),
            Shape({0, 2, 4, 4}));
}

TEST(ConvPoolErrors, EmptyPlane) {
  // With padding the kernel fits around an empty dim, but its windows hold no element (PyTorch
  // rejects such inputs).
  const PoolParams params{{2}, {}, {1}, false, true};
  const Tensor x = zeros({1, 1, 0, 4});
  EXPECT_MG_ERROR(native::max_pool(x, params), "max_pool2d", "non-empty input plane",
                  "float32[1, 1, 0, 4]");
  EXPECT_MG_ERROR(native::avg_pool(x, params), "avg_pool2d", "non-empty input plane",
                  "float32[1, 1, 0, 4]");
  EXPECT_MG_ERROR(native::avg_pool(zeros({1, 1, 3, 3, 0}), params), "avg_pool3d",
                  "non-empty input plane", "float32[1, 1, 3, 3, 0]");
  EXPECT_MG_ERROR(native::avg_pool_backward(zeros({1, 1, 1, 3}), {1, 1, 0, 4}, params),
                  "avg_pool2d", "non-empty input plane", "[1, 1, 0, 4]");
  EXPECT_MG_ERROR(adaptive_avg_pool2d(x, {2}), "adaptive_avg_pool2d", "non-empty input plane",
                  "float32[1, 1, 0, 4]");
  EXPECT_MG_ERROR(native::adaptive_avg_pool_backward(zeros({1, 1, 2, 2}), {1, 1, 0, 4}),
                  "adaptive_avg_pool2d_backward", "non-empty input plane", "[1, 1, 0, 4]");
}
}  // namespace
}  // namespace mg
