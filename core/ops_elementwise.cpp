#include "core/ops_elementwise.h"

#include <cmath>
#include <limits>

#include "core/checks.h"
#include "core/creation.h"
#include "core/ops_copy.h"
#include "core/ops_view.h"

namespace mg::native {

namespace {

const char* unary_name(UnaryOp op) {
  switch (op) {
    case UnaryOp::Neg:
      return "neg";
    case UnaryOp::Exp:
      return "exp";
    case UnaryOp::Log:
      return "log";
    case UnaryOp::Log1p:
      return "log1p";
    case UnaryOp::Sqrt:
      return "sqrt";
    case UnaryOp::Rsqrt:
      return "rsqrt";
    case UnaryOp::Abs:
      return "abs";
    case UnaryOp::Sign:
      return "sign";
    case UnaryOp::Relu:
      return "relu";
    case UnaryOp::Sigmoid:
      return "sigmoid";
    case UnaryOp::Tanh:
      return "tanh";
    case UnaryOp::GeluErf:
      return "gelu";
    case UnaryOp::GeluTanh:
      return "gelu(tanh)";
    case UnaryOp::LogicalNot:
      return "logical_not";
  }
  return "unary";
}

const char* binary_name(BinaryOp op) {
  switch (op) {
    case BinaryOp::Add:
      return "add";
    case BinaryOp::Sub:
      return "sub";
    case BinaryOp::Mul:
      return "mul";
    case BinaryOp::Div:
      return "div";
    case BinaryOp::Pow:
      return "pow";
    case BinaryOp::Maximum:
      return "maximum";
    case BinaryOp::Minimum:
      return "minimum";
    case BinaryOp::ReluBackward:
      return "relu_backward";
    case BinaryOp::GeluErfBackward:
    case BinaryOp::GeluTanhBackward:
      return "gelu_backward";
    case BinaryOp::Eq:
      return "eq";
    case BinaryOp::Ne:
      return "ne";
    case BinaryOp::Lt:
      return "lt";
    case BinaryOp::Le:
      return "le";
    case BinaryOp::Gt:
      return "gt";
    case BinaryOp::Ge:
      return "ge";
    case BinaryOp::LogicalAnd:
      return "logical_and";
    case BinaryOp::LogicalOr:
      return "logical_or";
  }
  return "binary";
}

bool is_comparison(BinaryOp op) {
  return op >= BinaryOp::Eq && op <= BinaryOp::Ge;
}
bool is_logical(BinaryOp op) {
  return op == BinaryOp::LogicalAnd || op == BinaryOp::LogicalOr;
}

// PyTorch's promotion of two tensors: a 0-d tensor next to a dimensioned one decides the dtype
// only when its kind (bool < integer < floating point) is higher, so that float32 · a float64
// 0-d tensor stays float32.
DType result_type(const Tensor& a, const Tensor& b) {
  if ((a.dim() == 0) == (b.dim() == 0)) return promote_types(a.dtype(), b.dtype());
  const Tensor& dimensioned = a.dim() == 0 ? b : a;
  const Tensor& zero_dim = a.dim() == 0 ? a : b;
  auto kind = [](DType t) { return t == kBool ? 0 : (is_floating(t) ? 2 : 1); };
  return kind(zero_dim.dtype()) > kind(dimensioned.dtype()) ? zero_dim.dtype()
                                                            : dimensioned.dtype();
}

// The dtype both operands are converted to, and the checks that go with it.
DType operand_dtype(BinaryOp op, const Tensor& a, const Tensor& b) {
  const char* name = binary_name(op);
  if (is_logical(op)) {
    MG_CHECK(a.dtype() == kBool && b.dtype() == kBool, name, ": expected bool tensors, got ",
             describe(a), " and ", describe(b));
    return kBool;
  }
  DType dtype = result_type(a, b);
  if (is_comparison(op)) return dtype;
  MG_CHECK(dtype != kBool, name, ": expected numeric tensors, got ", describe(a), " and ",
           describe(b));
  // True division: integers divide into floats.
  if (op == BinaryOp::Div && !is_floating(dtype)) dtype = kFloat32;
  return dtype;
}

// Returns x when its storage is disjoint from `out`'s or laid out identically, else a copy, so
// that an in-place kernel never reads an element it already overwrote.
Tensor without_partial_overlap(const Tensor& x, const Tensor& out) {
  const bool same_layout = x.shape() == out.shape() && x.strides() == out.strides() &&
                           x.storage_offset() == out.storage_offset();
  return x.storage() == out.storage() && !same_layout ? clone(x) : x;
}

// The dtype a scalar operand takes next to `x`, as in PyTorch: a tensor keeps its dtype
// against a scalar of its own kind (or a lower one); a float scalar turns an integer tensor into
// float32 and an integer scalar turns a bool tensor into int64.
DType scalar_dtype(const Tensor& x, double value) {
  if (is_floating(x.dtype())) return x.dtype();
  const bool integral =
      std::isfinite(value) && value == std::floor(value) && std::abs(value) < 0x1p63;
  if (!integral) return kFloat32;
  if (x.dtype() == kBool) return kInt64;
  MG_CHECK(x.dtype() != kUInt8 || (value >= 0 && value <= 255), "the scalar ", value,
           " cannot be converted to uint8 without overflow (tensor ", describe(x), ")");
  return x.dtype();
}

// An integer tensor can only be scaled by an integer alpha (PyTorch's rule).
void check_alpha(const char* name, DType dtype, double alpha) {
  MG_CHECK(is_floating(dtype) || alpha == std::floor(alpha), name, ": alpha ", alpha,
           " is not an integer, as it must be for ", dtype, " operands");
}

}  // namespace

Tensor unary(UnaryOp op, const Tensor& x) {
  const char* name = unary_name(op);
  check_defined(name, x, "input");
  switch (op) {
    case UnaryOp::Neg:
    case UnaryOp::Abs:
    case UnaryOp::Sign:
    case UnaryOp::Relu:
      MG_CHECK(x.dtype() != kBool, name, ": expected a numeric tensor, got ", describe(x));
      break;
    case UnaryOp::LogicalNot:
      check_dtype(name, x, kBool, "input");
      break;
    default:
      check_floating(name, x);
  }
  Tensor out = empty(x.shape(), x.options());
  backend_for(x.device()).unary(op, x, out);
  return out;
}

Tensor binary(BinaryOp op, const Tensor& a, const Tensor& b, double alpha) {
  const char* name = binary_name(op);
  check_defined(name, a, "first operand");
  check_defined(name, b, "second operand");
  check_same_device(name, {&a, &b});
  const DType dtype = operand_dtype(op, a, b);
  const Shape shape = broadcast_shapes(a.shape(), b.shape(), name);
  const DType out_dtype = is_comparison(op) ? kBool : dtype;
  check_alpha(name, dtype, alpha);
  Tensor out = empty(shape, a.options().dtype(out_dtype));
  backend_for(a.device())
      .binary(op, expand(to(a, dtype), shape), expand(to(b, dtype), shape), alpha, out);
  return out;
}

Tensor binary(BinaryOp op, const Tensor& a, double b) {
  check_defined(binary_name(op), a, "first operand");
  return binary(op, a, scalar_tensor(b, a.options().dtype(scalar_dtype(a, b))));
}

void binary_(BinaryOp op, const Tensor& self, const Tensor& other, double alpha) {
  const std::string name = std::string(binary_name(op)) + "_";
  check_defined(name.c_str(), self, "self");
  check_defined(name.c_str(), other, "other");
  check_same_device(name.c_str(), {&self, &other});
  MG_CHECK(!is_comparison(op) && !is_logical(op), name, ": has no in-place form");
  MG_CHECK(self.dtype() != kBool, name, ": expected a numeric tensor, got ", describe(self));
  MG_CHECK(op != BinaryOp::Div || is_floating(self.dtype()), name,
           ": true division cannot write into ", describe(self));
  MG_CHECK(broadcast_shapes(self.shape(), other.shape(), name) == self.shape(), name,
           ": cannot broadcast ", describe(other), " to the in-place result ", describe(self));
  MG_CHECK(is_floating(self.dtype()) || !is_floating(other.dtype()), name, ": the result of ",
           describe(self), " and ", describe(other),
           " is floating point and cannot be written into ", self.dtype());
  check_alpha(name.c_str(), self.dtype(), alpha);
  check_writable(name.c_str(), self);
  const Tensor operand =
      expand(without_partial_overlap(to(other, self.dtype()), self), self.shape());
  backend_for(self.device()).binary(op, self, operand, alpha, self);
  self.bump_version();
}

void binary_(BinaryOp op, const Tensor& self, double other) {
  check_defined(binary_name(op), self, "self");
  binary_(op, self, scalar_tensor(other, self.options().dtype(scalar_dtype(self, other))));
}

Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b) {
  check_defined("where", cond, "condition");
  check_defined("where", a, "first operand");
  check_defined("where", b, "second operand");
  check_same_device("where", {&cond, &a, &b});
  check_dtype("where", cond, kBool, "the condition");
  const DType dtype = result_type(a, b);
  const Shape shape =
      broadcast_shapes(cond.shape(), broadcast_shapes(a.shape(), b.shape(), "where"), "where");
  Tensor out = empty(shape, a.options().dtype(dtype));
  backend_for(a.device())
      .where(expand(cond, shape), expand(to(a, dtype), shape), expand(to(b, dtype), shape), out);
  return out;
}

namespace {
void check_clamp(const char* name, const Tensor& x, std::optional<double> low,
                 std::optional<double> high) {
  check_defined(name, x, "input");
  MG_CHECK(low || high, name, ": at least one of min and max must be given");
  MG_CHECK(x.dtype() != kBool, name, ": expected a numeric tensor, got ", describe(x));
}
constexpr double kInf = std::numeric_limits<double>::infinity();
}  // namespace

Tensor clamp(const Tensor& x, std::optional<double> low, std::optional<double> high) {
  check_clamp("clamp", x, low, high);
  Tensor out = empty(x.shape(), x.options());
  backend_for(x.device()).clamp(x, low.value_or(-kInf), high.value_or(kInf), out);
  return out;
}

void clamp_(const Tensor& x, std::optional<double> low, std::optional<double> high) {
  check_clamp("clamp_", x, low, high);
  check_writable("clamp_", x);
  backend_for(x.device()).clamp(x, low.value_or(-kInf), high.value_or(kInf), x);
  x.bump_version();
}

}  // namespace mg::native

namespace mg {

using native::binary;

Tensor eq(const Tensor& a, const Tensor& b) {
  return binary(BinaryOp::Eq, a, b);
}
Tensor ne(const Tensor& a, const Tensor& b) {
  return binary(BinaryOp::Ne, a, b);
}
Tensor lt(const Tensor& a, const Tensor& b) {
  return binary(BinaryOp::Lt, a, b);
}
Tensor le(const Tensor& a, const Tensor& b) {
  return binary(BinaryOp::Le, a, b);
}
Tensor gt(const Tensor& a, const Tensor& b) {
  return binary(BinaryOp::Gt, a, b);
}
Tensor ge(const Tensor& a, const Tensor& b) {
  return binary(BinaryOp::Ge, a, b);
}
Tensor eq(const Tensor& a, double b) {
  return binary(BinaryOp::Eq, a, b);
}
Tensor ne(const Tensor& a, double b) {
  return binary(BinaryOp::Ne, a, b);
}
Tensor lt(const Tensor& a, double b) {
  return binary(BinaryOp::Lt, a, b);
}
Tensor le(const Tensor& a, double b) {
  return binary(BinaryOp::Le, a, b);
}
Tensor gt(const Tensor& a, double b) {
  return binary(BinaryOp::Gt, a, b);
}
Tensor ge(const Tensor& a, double b) {
  return binary(BinaryOp::Ge, a, b);
}
Tensor logical_and(const Tensor& a, const Tensor& b) {
  return binary(BinaryOp::LogicalAnd, a, b);
}
Tensor logical_or(const Tensor& a, const Tensor& b) {
  return binary(BinaryOp::LogicalOr, a, b);
}
Tensor logical_not(const Tensor& x) {
  return native::unary(UnaryOp::LogicalNot, x);
}

bool allclose(const Tensor& a, const Tensor& b, double rtol, double atol) {
  check_defined("allclose", a, "first operand");
  check_defined("allclose", b, "second operand");
  if (a.shape() != b.shape()) return false;
  const auto va = native::to(native::to(a, Device::cpu()), kFloat64).to_vector<double>();
  const auto vb = native::to(native::to(b, Device::cpu()), kFloat64).to_vector<double>();
  for (std::size_t i = 0; i < va.size(); ++i) {
    if (va[i] == vb[i]) continue;  // also equal infinities
    if (!(std::abs(va[i] - vb[i]) <= atol + rtol * std::abs(vb[i]))) return false;
  }
  return true;
}

}  // namespace mg
