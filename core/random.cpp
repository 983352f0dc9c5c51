#include "core/random.h"

#include <limits>
#include <numeric>

#include "core/backend.h"
#include "core/checks.h"
#include "core/creation.h"
#include "core/ops_copy.h"
#include "core/ops_reduction.h"

namespace mg {

namespace {

Generator& pick(Generator* generator, Device device) {
  return generator ? *generator : default_generator(device);
}

// Counters a tensor of `numel` elements needs when each counter serves `per_counter` of them.
std::uint64_t counters(std::int64_t numel, std::int64_t per_counter) {
  return static_cast<std::uint64_t>((numel + per_counter - 1) / per_counter);
}

std::int64_t per_counter_float(DType dtype) {
  return dtype == kFloat64 ? 2 : 4;
}

// Runs `fill` on `tensor` directly when it is contiguous, else on a scratch tensor that is
// then copied in.
template <typename F>
void fill_contiguous(const Tensor& tensor, const F& fill) {
  if (tensor.is_contiguous()) {
    fill(tensor);
  } else {
    Tensor scratch = empty(tensor.shape(), tensor.options());
    fill(scratch);
    native::copy_(tensor, scratch);
  }
  tensor.bump_version();
}

}  // namespace

void uniform_(const Tensor& tensor, double low, double high, Generator* generator) {
  check_defined("uniform_", tensor, "tensor");
  check_floating("uniform_", tensor);
  check_writable("uniform_", tensor);
  MG_CHECK(low <= high, "uniform_: expected low <= high, got ", low, " and ", high);
  const PhiloxState state =
      pick(generator, tensor.device())
          .reserve(counters(tensor.numel(), per_counter_float(tensor.dtype())));
  fill_contiguous(
      tensor, [&](const Tensor& out) { backend_for(out.device()).uniform(out, low, high, state); });
}

void normal_(const Tensor& tensor, double mean, double std, Generator* generator) {
  check_defined("normal_", tensor, "tensor");
  check_floating("normal_", tensor);
  check_writable("normal_", tensor);
  MG_CHECK(std >= 0, "normal_: expected std >= 0, got ", std);
  const PhiloxState state =
      pick(generator, tensor.device())
          .reserve(counters(tensor.numel(), per_counter_float(tensor.dtype())));
  fill_contiguous(
      tensor, [&](const Tensor& out) { backend_for(out.device()).normal(out, mean, std, state); });
}

Tensor rand(const Shape& shape, TensorOptions options, Generator* generator) {
  Tensor out = empty(shape, options.requires_grad(false));
  uniform_(out, 0, 1, generator);
  if (options.requires_grad()) out.requires_grad_(true);
  return out;
}

Tensor randn(const Shape& shape, TensorOptions options, Generator* generator) {
  Tensor out = empty(shape, options.requires_grad(false));
  normal_(out, 0, 1, generator);
  if (options.requires_grad()) out.requires_grad_(true);
  return out;
}

Tensor rand_like(const Tensor& like, Generator* generator) {
  return rand(like.shape(), like.options(), generator);
}

Tensor randn_like(const Tensor& like, Generator* generator) {
  return randn(like.shape(), like.options(), generator);
}

Tensor randint(std::int64_t low, std::int64_t high, const Shape& shape, TensorOptions options,
               Generator* generator) {
  MG_CHECK(low < high, "randint: expected low < high, got ", low, " and ", high);
  [[maybe_unused]] std::int64_t range = 0;
  MG_CHECK(!__builtin_sub_overflow(high, low, &range), "randint: the range [", low, ", ", high,
           ") is wider than int64 can hold");
  MG_CHECK(options.dtype() != kBool, "randint: cannot draw integers into a bool tensor");
  MG_CHECK(options.dtype() != kUInt8 || (low >= 0 && high <= 256), "randint: [", low, ", ", high,
           ") does not fit in uint8");
  Tensor out = empty(shape, options.requires_grad(false));
  const PhiloxState state = pick(generator, out.device()).reserve(counters(out.numel(), 2));
  backend_for(out.device()).randint(out, low, high, state);
  return out;
}

Tensor randperm(std::int64_t n, TensorOptions options, Generator* generator) {
  MG_CHECK(n >= 0, "randperm: expected n >= 0, got ", n);
  // Fisher-Yates on the CPU with one draw per position, then moved to the target device.
  const Tensor draws = randint(0, std::numeric_limits<std::int64_t>::max(), {n}, kInt64,
                               generator ? generator : &default_generator(options.device()));
  const std::int64_t* r = draws.data_ptr<std::int64_t>();
  std::vector<std::int64_t> perm(static_cast<std::size_t>(n));
  std::iota(perm.begin(), perm.end(), 0);
  for (std::int64_t i = n - 1; i > 0; --i) std::swap(perm[i], perm[r[i] % (i + 1)]);
  return native::to(native::to(from_vector(perm, {n}), options.dtype()), options.device());
}

Tensor bernoulli(const Tensor& p, Generator* generator) {
  check_defined("bernoulli", p, "p");
  check_floating("bernoulli", p);
  if (p.numel() > 0) {
    const double low = native::to(native::reduce(ReduceOp::Min, p), Device::cpu()).item<double>();
    const double high = native::to(native::reduce(ReduceOp::Max, p), Device::cpu()).item<double>();
    MG_CHECK(low >= 0 && high <= 1, "bernoulli: expected probabilities in [0, 1], got values in [",
             low, ", ", high, "] in ", describe(p));
  }
  Tensor out = empty(p.shape(), p.options());
  const PhiloxState state = pick(generator, out.device()).reserve(counters(out.numel(), 4));
  backend_for(out.device()).bernoulli(native::contiguous(p), out, state);
  return out;
}

Tensor bernoulli(const Shape& shape, double p, TensorOptions options, Generator* generator) {
  MG_CHECK(p >= 0 && p <= 1, "bernoulli: expected a probability in [0, 1], got ", p);
  const Tensor probability = full(shape, p, options.dtype(kFloat64).requires_grad(false));
  Tensor out = empty(shape, options.requires_grad(false));
  const PhiloxState state = pick(generator, out.device()).reserve(counters(out.numel(), 4));
  backend_for(out.device()).bernoulli(probability, out, state);
  return out;
}

}  // namespace mg
