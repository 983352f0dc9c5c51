#include "core/cpu/winograd.h"

#include <omp.h>

#include <algorithm>
#include <cstdint>
#include <vector>

#include "core/cpu/blas.h"
#include "core/cpu/workspace.h"

// Notation of Lavin & Gray: with d a 4×4 input tile, w a 3×3 kernel and y the 2×2 outputs,
//   y = Aᵀ [(G w Gᵀ) ⊙ (Bᵀ d B)] A,
//   Bᵀ = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1],  G = [1 0 0; ½ ½ ½; ½ -½ ½; 0 0 1],
//   Aᵀ = [1 1 1 0; 0 1 -1 -1].
// Summed over input channels, each of the 16 positions of the transformed tile is a GEMM:
//   M[p][k][tile] = Σ_c U[p][k][c] · V[p][c][tile],  U = G w Gᵀ,  V = Bᵀ d B.
// The weight gradient follows from the same identity: dU[p][k][c] = Σ_tile (A dy Aᵀ)[p][k][tile]
// · V[p][c][tile], then dw = Gᵀ dU G.
namespace mg::cpu {

namespace {

constexpr std::int64_t kPositions = 16;
// Fewer channels per group than this leave the GEMMs too thin to pay for the transforms.
constexpr std::int64_t kMinChannels = 16;
// Each of the 16 transformed weight matrices serves one GEMM column per tile. With too few tiles
// (a small batch of small planes), transforming the weights (and, for the weight gradient, 16
// gradients back), streaming and packing them costs more than the multiplications saved; the
// more so the more channels, as their 16·C_in·C_out values outgrow the caches. So Winograd needs
// more tiles than max(C_in, C_out) / 16, channels counted per group. Measured (float32 forward
// and backward, 1 and 2 threads): break-even between 32 and 36 tiles at 512 channels, between 16
// and 32 at 256, at most 16 at 128 and 64. At 512 channels, batch 1, 7×7 (16 tiles), im2col is
// 1.5× faster and its peak memory 19 MB instead of 36 MB.
constexpr std::int64_t kChannelsPerTile = 16;
// A 1-pixel-wide output fills a quarter (or half) of each 2×2 tile: the padding is multiplied
// too. At 1×1 (ResNet-18's layer4 on 32×32 images, batch 64, 512 channels) im2col took 12 ms
// against Winograd's 20 ms for forward and backward; at 2×2 Winograd still won, 4.3 against 8.8.
constexpr std::int64_t kMinOutputSide = 2;

// Input tiles are gathered through a table up to this many tiles per row, a row at a time
// beyond. Measured on one thread, forward and backward, row at a time → table: [64, 64, 8, 8]
// (4 tiles per row) 12.9 → 8.3 ms, [8, 512, 7, 7] (4) 51.4 → 49.9, [8, 256, 14, 14] (7) 35.4 →
// 35.0, but [8, 128, 28, 28] (14) 40.4 → 42.7 and [8, 64, 56, 56] (28) 40 → 48.
constexpr std::int64_t kMaxTableCols = 8;

// A block's transformed inputs and outputs should stay in cache between the transforms and the
// GEMMs, yet be wide enough for BLAS to run near its peak and to pack each transformed weight
// matrix as rarely as possible.
constexpr std::int64_t kBlockBytes = std::int64_t(16) << 20;
constexpr std::int64_t kMinBlockTiles = 64, kMaxBlockTiles = 1024;

// `n` elements rounded up to an odd number of cache lines. The 16 position planes of a buffer
// are written and read together, and rows of GEMM operands are read together: at power-of-two
// distances they would all fall into the same cache sets and evict each other.
template <typename T>
std::int64_t staggered(std::int64_t n) {
  constexpr std::int64_t line = 64 / sizeof(T);
  std::int64_t lines = (n + line - 1) / line;
  if (lines % 2 == 0) ++lines;
  return lines * line;
}

// Outputs come in tiles of 2×2; a tile row is one sample's row of tiles. Work proceeds in
// blocks of whole tile rows: all threads transform a block, then share its 16 GEMMs (one
// position each, so nothing needs summing across threads), then transform the results back.
struct Tiling {
  std::int64_t rows = 0, cols = 0;  // tiles per sample along height and width
  std::int64_t tile_rows = 0;       // over the whole batch
  std::int64_t rows_per_block = 1;
  std::int64_t block_tiles = 0;  // capacity of a block: the stride between positions
  int threads = 1;
  // Up to kMaxTableCols tiles per row, gather[e·tiles_per_sample + k]: where element e = 4i + j
  // of tile k of a sample (k = tile row · cols + tile column) sits in its input plane, or -1 in
  // the padding. Empty on wider planes.
  std::vector<std::int32_t> gather;
};

Tiling make_tiling(const ConvGeometry& g, std::size_t element_size) {
  Tiling t;
  t.rows = (g.out[1] + 1) / 2;
  t.cols = (g.out[2] + 1) / 2;
  t.tile_rows = g.batch * t.rows;
  const std::int64_t tile_bytes =
      kPositions * (g.in_channels + g.out_channels) * static_cast<std::int64_t>(element_size);
  const std::int64_t target = std::clamp(kBlockBytes / tile_bytes, kMinBlockTiles, kMaxBlockTiles);
  t.rows_per_block =
      std::clamp<std::int64_t>(target / t.cols, 1, std::max<std::int64_t>(t.tile_rows, 1));
  t.block_tiles = t.rows_per_block * t.cols;
  t.threads = g.useful_threads();
  if (t.cols > kMaxTableCols) return t;
  const std::int64_t per_sample = t.rows * t.cols;
  t.gather.resize(kPositions * per_sample);
  for (std::int64_t e = 0; e < kPositions; ++e) {
    for (std::int64_t k = 0; k < per_sample; ++k) {
      const std::int64_t ih = 2 * (k / t.cols) - g.padding[1] + e / 4;
      const std::int64_t iw = 2 * (k % t.cols) - g.padding[2] + e % 4;
      const bool inside = ih >= 0 && ih < g.in[1] && iw >= 0 && iw < g.in[2];
      t.gather[e * per_sample + k] = inside ? static_cast<std::int32_t>(ih * g.in[2] + iw) : -1;
    }
  }
  return t;
}

// U = G w Gᵀ for the kernels of output channel k and each input channel c of its group: `w` is
// k's [channels][3][3] block; position p of channel c goes to u[p·position_stride + c].
// `scratch` holds 9·channels values.
template <typename T>
void transform_weights(const T* w, std::int64_t channels, T* u, std::int64_t position_stride,
                       T* scratch) {
  // Kernel element e of channel c to scratch[e·channels + c], for unit-stride vector loads.
  for (std::int64_t c = 0; c < channels; ++c) {
    for (std::int64_t e = 0; e < 9; ++e) scratch[e * channels + c] = w[9 * c + e];
  }
  const T* k = scratch;
  const std::int64_t n = channels, ps = position_stride;
#pragma omp simd
  for (std::int64_t c = 0; c < channels; ++c) {
    const T w00 = k[c], w01 = k[n + c], w02 = k[2 * n + c], w10 = k[3 * n + c];
    const T w11 = k[4 * n + c], w12 = k[5 * n + c], w20 = k[6 * n + c], w21 = k[7 * n + c];
    const T w22 = k[8 * n + c];
    // G w: four rows from three (rows 0 and 3 are w's first and last).
    const T g10 = (w00 + w10 + w20) / 2, g11 = (w01 + w11 + w21) / 2;
    const T g12 = (w02 + w12 + w22) / 2, g20 = (w00 - w10 + w20) / 2;
    const T g21 = (w01 - w11 + w21) / 2, g22 = (w02 - w12 + w22) / 2;
    // (G w) Gᵀ: four columns from three, row by row.
    T* o = u + c;
    o[0] = w00, o[ps] = (w00 + w01 + w02) / 2, o[2 * ps] = (w00 - w01 + w02) / 2, o[3 * ps] = w02;
    o[4 * ps] = g10, o[5 * ps] = (g10 + g11 + g12) / 2, o[6 * ps] = (g10 - g11 + g12) / 2,
          o[7 * ps] = g12;
    o[8 * ps] = g20, o[9 * ps] = (g20 + g21 + g22) / 2, o[10 * ps] = (g20 - g21 + g22) / 2,
          o[11 * ps] = g22;
    o[12 * ps] = w20, o[13 * ps] = (w20 + w21 + w22) / 2, o[14 * ps] = (w20 - w21 + w22) / 2,
           o[15 * ps] = w22;
  }
}

// dw = Gᵀ dU G for output channel k and each input channel c of its group, laid out as
// transform_weights lays out U and w. `scratch` holds 9·channels values.
template <typename T>
void weights_from_transformed(const T* du, std::int64_t position_stride, std::int64_t channels,
                              T* w, T* scratch) {
  T* k = scratch;
  const std::int64_t n = channels, ps = position_stride;
#pragma omp simd
  for (std::int64_t c = 0; c < channels; ++c) {
    const T* in = du + c;
    // Gᵀ dU: three rows from four, column by column.
    T x[3][4];
    for (int j = 0; j < 4; ++j) {
      const T n0 = in[j * ps], n1 = in[(4 + j) * ps], n2 = in[(8 + j) * ps];
      const T n3 = in[(12 + j) * ps];
      x[0][j] = n0 + (n1 + n2) / 2;
      x[1][j] = (n1 - n2) / 2;
      x[2][j] = (n1 + n2) / 2 + n3;
    }
    // (Gᵀ dU) G: three columns from four.
    for (int i = 0; i < 3; ++i) {
      k[(3 * i) * n + c] = x[i][0] + (x[i][1] + x[i][2]) / 2;
      k[(3 * i + 1) * n + c] = (x[i][1] - x[i][2]) / 2;
      k[(3 * i + 2) * n + c] = (x[i][1] + x[i][2]) / 2 + x[i][3];
    }
  }
  for (std::int64_t c = 0; c < channels; ++c) {
    for (std::int64_t e = 0; e < 9; ++e) w[9 * c + e] = k[e * channels + c];
  }
}

// The tile rows [first, first + rows) of the batch that are transformed and multiplied together.
struct Block {
  std::int64_t first, rows;
};

// Per-thread scratch of the transforms: 16 values per tile of a block and one padded input row,
// or one output channel's kernels.
std::int64_t scratch_size(const ConvGeometry& g, const Tiling& tiling) {
  return std::max(kPositions * tiling.block_tiles + 2 * tiling.cols + 2, 9 * g.group_in_channels());
}

// gather_input_tiles on wide planes, a tile row at a time: each of its 4 input rows is copied to
// a zero-padded row, then read for all the row's tiles at once (vectorized).
template <typename T>
void gather_tile_rows(const ConvGeometry& g, const Tiling& tiling, const T* x, std::int64_t c,
                      const Block& block, T* d, T* padded) {
  const std::int64_t cols = tiling.cols, width = g.in[2], pad = g.padding[2];
  const std::int64_t span = 2 * cols + 2;  // tile t covers input columns 2t - pad .. 2t + 3 - pad
  const std::int64_t lo = std::min(pad, span), hi = std::clamp(width + pad, lo, span);
  for (std::int64_t r = 0; r < block.rows; ++r) {
    const std::int64_t n = (block.first + r) / tiling.rows,
                       tile_row = (block.first + r) % tiling.rows;
    const T* plane = x + (n * g.in_channels + c) * g.in_plane();
    for (std::int64_t i = 0; i < 4; ++i) {
      T* d0 = d + (4 * i) * tiling.block_tiles + r * cols;
      T* d1 = d0 + tiling.block_tiles;
      T* d2 = d1 + tiling.block_tiles;
      T* d3 = d2 + tiling.block_tiles;
      const std::int64_t ih = 2 * tile_row - g.padding[1] + i;
      if (ih < 0 || ih >= g.in[1]) {
        for (T* row : {d0, d1, d2, d3}) std::fill(row, row + cols, T(0));
        continue;
      }
      // padded[q] holds input column q - pad, and zero where that is outside the input.
      const T* row = plane + ih * width;
      std::fill(padded, padded + lo, T(0));
      if (lo < hi) std::copy(row + lo - pad, row + hi - pad, padded + lo);
      std::fill(padded + hi, padded + span, T(0));
      for (std::int64_t t = 0; t < cols; ++t) {
        d0[t] = padded[2 * t];
        d1[t] = padded[2 * t + 1];
        d2[t] = padded[2 * t + 2];
        d3[t] = padded[2 * t + 3];
      }
    }
  }
}

// gather_input_tiles on narrow planes: the tiles of one sample are consecutive in d, so each
// element is one loop over them, through the gather table. A tile row at a time, as on wide
// planes, costs a few memset/memmove calls per input row of 2 to 4 tiles.
template <typename T>
void gather_with_table(const Tiling& tiling, const ConvGeometry& g, const T* x, std::int64_t c,
                       const Block& block, T* d) {
  const std::int64_t per_sample = tiling.rows * tiling.cols;
  for (std::int64_t r = 0; r < block.rows;) {
    const std::int64_t n = (block.first + r) / tiling.rows,
                       tile_row = (block.first + r) % tiling.rows;
    const std::int64_t rows = std::min(tiling.rows - tile_row, block.rows - r);  // of sample n
    const std::int64_t count = rows * tiling.cols;
    const T* plane = x + (n * g.in_channels + c) * g.in_plane();
    for (std::int64_t e = 0; e < kPositions; ++e) {
      const std::int32_t* from = tiling.gather.data() + e * per_sample + tile_row * tiling.cols;
      T* to = d + e * tiling.block_tiles + r * tiling.cols;
      for (std::int64_t k = 0; k < count; ++k) to[k] = from[k] >= 0 ? plane[from[k]] : T(0);
    }
    r += rows;
  }
}

// Gathers the 4×4 input tiles of input channel c in `block`: element (i, j) of tile
// q = r·cols + t (tile t of the block's r-th tile row) goes to d[(4i + j)·block_tiles + q], so
// that the transform below reads each of the 16 with unit stride. `padded` holds 2·cols + 2
// values.
template <typename T>
void gather_input_tiles(const ConvGeometry& g, const Tiling& tiling, const T* x, std::int64_t c,
                        const Block& block, T* d, T* padded) {
  if (tiling.gather.empty()) return gather_tile_rows(g, tiling, x, c, block, d, padded);
  gather_with_table(tiling, g, x, c, block, d);
}

// V = Bᵀ d B for every tile of input channel c in `block`: position p of tile q goes to
// v[p · position_stride + q].
template <typename T>
void transform_input(const ConvGeometry& g, const Tiling& tiling, const T* x, std::int64_t c,
                     const Block& block, T* v, std::int64_t position_stride, T* scratch) {
  T* d = scratch;
  gather_input_tiles(g, tiling, x, c, block, d, scratch + kPositions * tiling.block_tiles);
  const std::int64_t s = tiling.block_tiles, tiles = block.rows * tiling.cols;
#pragma omp simd
  for (std::int64_t q = 0; q < tiles; ++q) {
    const T d00 = d[q], d01 = d[s + q], d02 = d[2 * s + q], d03 = d[3 * s + q];
    const T d10 = d[4 * s + q], d11 = d[5 * s + q], d12 = d[6 * s + q], d13 = d[7 * s + q];
    const T d20 = d[8 * s + q], d21 = d[9 * s + q], d22 = d[10 * s + q], d23 = d[11 * s + q];
    const T d30 = d[12 * s + q], d31 = d[13 * s + q], d32 = d[14 * s + q], d33 = d[15 * s + q];
    // Bᵀ d: combine rows, for each of the 4 columns.
    const T r00 = d00 - d20, r01 = d01 - d21, r02 = d02 - d22, r03 = d03 - d23;
    const T r10 = d10 + d20, r11 = d11 + d21, r12 = d12 + d22, r13 = d13 + d23;
    const T r20 = d20 - d10, r21 = d21 - d11, r22 = d22 - d12, r23 = d23 - d13;
    const T r30 = d10 - d30, r31 = d11 - d31, r32 = d12 - d32, r33 = d13 - d33;
    // (Bᵀ d) B: combine columns, for each row.
    T* o = v + q;
    const std::int64_t ps = position_stride;
    o[0] = r00 - r02, o[ps] = r01 + r02, o[2 * ps] = r02 - r01, o[3 * ps] = r01 - r03;
    o[4 * ps] = r10 - r12, o[5 * ps] = r11 + r12, o[6 * ps] = r12 - r11, o[7 * ps] = r11 - r13;
    o[8 * ps] = r20 - r22, o[9 * ps] = r21 + r22, o[10 * ps] = r22 - r21, o[11 * ps] = r21 - r23;
    o[12 * ps] = r30 - r32, o[13 * ps] = r31 + r32, o[14 * ps] = r32 - r31, o[15 * ps] = r31 - r33;
  }
}

// y = Aᵀ m A + bias for every tile of output channel k in `block`, written to the (up to) two
// output rows each tile row covers. m[p · position_stride + q] is position p of tile q.
template <typename T>
void transform_output(const ConvGeometry& g, const Tiling& tiling, const T* m,
                      std::int64_t position_stride, std::int64_t k, const Block& block, T bias,
                      T* out, T* scratch) {
  const std::int64_t s = tiling.block_tiles, tiles = block.rows * tiling.cols;
  T* y = scratch;  // y[(2a + b)·s + q]: output (a, b) of tile q
#pragma omp simd
  for (std::int64_t q = 0; q < tiles; ++q) {
    const T* in = m + q;
    const std::int64_t ps = position_stride;
    // Aᵀ m: two rows from four.
    const T t00 = in[0] + in[4 * ps] + in[8 * ps], t01 = in[ps] + in[5 * ps] + in[9 * ps];
    const T t02 = in[2 * ps] + in[6 * ps] + in[10 * ps];
    const T t03 = in[3 * ps] + in[7 * ps] + in[11 * ps];
    const T t10 = in[4 * ps] - in[8 * ps] - in[12 * ps];
    const T t11 = in[5 * ps] - in[9 * ps] - in[13 * ps];
    const T t12 = in[6 * ps] - in[10 * ps] - in[14 * ps];
    const T t13 = in[7 * ps] - in[11 * ps] - in[15 * ps];
    // (Aᵀ m) A: two columns from four.
    y[q] = t00 + t01 + t02 + bias;
    y[s + q] = t01 - t02 - t03 + bias;
    y[2 * s + q] = t10 + t11 + t12 + bias;
    y[3 * s + q] = t11 - t12 - t13 + bias;
  }
  const std::int64_t cols = tiling.cols, height = g.out[1], width = g.out[2], pairs = width / 2;
  for (std::int64_t r = 0; r < block.rows; ++r) {
    const std::int64_t n = (block.first + r) / tiling.rows,
                       tile_row = (block.first + r) % tiling.rows;
    T* plane = out + (n * g.out_channels + k) * g.out_plane();
    for (std::int64_t a = 0; a < 2 && 2 * tile_row + a < height; ++a) {
      T* row = plane + (2 * tile_row + a) * width;
      const T* left = y + 2 * a * s + r * cols;
      const T* right = left + s;
      for (std::int64_t t = 0; t < pairs; ++t) {
        row[2 * t] = left[t];
        row[2 * t + 1] = right[t];
      }
      if (width % 2 != 0) row[width - 1] = left[pairs];
    }
  }
}

// A dy Aᵀ for every tile of output channel k's gradient in `block` (outputs past the edge
// count as zero), laid out as transform_input lays out V.
template <typename T>
void transform_grad(const ConvGeometry& g, const Tiling& tiling, const T* grad_out, std::int64_t k,
                    const Block& block, T* dm, std::int64_t position_stride, T* scratch) {
  const std::int64_t s = tiling.block_tiles, tiles = block.rows * tiling.cols;
  const std::int64_t cols = tiling.cols, height = g.out[1], width = g.out[2], pairs = width / 2;
  T* y = scratch;  // y[(2a + b)·s + q]: gradient of output (a, b) of tile q
  for (std::int64_t r = 0; r < block.rows; ++r) {
    const std::int64_t n = (block.first + r) / tiling.rows,
                       tile_row = (block.first + r) % tiling.rows;
    const T* plane = grad_out + (n * g.out_channels + k) * g.out_plane();
    for (std::int64_t a = 0; a < 2; ++a) {
      T* left = y + 2 * a * s + r * cols;
      T* right = left + s;
      if (2 * tile_row + a >= height) {
        std::fill(left, left + cols, T(0));
        std::fill(right, right + cols, T(0));
        continue;
      }
      const T* row = plane + (2 * tile_row + a) * width;
      for (std::int64_t t = 0; t < pairs; ++t) {
        left[t] = row[2 * t];
        right[t] = row[2 * t + 1];
      }
      if (width % 2 != 0) {
        left[pairs] = row[width - 1];
        right[pairs] = T(0);
      }
    }
  }
#pragma omp simd
  for (std::int64_t q = 0; q < tiles; ++q) {
    const T y00 = y[q], y01 = y[s + q], y10 = y[2 * s + q], y11 = y[3 * s + q];
    // A dy: four rows from two.
    const T u00 = y00, u01 = y01, u10 = y00 + y10, u11 = y01 + y11;
    const T u20 = y00 - y10, u21 = y01 - y11, u30 = -y10, u31 = -y11;
    // (A dy) Aᵀ: four columns from two.
    T* o = dm + q;
    const std::int64_t ps = position_stride;
    o[0] = u00, o[ps] = u00 + u01, o[2 * ps] = u00 - u01, o[3 * ps] = -u01;
    o[4 * ps] = u10, o[5 * ps] = u10 + u11, o[6 * ps] = u10 - u11, o[7 * ps] = -u11;
    o[8 * ps] = u20, o[9 * ps] = u20 + u21, o[10 * ps] = u20 - u21, o[11 * ps] = -u21;
    o[12 * ps] = u30, o[13 * ps] = u30 + u31, o[14 * ps] = u30 - u31, o[15 * ps] = -u31;
  }
}

// Where the transformed operands live: U[p][k][c] (weights, or the weight gradient), V[p][c][t]
// (inputs) and M[p][k][t] (outputs, or output gradients) for position p, output channel k,
// input channel c and tile t of the current block.
template <typename T>
struct Layout {
  std::int64_t u_ld, u_position, ld, v_position, m_position;
  Layout(const ConvGeometry& g, const Tiling& tiling)
      : u_ld(staggered<T>(g.group_in_channels())),
        u_position(staggered<T>(g.out_channels * u_ld)),
        ld(staggered<T>(tiling.block_tiles)),
        v_position(staggered<T>(g.in_channels * ld)),
        m_position(staggered<T>(g.out_channels * ld)) {}
};

// Transforms the input tiles of `block` into V, the calling threads sharing the channels.
template <typename T>
void transform_inputs(const ConvGeometry& g, const Tiling& tiling, const Layout<T>& layout,
                      const T* x, const Block& block, T* v, T* scratch) {
#pragma omp for schedule(static) nowait
  for (std::int64_t c = 0; c < g.in_channels; ++c) {
    transform_input(g, tiling, x, c, block, v + c * layout.ld, layout.v_position, scratch);
  }
}

// The tiling, the layout and the buffers one Winograd pass works in: U, V and M shared by the
// threads, plus a scratch buffer per thread.
template <typename T>
struct Work {
  Tiling tiling;
  Layout<T> layout;
  ScratchBuffers<T> buffers;
  explicit Work(const ConvGeometry& g)
      : tiling(make_tiling(g, sizeof(T))),
        layout(g, tiling),
        buffers({kPositions * layout.u_position, kPositions * layout.v_position,
                 kPositions * layout.m_position},
                {scratch_size(g, tiling)}, tiling.threads) {}
  T* u() const { return buffers.shared(0); }
  T* v() const { return buffers.shared(1); }
  T* m() const { return buffers.shared(2); }
  T* scratch() const { return buffers.local(omp_get_thread_num(), 0); }
};

}  // namespace

bool winograd_applies(const ConvGeometry& g) {
  const bool two_d = g.in[0] == 1 && g.kernel[0] == 1 && g.padding[0] == 0;
  const std::int64_t tiles = g.batch * ((g.out[1] + 1) / 2) * ((g.out[2] + 1) / 2);
  const std::int64_t channels = std::max(g.group_in_channels(), g.group_out_channels());
  return two_d && g.out[1] >= kMinOutputSide && g.out[2] >= kMinOutputSide && g.kernel[1] == 3 &&
         g.kernel[2] == 3 && g.stride[1] == 1 && g.stride[2] == 1 && g.dilation[1] == 1 &&
         g.dilation[2] == 1 && g.group_in_channels() >= kMinChannels &&
         g.group_out_channels() >= kMinChannels && tiles * kChannelsPerTile > channels;
}

template <typename T>
void winograd_conv(const ConvGeometry& g, const T* x, const T* weight, const T* bias, T* out) {
  const Work<T> work(g);
  const Tiling& tiling = work.tiling;
  const Layout<T>& layout = work.layout;
  const std::int64_t group_in = g.group_in_channels(), group_out = g.group_out_channels();
  const std::int64_t jobs = kPositions * g.groups;
  T* u = work.u();
  T* v = work.v();
  T* m = work.m();
  const blas::SingleThreaded single;
#pragma omp parallel num_threads(tiling.threads)
  {
    T* scratch = work.scratch();
#pragma omp for schedule(static)
    for (std::int64_t k = 0; k < g.out_channels; ++k) {
      transform_weights(weight + k * group_in * 9, group_in, u + k * layout.u_ld, layout.u_position,
                        scratch);
    }
    for (std::int64_t first = 0; first < tiling.tile_rows; first += tiling.rows_per_block) {
      const Block block{first, std::min(tiling.rows_per_block, tiling.tile_rows - first)};
      const std::int64_t tiles = block.rows * tiling.cols;
      transform_inputs(g, tiling, layout, x, block, v, scratch);
#pragma omp barrier
#pragma omp for schedule(static)
      for (std::int64_t job = 0; job < jobs; ++job) {
        const std::int64_t p = job / g.groups, group = job % g.groups;
        blas::gemm(false, false, group_out, tiles, group_in,
                   u + p * layout.u_position + group * group_out * layout.u_ld, layout.u_ld,
                   v + p * layout.v_position + group * group_in * layout.ld, layout.ld, T(0),
                   m + p * layout.m_position + group * group_out * layout.ld, layout.ld);
      }
#pragma omp for schedule(static)
      for (std::int64_t k = 0; k < g.out_channels; ++k) {
        transform_output(g, tiling, m + k * layout.ld, layout.m_position, k, block,
                         bias != nullptr ? bias[k] : T(0), out, scratch);
      }
    }
  }
}

template <typename T>
void winograd_conv_grad_weight(const ConvGeometry& g, const T* grad_out, const T* x,
                               T* grad_weight) {
  const Work<T> work(g);
  const Tiling& tiling = work.tiling;
  const Layout<T>& layout = work.layout;
  const std::int64_t group_in = g.group_in_channels(), group_out = g.group_out_channels();
  const std::int64_t jobs = kPositions * g.groups;
  T* du = work.u();
  T* v = work.v();
  T* dm = work.m();
  const blas::SingleThreaded single;
#pragma omp parallel num_threads(tiling.threads)
  {
    T* scratch = work.scratch();
    for (std::int64_t first = 0; first < tiling.tile_rows; first += tiling.rows_per_block) {
      const Block block{first, std::min(tiling.rows_per_block, tiling.tile_rows - first)};
      const std::int64_t tiles = block.rows * tiling.cols;
      transform_inputs(g, tiling, layout, x, block, v, scratch);
#pragma omp for schedule(static)
      for (std::int64_t k = 0; k < g.out_channels; ++k) {
        transform_grad(g, tiling, grad_out, k, block, dm + k * layout.ld, layout.m_position,
                       scratch);
      }
#pragma omp for schedule(static)
      for (std::int64_t job = 0; job < jobs; ++job) {
        const std::int64_t p = job / g.groups, group = job % g.groups;
        blas::gemm(false, true, group_out, group_in, tiles,
                   dm + p * layout.m_position + group * group_out * layout.ld, layout.ld,
                   v + p * layout.v_position + group * group_in * layout.ld, layout.ld,
                   first == 0 ? T(0) : T(1),
                   du + p * layout.u_position + group * group_out * layout.u_ld, layout.u_ld);
      }
    }
#pragma omp for schedule(static)
    for (std::int64_t k = 0; k < g.out_channels; ++k) {
      weights_from_transformed(du + k * layout.u_ld, layout.u_position, group_in,
                               grad_weight + k * group_in * 9, scratch);
    }
  }
}

template void winograd_conv<float>(const ConvGeometry&, const float*, const float*, const float*,
                                   float*);
template void winograd_conv<double>(const ConvGeometry&, const double*, const double*,
                                    const double*, double*);
template void winograd_conv_grad_weight<float>(const ConvGeometry&, const float*, const float*,
                                               float*);
template void winograd_conv_grad_weight<double>(const ConvGeometry&, const double*, const double*,
                                                double*);

}  // namespace mg::cpu
