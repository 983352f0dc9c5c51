#include "autograd/elementwise.h"

#include "autograd/record.h"
#include "core/creation.h"
#include "core/ops_copy.h"

namespace mg {

using namespace autograd;

namespace {

// Shape and dtype of an input, to bring a broadcast, promoted gradient back to it.
struct InputLike {
  Shape shape;
  DType dtype;
  explicit InputLike(const Tensor& t) : shape(t.shape()), dtype(t.dtype()) {}
  Tensor operator()(const Tensor& grad) const { return mg::to(sum_to(grad, shape), dtype); }
};

// A float mask of `like`'s dtype from a bool condition.
Tensor as_mask(const Tensor& condition, const Tensor& like) {
  return native::to(condition, like.dtype());
}

// Where low <= x <= high (clamp passes the gradient there).
Tensor inside_bounds(const Tensor& x, std::optional<double> low, std::optional<double> high) {
  MG_CHECK(low || high, "clamp: at least one of min and max must be given");
  if (low && high) return logical_and(ge(x, *low), le(x, *high));
  return low ? ge(x, *low) : le(x, *high);
}

}  // namespace

Tensor add(const Tensor& a, const Tensor& b, double alpha) {
  Tensor out = native::binary(BinaryOp::Add, a, b, alpha);
  if (!needs_graph({a, b})) return out;
  return record("AddBackward", out, {a, b},
                [la = InputLike(a), lb = InputLike(b), alpha](const Tensor& g, const Needs& needs) {
                  return Grads{needs[0] ? la(g) : Tensor(),
                               needs[1] ? lb(alpha == 1 ? g : mul(g, alpha)) : Tensor()};
                });
}

Tensor sub(const Tensor& a, const Tensor& b, double alpha) {
  Tensor out = native::binary(BinaryOp::Sub, a, b, alpha);
  if (!needs_graph({a, b})) return out;
  return record(
      "SubBackward", out, {a, b},
      [la = InputLike(a), lb = InputLike(b), alpha](const Tensor& g, const Needs& needs) {
        return Grads{needs[0] ? la(g) : Tensor(), needs[1] ? lb(mul(g, -alpha)) : Tensor()};
      });
}

Tensor mul(const Tensor& a, const Tensor& b) {
  Tensor out = native::binary(BinaryOp::Mul, a, b);
  if (!needs_graph({a, b})) return out;
  // Each side's gradient needs only the other side.
  SavedTensor saved_a(b.requires_grad() ? a : Tensor()), saved_b(a.requires_grad() ? b : Tensor());
  return record("MulBackward", out, {a, b},
                [la = InputLike(a), lb = InputLike(b), saved_a, saved_b](const Tensor& g,
                                                                         const Needs& needs) {
                  return Grads{needs[0] ? la(mul(g, saved_b.get())) : Tensor(),
                               needs[1] ? lb(mul(g, saved_a.get())) : Tensor()};
                });
}

Tensor div(const Tensor& a, const Tensor& b) {
  Tensor out = native::binary(BinaryOp::Div, a, b);
  if (!needs_graph({a, b})) return out;
  return record("DivBackward", out, {a, b},
                [la = InputLike(a), lb = InputLike(b), sb = SavedTensor(b), so = SavedTensor(out)](
                    const Tensor& g, const Needs& needs) {
                  const Tensor& denominator = sb.get();
                  return Grads{needs[0] ? la(div(g, denominator)) : Tensor(),
                               needs[1] ? lb(neg(div(mul(g, so.get()), denominator))) : Tensor()};
                });
}

Tensor pow(const Tensor& base, const Tensor& exponent) {
  Tensor out = native::binary(BinaryOp::Pow, base, exponent);
  if (!needs_graph({base, exponent})) return out;
  return record(
      "PowBackward", out, {base, exponent},
      [lb = InputLike(base), le = InputLike(exponent), sb = SavedTensor(base),
       se = SavedTensor(exponent), so = SavedTensor(out)](const Tensor& g, const Needs& needs) {
        const Tensor& x = sb.get();
        const Tensor& e = se.get();
        Tensor grad_base, grad_exponent;
        if (needs[0]) {
          // x^0 is constant in x (0^-1 would give NaN at x = 0), as in PyTorch.
          grad_base =
              lb(where(eq(e, 0.0), zeros({}, g.options()), mul(g, mul(e, pow(x, sub(e, 1.0))))));
        }
        if (needs[1]) {
          // 0^e has derivative 0 in e for e >= 0 (log 0 would give NaN), as in PyTorch.
          const Tensor zero_base = logical_and(eq(x, 0.0), ge(e, 0.0));
          grad_exponent = le(where(zero_base, zeros_like(g), mul(g, mul(so.get(), log(x)))));
        }
        return Grads{grad_base, grad_exponent};
      });
}

namespace {
// maximum/minimum: `a_wins` is 1 where a was picked, 1/2 on ties, 0 elsewhere.
Tensor pick_backward(const char* name, const Tensor& out, const Tensor& a, const Tensor& b,
                     BinaryOp wins) {
  return record(name, out, {a, b},
                [la = InputLike(a), lb = InputLike(b), sa = SavedTensor(a), sb = SavedTensor(b),
                 wins](const Tensor& g, const Needs& needs) {
                  const Tensor& x = sa.get();
                  const Tensor& y = sb.get();
                  const Tensor a_wins =
                      add(as_mask(native::binary(wins, x, y), g), mul(as_mask(eq(x, y), g), 0.5));
                  return Grads{needs[0] ? la(mul(g, a_wins)) : Tensor(),
                               needs[1] ? lb(mul(g, 1.0 - a_wins)) : Tensor()};
                });
}
}  // namespace

Tensor maximum(const Tensor& a, const Tensor& b) {
  Tensor out = native::binary(BinaryOp::Maximum, a, b);
  if (!needs_graph({a, b})) return out;
  return pick_backward("MaximumBackward", out, a, b, BinaryOp::Gt);
}

Tensor minimum(const Tensor& a, const Tensor& b) {
  Tensor out = native::binary(BinaryOp::Minimum, a, b);
  if (!needs_graph({a, b})) return out;
  return pick_backward("MinimumBackward", out, a, b, BinaryOp::Lt);
}

Tensor add(const Tensor& a, double b) {
  Tensor out = native::binary(BinaryOp::Add, a, b);
  if (!needs_graph({a})) return out;
  return record("AddBackward", out, {a},
                [la = InputLike(a)](const Tensor& g, const Needs&) { return Grads{la(g)}; });
}

Tensor sub(const Tensor& a, double b) {
  Tensor out = native::binary(BinaryOp::Sub, a, b);
  if (!needs_graph({a})) return out;
  return record("SubBackward", out, {a},
                [la = InputLike(a)](const Tensor& g, const Needs&) { return Grads{la(g)}; });
}

Tensor mul(const Tensor& a, double b) {
  Tensor out = native::binary(BinaryOp::Mul, a, b);
  if (!needs_graph({a})) return out;
  return record("MulBackward", out, {a}, [la = InputLike(a), b](const Tensor& g, const Needs&) {
    return Grads{la(mul(g, b))};
  });
}

Tensor div(const Tensor& a, double b) {
  Tensor out = native::binary(BinaryOp::Div, a, b);
  if (!needs_graph({a})) return out;
  return record("DivBackward", out, {a}, [la = InputLike(a), b](const Tensor& g, const Needs&) {
    return Grads{la(div(g, b))};
  });
}

Tensor pow(const Tensor& base, double exponent) {
  Tensor out = native::binary(BinaryOp::Pow, base, exponent);
  if (!needs_graph({base})) return out;
  return record(
      "PowBackward", out, {base},
      [lb = InputLike(base), sb = SavedTensor(base), exponent](const Tensor& g, const Needs&) {
        if (exponent == 0) return Grads{zeros_like(g)};
        return Grads{lb(mul(g, mul(pow(sb.get(), exponent - 1), exponent)))};
      });
}

Tensor neg(const Tensor& x) {
  Tensor out = native::unary(UnaryOp::Neg, x);
  if (!needs_graph({x})) return out;
  return record("NegBackward", out, {x},
                [](const Tensor& g, const Needs&) { return Grads{neg(g)}; });
}

Tensor exp(const Tensor& x) {
  Tensor out = native::unary(UnaryOp::Exp, x);
  if (!needs_graph({x})) return out;
  return record("ExpBackward", out, {x}, [y = SavedTensor(out)](const Tensor& g, const Needs&) {
    return Grads{mul(g, y.get())};
  });
}

Tensor log(const Tensor& x) {
  Tensor out = native::unary(UnaryOp::Log, x);
  if (!needs_graph({x})) return out;
  return record("LogBackward", out, {x}, [sx = SavedTensor(x)](const Tensor& g, const Needs&) {
    return Grads{div(g, sx.get())};
  });
}

Tensor log1p(const Tensor& x) {
  Tensor out = native::unary(UnaryOp::Log1p, x);
  if (!needs_graph({x})) return out;
  return record("Log1pBackward", out, {x}, [sx = SavedTensor(x)](const Tensor& g, const Needs&) {
    return Grads{div(g, add(sx.get(), 1.0))};
  });
}

Tensor sqrt(const Tensor& x) {
  Tensor out = native::unary(UnaryOp::Sqrt, x);
  if (!needs_graph({x})) return out;
  return record("SqrtBackward", out, {x}, [y = SavedTensor(out)](const Tensor& g, const Needs&) {
    return Grads{div(g, mul(y.get(), 2.0))};
  });
}

Tensor rsqrt(const Tensor& x) {
  Tensor out = native::unary(UnaryOp::Rsqrt, x);
  if (!needs_graph({x})) return out;
  // d/dx x^(-1/2) = -1/2 · x^(-3/2) = -1/2 · y³
  return record("RsqrtBackward", out, {x}, [y = SavedTensor(out)](const Tensor& g, const Needs&) {
    return Grads{mul(g, mul(pow(y.get(), 3.0), -0.5))};
  });
}

Tensor square(const Tensor& x) {
  Tensor out = native::binary(BinaryOp::Mul, x, x);
  if (!needs_graph({x})) return out;
  return record("SquareBackward", out, {x}, [sx = SavedTensor(x)](const Tensor& g, const Needs&) {
    return Grads{mul(g, mul(sx.get(), 2.0))};
  });
}

Tensor abs(const Tensor& x) {
  Tensor out = native::unary(UnaryOp::Abs, x);
  if (!needs_graph({x})) return out;
  return record("AbsBackward", out, {x}, [sx = SavedTensor(x)](const Tensor& g, const Needs&) {
    return Grads{mul(g, sign(sx.get()))};
  });
}

Tensor sign(const Tensor& x) {
  Tensor out = native::unary(UnaryOp::Sign, x);
  if (!needs_graph({x})) return out;
  return record("SignBackward", out, {x},
                [](const Tensor& g, const Needs&) { return Grads{zeros_like(g)}; });
}

Tensor relu(const Tensor& x) {
  Tensor out = native::unary(UnaryOp::Relu, x);
  if (!needs_graph({x})) return out;
  return record("ReluBackward", out, {x}, [y = SavedTensor(out)](const Tensor& g, const Needs&) {
    // Where the output is not <= 0 (NaN included, as in PyTorch) the gradient passes.
    return Grads{native::binary(BinaryOp::ReluBackward, g, y.get())};
  });
}

Tensor sigmoid(const Tensor& x) {
  Tensor out = native::unary(UnaryOp::Sigmoid, x);
  if (!needs_graph({x})) return out;
  return record("SigmoidBackward", out, {x}, [y = SavedTensor(out)](const Tensor& g, const Needs&) {
    const Tensor& s = y.get();
    return Grads{mul(g, mul(s, 1.0 - s))};
  });
}

Tensor tanh(const Tensor& x) {
  Tensor out = native::unary(UnaryOp::Tanh, x);
  if (!needs_graph({x})) return out;
  return record("TanhBackward", out, {x}, [y = SavedTensor(out)](const Tensor& g, const Needs&) {
    return Grads{mul(g, 1.0 - square(y.get()))};
  });
}

Tensor gelu(const Tensor& x, GeluApproximate approximate) {
  const bool tanh_form = approximate == GeluApproximate::Tanh;
  Tensor out = native::unary(tanh_form ? UnaryOp::GeluTanh : UnaryOp::GeluErf, x);
  if (!needs_graph({x})) return out;
  return record(
      "GeluBackward", out, {x}, [sx = SavedTensor(x), tanh_form](const Tensor& g, const Needs&) {
        return Grads{native::binary(
            tanh_form ? BinaryOp::GeluTanhBackward : BinaryOp::GeluErfBackward, g, sx.get())};
      });
}

Tensor clamp(const Tensor& x, std::optional<double> low, std::optional<double> high) {
  Tensor out = native::clamp(x, low, high);
  if (!needs_graph({x})) return out;
  return record("ClampBackward", out, {x},
                [sx = SavedTensor(x), low, high](const Tensor& g, const Needs&) {
                  return Grads{mul(g, as_mask(inside_bounds(sx.get(), low, high), g))};
                });
}

Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b) {
  Tensor out = native::where(cond, a, b);
  if (!needs_graph({a, b})) return out;
  return record("WhereBackward", out, {a, b},
                [la = InputLike(a), lb = InputLike(b), sc = SavedTensor(cond)](const Tensor& g,
                                                                               const Needs& needs) {
                  const Tensor zero = zeros({}, g.options());
                  return Grads{needs[0] ? la(where(sc.get(), g, zero)) : Tensor(),
                               needs[1] ? lb(where(sc.get(), zero, g)) : Tensor()};
                });
}

Tensor to(const Tensor& x, DType dtype) {
  Tensor out = native::to(x, dtype);
  if (out.is_same(x) || !needs_graph({x})) return out;
  return record("ToBackward", out, {x}, [from = x.dtype()](const Tensor& g, const Needs&) {
    return Grads{mg::to(g, from)};
  });
}

Tensor to(const Tensor& x, Device device) {
  Tensor out = native::to(x, device);
  if (out.is_same(x) || !needs_graph({x})) return out;
  return record("ToBackward", out, {x}, [from = x.device()](const Tensor& g, const Needs&) {
    return Grads{mg::to(g, from)};
  });
}

Tensor contiguous(const Tensor& x) {
  return x.is_contiguous() ? x : clone(x);
}

Tensor pin_memory(const Tensor& x) {
  MG_CHECK(x.device().is_cpu(), "pin_memory: only CPU tensors can be pinned, got ", describe(x),
           " on ", x.device());
  if (x.is_pinned()) return x;
  Tensor out = empty(x.shape(), x.options().pinned_memory(true));
  native::copy_(out, x);
  if (!needs_graph({x})) return out;
  return record("PinMemoryBackward", out, {x},
                [](const Tensor& g, const Needs&) { return Grads{g}; });
}

Tensor clone(const Tensor& x) {
  Tensor out = native::clone(x);
  if (!needs_graph({x})) return out;
  return record("CloneBackward", out, {x}, [](const Tensor& g, const Needs&) { return Grads{g}; });
}

const Tensor& add_(const Tensor& self, const Tensor& other, double alpha) {
  autograd::check_in_place("add_", self, {other});
  native::binary_(BinaryOp::Add, self, other, alpha);
  autograd::record_in_place(
      "AddBackward_", self, {other},
      [lo = InputLike(other), alpha](const Tensor& g, const Needs& needs) {
        return Grads{g, needs[1] ? lo(alpha == 1 ? g : mul(g, alpha)) : Tensor()};
      });
  return self;
}

const Tensor& add_(const Tensor& self, double other) {
  autograd::check_in_place("add_", self, {});
  native::binary_(BinaryOp::Add, self, other);
  autograd::record_in_place("AddBackward_", self, {},
                            [](const Tensor& g, const Needs&) { return Grads{g}; });
  return self;
}

const Tensor& sub_(const Tensor& self, const Tensor& other, double alpha) {
  return add_(self, other, -alpha);
}
const Tensor& sub_(const Tensor& self, double other) {
  return add_(self, -other);
}

// mul_ and div_ save `other` before they write: if it aliases self, backward then raises (as in
// PyTorch) instead of reading the new values.
const Tensor& mul_(const Tensor& self, const Tensor& other) {
  autograd::check_in_place("mul_", self, {other});
  // The gradient for `other` needs self's value from before the multiplication.
  const bool keep_old = needs_graph({self, other}) && other.requires_grad();
  SavedTensor old_self(keep_old ? native::clone(self) : Tensor());
  SavedTensor saved_other(other);
  native::binary_(BinaryOp::Mul, self, other);
  autograd::record_in_place("MulBackward_", self, {other},
                            [ls = InputLike(self), lo = InputLike(other), saved_other, old_self](
                                const Tensor& g, const Needs& needs) {
                              return Grads{needs[0] ? ls(mul(g, saved_other.get())) : Tensor(),
                                           needs[1] ? lo(mul(g, old_self.get())) : Tensor()};
                            });
  return self;
}

const Tensor& mul_(const Tensor& self, double other) {
  autograd::check_in_place("mul_", self, {});
  native::binary_(BinaryOp::Mul, self, other);
  autograd::record_in_place("MulBackward_", self, {}, [other](const Tensor& g, const Needs&) {
    return Grads{mul(g, other)};
  });
  return self;
}

const Tensor& div_(const Tensor& self, const Tensor& other) {
  autograd::check_in_place("div_", self, {other});
  // d(a/b)/db = -a/b²: the rule needs self's value from before the division.
  const bool keep_old = needs_graph({self, other}) && other.requires_grad();
  SavedTensor old_self(keep_old ? native::clone(self) : Tensor());
  SavedTensor saved_other(other);
  native::binary_(BinaryOp::Div, self, other);
  autograd::record_in_place(
      "DivBackward_", self, {other},
      [ls = InputLike(self), lo = InputLike(other), saved_other, old_self](const Tensor& g,
                                                                           const Needs& needs) {
        const Tensor& b = saved_other.get();
        return Grads{needs[0] ? ls(div(g, b)) : Tensor(),
                     needs[1] ? lo(neg(div(mul(g, old_self.get()), square(b)))) : Tensor()};
      });
  return self;
}

const Tensor& div_(const Tensor& self, double other) {
  autograd::check_in_place("div_", self, {});
  native::binary_(BinaryOp::Div, self, other);
  autograd::record_in_place("DivBackward_", self, {}, [other](const Tensor& g, const Needs&) {
    return Grads{div(g, other)};
  });
  return self;
}

const Tensor& clamp_(const Tensor& self, std::optional<double> low, std::optional<double> high) {
  autograd::check_in_place("clamp_", self, {});
  const Tensor inside = needs_graph({self}) ? inside_bounds(self, low, high) : Tensor();
  native::clamp_(self, low, high);
  autograd::record_in_place("ClampBackward_", self, {}, [inside](const Tensor& g, const Needs&) {
    return Grads{mul(g, as_mask(inside, g))};
  });
  return self;
}

const Tensor& fill_(const Tensor& self, double value) {
  autograd::check_in_place("fill_", self, {});
  native::fill_(self, value);
  // The old value no longer matters: its gradient is zero (a tensor, so hooks upstream run).
  autograd::record_in_place("FillBackward_", self, {},
                            [](const Tensor& g, const Needs&) { return Grads{zeros_like(g)}; });
  return self;
}

const Tensor& zero_(const Tensor& self) {
  return fill_(self, 0);
}

const Tensor& copy_(const Tensor& self, const Tensor& src) {
  autograd::check_in_place("copy_", self, {src});
  native::copy_(self, src);
  autograd::record_in_place("CopyBackward_", self, {src},
                            [ls = InputLike(src)](const Tensor& g, const Needs& needs) {
                              return Grads{Tensor(), needs[1] ? ls(g) : Tensor()};
                            });
  return self;
}

Tensor operator+(const Tensor& a, const Tensor& b) {
  return add(a, b);
}
Tensor operator-(const Tensor& a, const Tensor& b) {
  return sub(a, b);
}
Tensor operator*(const Tensor& a, const Tensor& b) {
  return mul(a, b);
}
Tensor operator/(const Tensor& a, const Tensor& b) {
  return div(a, b);
}
Tensor operator+(const Tensor& a, double b) {
  return add(a, b);
}
Tensor operator-(const Tensor& a, double b) {
  return sub(a, b);
}
Tensor operator*(const Tensor& a, double b) {
  return mul(a, b);
}
Tensor operator/(const Tensor& a, double b) {
  return div(a, b);
}
Tensor operator+(double a, const Tensor& b) {
  return add(b, a);
}
Tensor operator-(double a, const Tensor& b) {
  return add(neg(b), a);
}
Tensor operator*(double a, const Tensor& b) {
  return mul(b, a);
}
Tensor operator/(double a, const Tensor& b) {
  const DType dtype = is_floating(b.dtype()) ? b.dtype() : kFloat32;
  return div(scalar_tensor(a, b.options().dtype(dtype)), b);
}
Tensor operator-(const Tensor& x) {
  return neg(x);
}
Tensor& operator+=(Tensor& self, const Tensor& other) {
  add_(self, other);
  return self;
}
Tensor& operator-=(Tensor& self, const Tensor& other) {
  sub_(self, other);
  return self;
}
Tensor& operator*=(Tensor& self, const Tensor& other) {
  mul_(self, other);
  return self;
}
Tensor& operator/=(Tensor& self, const Tensor& other) {
  div_(self, other);
  return self;
}
Tensor& operator+=(Tensor& self, double other) {
  add_(self, other);
  return self;
}
Tensor& operator-=(Tensor& self, double other) {
  sub_(self, other);
  return self;
}
Tensor& operator*=(Tensor& self, double other) {
  mul_(self, other);
  return self;
}
Tensor& operator/=(Tensor& self, double other) {
  div_(self, other);
  return self;
}

}  // namespace mg
