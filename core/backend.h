#pragma once

#include <cstdint>
#include <vector>

#include "core/generator.h"
#include "core/tensor.h"

namespace mg {

enum class UnaryOp {
  Neg,
  Exp,
  Log,
  Log1p,
  Sqrt,
  Rsqrt,
  Abs,
  Sign,
  Relu,
  Sigmoid,
  Tanh,
  GeluErf,
  GeluTanh,
  LogicalNot,
};

enum class BinaryOp {
  Add,
  Sub,
  Mul,
  Div,
  Pow,
  Maximum,
  Minimum,
  // Fused backward rules, (gradient, saved tensor) → gradient, one pass instead of a chain of
  // temporaries: relu's takes the output (the gradient passes where it is not <= 0), gelu's the
  // input.
  ReluBackward,
  GeluErfBackward,
  GeluTanhBackward,  // arithmetic: output has the inputs' dtype
  Eq,
  Ne,
  Lt,
  Le,
  Gt,
  Ge,  // comparisons: output is bool
  LogicalAnd,
  LogicalOr,  // bool inputs and output
};

enum class ReduceOp { Sum, Mean, Max, Min };

// How a loss combines its per-element values: PyTorch's reduction="none" / "mean" / "sum".
enum class Reduction { None, Mean, Sum };

// Convolution over 2 or 3 spatial dims; every list has one entry per spatial dim.
struct ConvParams {
  Shape stride, padding, dilation;
  std::int64_t groups = 1;
};

// Pooling over 2 or 3 spatial dims; every list has one entry per spatial dim.
struct PoolParams {
  Shape kernel, stride, padding;
  bool ceil_mode = false;
  bool count_include_pad = true;  // average pooling: divide by the full window, padding included
};

// The kernels one device provides. Ops (core/ops_*.h) check their arguments, work out output
// shapes and dtypes, allocate outputs on the inputs' device and then call exactly one backend,
// so a kernel may assume valid arguments: same device, the dtypes stated, and outputs of the
// right shape (contiguous unless stated). Operands named "expanded" already have the output's
// shape, with stride 0 along broadcast dims. A kernel writes every element of its outputs
// unless it says it accumulates.
class Backend {
 public:
  virtual ~Backend() = default;

  // Elementwise. `src` is expanded; `out` may be strided; dtypes may differ (converting copy).
  // src and out may be on different devices when one is the CPU: the GPU's backend copies.
  virtual void copy(const Tensor& src, const Tensor& out) = 0;
  virtual void fill(const Tensor& out, double value) = 0;
  // x and out: same shape and dtype; out may be strided.
  virtual void unary(UnaryOp op, const Tensor& x, const Tensor& out) = 0;
  // a and b are expanded and share a dtype; out has it too, or bool for comparisons. Add and Sub
  // compute a ± alpha·b.
  virtual void binary(BinaryOp op, const Tensor& a, const Tensor& b, double alpha,
                      const Tensor& out) = 0;
  // cond (bool), a and b are expanded; a, b and out share a dtype.
  virtual void where(const Tensor& cond, const Tensor& a, const Tensor& b, const Tensor& out) = 0;
  virtual void clamp(const Tensor& x, double low, double high, const Tensor& out) = 0;

  // Reductions. `out` has x's shape with size 1 in every reduced dim; Sum of an integer or bool
  // tensor gives int64.
  virtual void reduce(ReduceOp op, const Tensor& x, const Tensor& out) = 0;
  // Index (int64) of the first maximum (Max) or minimum (Min) along `dim`; out has x's shape
  // with size 1 at `dim`.
  virtual void arg_reduce(ReduceOp op, const Tensor& x, std::int64_t dim, const Tensor& out) = 0;

  // out[..., M, N] = a[..., M, K] · b[..., K, N]. a and b are expanded to out's batch shape and
  // each of their matrices has unit stride along one of its two dims; out is contiguous.
  virtual void matmul(const Tensor& a, const Tensor& b, const Tensor& out) = 0;

  // Random numbers from Philox counters starting at `state`: element i uses the words of
  // counter state.offset + i / per_counter, where per_counter is 4 for float32 uniform and
  // normal and for bernoulli, and 2 for float64 uniform and normal and for randint. out is
  // contiguous.
  virtual void uniform(const Tensor& out, double low, double high, PhiloxState state) = 0;
  virtual void normal(const Tensor& out, double mean, double std, PhiloxState state) = 0;
  // out[i] = 1 with probability p[i]; p is a contiguous floating-point tensor of out's shape.
  virtual void bernoulli(const Tensor& p, const Tensor& out, PhiloxState state) = 0;
  virtual void randint(const Tensor& out, std::int64_t low, std::int64_t high,
                       PhiloxState state) = 0;

  // Indexing; `index` is int64 with every entry already checked to be in range.
  // out = x.index_select(dim, index).
  virtual void index_select(const Tensor& x, std::int64_t dim, const Tensor& index,
                            const Tensor& out) = 0;
  // out.index_select(dim, index) += src (accumulates).
  virtual void index_add(const Tensor& out, std::int64_t dim, const Tensor& index,
                         const Tensor& src) = 0;
  // out[i][j][k] = x[i][index[i][j][k]][k] for dim 1, and likewise for other dims.
  virtual void gather(const Tensor& x, std::int64_t dim, const Tensor& index,
                      const Tensor& out) = 0;
  // out[i][index[i][j][k]][k] += src[i][j][k] for dim 1 (accumulates).
  virtual void scatter_add(const Tensor& out, std::int64_t dim, const Tensor& index,
                           const Tensor& src) = 0;

  // Softmax along `dim` (log-softmax when `log`); x and out contiguous.
  virtual void softmax(const Tensor& x, std::int64_t dim, bool log, const Tensor& out) = 0;
  // grad_x from grad_y and the forward output y; all contiguous.
  virtual void softmax_backward(const Tensor& grad_y, const Tensor& y, std::int64_t dim, bool log,
                                const Tensor& grad_x) = 0;

  // Layer norm over the trailing dims: x is contiguous [rows, cols]; weight and bias are [cols]
  // or undefined; mean and rstd are [rows] float tensors of x's dtype.
  virtual void layer_norm(const Tensor& x, const Tensor& weight, const Tensor& bias, double eps,
                          const Tensor& out, const Tensor& mean, const Tensor& rstd) = 0;
  // Outputs that are undefined are not wanted.
  virtual void layer_norm_backward(const Tensor& grad_out, const Tensor& x, const Tensor& mean,
                                   const Tensor& rstd, const Tensor& weight, const Tensor& grad_x,
                                   const Tensor& grad_weight, const Tensor& grad_bias) = 0;

  // Batch norm over [N, C, *]: x contiguous; weight, bias, running_mean, running_var are [C] or
  // undefined. Training: normalises with the batch statistics, writes them to save_mean and
  // save_invstd, and updates the running statistics in place (unbiased variance, `momentum`).
  // Evaluation: normalises with the running statistics, which it copies to save_mean and
  // save_invstd (1/sqrt(var + eps)).
  virtual void batch_norm(const Tensor& x, const Tensor& weight, const Tensor& bias,
                          const Tensor& running_mean, const Tensor& running_var, bool training,
                          double momentum, double eps, const Tensor& out, const Tensor& save_mean,
                          const Tensor& save_invstd) = 0;
  // `training` says whether save_mean / save_invstd were batch statistics (which then depend on
  // x) or running statistics (constants). Undefined outputs are not wanted.
  virtual void batch_norm_backward(const Tensor& grad_out, const Tensor& x, const Tensor& weight,
                                   const Tensor& save_mean, const Tensor& save_invstd,
                                   bool training, const Tensor& grad_x, const Tensor& grad_weight,
                                   const Tensor& grad_bias) = 0;

  // Negative log-likelihood: input [N, C, S] and target [N, S] (int64; every entry is
  // ignore_index or in [0, C)) contiguous; weight [C] or undefined (all ones). out is [N, S]
  // for Reduction::None (0 at ignored targets), else 0-d; total_weight (0-d) gets the sum of
  // weight[target] over the targets not ignored, which Mean divides by.
  virtual void nll_loss(const Tensor& input, const Tensor& target, const Tensor& weight,
                        Reduction reduction, std::int64_t ignore_index, const Tensor& out,
                        const Tensor& total_weight) = 0;
  // grad_input [N, C, S] (contiguous) = -weight[target]·grad_out at each target that is not
  // ignored (divided by total_weight for Mean), 0 elsewhere; grad_out is [N, S] (contiguous)
  // for Reduction::None, else 0-d.
  virtual void nll_loss_backward(const Tensor& grad_out, const Tensor& target, const Tensor& weight,
                                 Reduction reduction, std::int64_t ignore_index,
                                 const Tensor& total_weight, const Tensor& grad_input) = 0;

  // Convolution: x [N, C_in, *spatial], weight [C_out, C_in / groups, *kernel], bias [C_out] or
  // undefined; x and weight contiguous.
  virtual void conv(const Tensor& x, const Tensor& weight, const Tensor& bias,
                    const ConvParams& params, const Tensor& out) = 0;
  // Undefined outputs are not wanted.
  virtual void conv_backward(const Tensor& grad_out, const Tensor& x, const Tensor& weight,
                             const ConvParams& params, const Tensor& grad_x,
                             const Tensor& grad_weight, const Tensor& grad_bias) = 0;

  // Pooling over x [N, C, *spatial] (contiguous). Max pooling also writes, for every output,
  // the flat index of its maximum within its [*spatial] plane (int64).
  virtual void max_pool(const Tensor& x, const PoolParams& params, const Tensor& out,
                        const Tensor& indices) = 0;
  virtual void max_pool_backward(const Tensor& grad_out, const Tensor& indices,
                                 const Tensor& grad_x) = 0;
  virtual void avg_pool(const Tensor& x, const PoolParams& params, const Tensor& out) = 0;
  virtual void avg_pool_backward(const Tensor& grad_out, const PoolParams& params,
                                 const Tensor& grad_x) = 0;
  // Output cell i covers input [floor(i·in/out), ceil((i+1)·in/out)) along each spatial dim.
  virtual void adaptive_avg_pool(const Tensor& x, const Tensor& out) = 0;
  virtual void adaptive_avg_pool_backward(const Tensor& grad_out, const Tensor& grad_x) = 0;
};

// A tensor's data, or null for an undefined (optional) tensor: how kernels of every backend read
// their optional operands.
template <typename T>
const T* data_or_null(const Tensor& t) {
  return t.defined() ? static_cast<const T*>(t.raw_data()) : nullptr;
}
template <typename T>
T* mutable_data_or_null(const Tensor& t) {
  return t.defined() ? static_cast<T*>(t.raw_data()) : nullptr;
}

// A contiguous tensor seen as [outer, dim, inner] around one of its dims: the layout of ops that
// work along a dim (softmax), where each (outer, inner) pair is one line with stride `inner`.
struct DimLayout {
  std::int64_t outer = 1, dim = 1, inner = 1;
};
inline DimLayout dim_layout(const Tensor& x, std::int64_t dim) {
  DimLayout layout;
  for (std::int64_t d = 0; d < x.dim(); ++d) {
    if (d < dim) layout.outer *= x.size(d);
    if (d > dim) layout.inner *= x.size(d);
  }
  layout.dim = x.dim() == 0 ? 1 : x.size(dim);
  return layout;
}

// The backend that runs ops on `device`; throws mg::Error when the device is unavailable.
Backend& backend_for(Device device);

}  // namespace mg
