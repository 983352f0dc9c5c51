#include "autograd/nn_functional.h"

#include "autograd/elementwise.h"
#include "autograd/record.h"
#include "core/checks.h"
#include "core/ops_elementwise.h"
#include "core/ops_nn.h"
#include "core/random.h"

namespace mg {

using namespace autograd;

Tensor softmax(const Tensor& x, std::int64_t dim) {
  Tensor out = native::softmax(x, dim);
  if (!needs_graph({x})) return out;
  return record("SoftmaxBackward", out, {x},
                [y = SavedTensor(out), dim](const Tensor& g, const Needs&) {
                  return Grads{native::softmax_backward(g, y.get(), dim)};
                });
}

Tensor log_softmax(const Tensor& x, std::int64_t dim) {
  Tensor out = native::log_softmax(x, dim);
  if (!needs_graph({x})) return out;
  return record("LogSoftmaxBackward", out, {x},
                [y = SavedTensor(out), dim](const Tensor& g, const Needs&) {
                  return Grads{native::log_softmax_backward(g, y.get(), dim)};
                });
}

Tensor layer_norm(const Tensor& x, const Shape& normalized_shape, const Tensor& weight,
                  const Tensor& bias, double eps) {
  native::LayerNormResult result = native::layer_norm(x, normalized_shape, weight, bias, eps);
  if (!needs_graph({x, weight, bias})) return result.out;
  return record("LayerNormBackward", result.out, {x, weight, bias},
                [sx = SavedTensor(x), sw = SavedTensor(weight), mean = result.mean,
                 rstd = result.rstd, normalized_shape](const Tensor& g, const Needs& needs) {
                  native::LayerNormGrads grads = native::layer_norm_backward(
                      g, sx.get(), normalized_shape, {Tensor(), mean, rstd}, sw.get(), needs[0],
                      needs[1], needs[2]);
                  return Grads{grads.x, grads.weight, grads.bias};
                });
}

Tensor batch_norm(const Tensor& x, const Tensor& running_mean, const Tensor& running_var,
                  const Tensor& weight, const Tensor& bias, bool training, double momentum,
                  double eps) {
  native::BatchNormResult result =
      native::batch_norm(x, weight, bias, running_mean, running_var, training, momentum, eps);
  if (!needs_graph({x, weight, bias})) return result.out;
  return record("BatchNormBackward", result.out, {x, weight, bias},
                [sx = SavedTensor(x), sw = SavedTensor(weight), mean = result.save_mean,
                 invstd = result.save_invstd, training](const Tensor& g, const Needs& needs) {
                  native::BatchNormGrads grads =
                      native::batch_norm_backward(g, sx.get(), sw.get(), {Tensor(), mean, invstd},
                                                  training, needs[0], needs[1], needs[2]);
                  return Grads{grads.x, grads.weight, grads.bias};
                });
}

Tensor dropout(const Tensor& x, double p, bool training, Generator* generator) {
  check_defined("dropout", x, "input");
  MG_CHECK(p >= 0 && p <= 1, "dropout: expected a probability p in [0, 1], got ", p);
  if (!training || p == 0) return x;
  check_floating("dropout", x);
  if (p == 1) return mul(x, 0.0);
  Tensor mask = bernoulli(x.shape(), 1 - p, x.options(), generator);
  native::binary_(BinaryOp::Mul, mask, 1 / (1 - p));
  return mul(x, mask);
}

}  // namespace mg
