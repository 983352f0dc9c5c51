// Times maskgrad's core ops against PyTorch doing the same work with the same thread count, in
// the same run, and prints one table: op, ours ms, PyTorch ms, ratio, peak RSS of each.
// Every row runs in a forked child (here and in tools/bench_ops_torch.py). --device cuda runs the
// rows on a GPU, each run timed to the end of its GPU work.
#include <functional>
#include <string>
#include <vector>

#include "autograd/ops.h"
#include "core/autograd_meta.h"
#include "experiments/bench_harness.h"

namespace {

using mg::Tensor;
using mg::bench::Step;

void clear_grads(std::initializer_list<Tensor> tensors) {
  for (const Tensor& t : tensors) {
    if (t.autograd_meta()) t.autograd_meta()->grad = Tensor();
  }
}

Tensor device_randn(const mg::Shape& shape) {
  return mg::bench::on_device(mg::randn(shape));
}

Tensor parameter(const mg::Shape& shape) {
  Tensor t = device_randn(shape);
  t.requires_grad_(true);
  return t;
}

Step gemm(std::int64_t m, std::int64_t n, std::int64_t k) {
  Tensor a = device_randn({m, k}), b = device_randn({k, n});
  return [a, b] { mg::matmul(a, b); };
}

Step conv(std::int64_t n, std::int64_t c_in, std::int64_t c_out, std::int64_t h, std::int64_t w,
          std::int64_t kernel, std::int64_t stride, std::int64_t padding) {
  Tensor x = parameter({n, c_in, h, w}), weight = parameter({c_out, c_in, kernel, kernel});
  const std::int64_t h_out = (h + 2 * padding - kernel) / stride + 1;
  const std::int64_t w_out = (w + 2 * padding - kernel) / stride + 1;
  Tensor grad = device_randn({n, c_out, h_out, w_out});
  return [=] {
    clear_grads({x, weight});
    mg::backward(mg::conv2d(x, weight, {}, {stride}, {padding}), grad);
  };
}

Step softmax_cross_entropy(std::int64_t n, std::int64_t c) {
  Tensor logits = parameter({n, c});
  Tensor target = mg::bench::on_device(mg::randint(0, c, {n}));
  return [=] {
    clear_grads({logits});
    mg::backward(mg::cross_entropy(logits, target));
  };
}

Step layer_norm(const mg::Shape& shape) {
  Tensor x = parameter(shape), weight = parameter({shape.back()}), bias = parameter({shape.back()});
  Tensor grad = device_randn(shape);
  return [=] {
    clear_grads({x, weight, bias});
    mg::backward(mg::layer_norm(x, {shape.back()}, weight, bias), grad);
  };
}

Step batch_norm(const mg::Shape& shape) {
  Tensor x = parameter(shape), weight = parameter({shape[1]}), bias = parameter({shape[1]});
  Tensor running_mean = mg::bench::on_device(mg::zeros({shape[1]})),
         running_var = mg::bench::on_device(mg::ones({shape[1]}));
  Tensor grad = device_randn(shape);
  return [=] {
    clear_grads({x, weight, bias});
    mg::backward(mg::batch_norm(x, running_mean, running_var, weight, bias, true), grad);
  };
}

Step relu(const mg::Shape& shape) {
  Tensor x = parameter(shape), grad = device_randn(shape);
  return [=] {
    clear_grads({x});
    mg::backward(mg::relu(x), grad);
  };
}

Step max_pool(const mg::Shape& shape) {
  Tensor x = parameter(shape);
  Tensor grad = device_randn(mg::max_pool2d(x.detach(), {3}, {2}, {1}).shape());
  return [=] {
    clear_grads({x});
    mg::backward(mg::max_pool2d(x, {3}, {2}, {1}), grad);
  };
}

Step residual_add(const mg::Shape& shape) {
  Tensor a = parameter(shape), b = parameter(shape), grad = device_randn(shape);
  return [=] {
    clear_grads({a, b});
    mg::backward(mg::add(a, b), grad);
  };
}

// Keep in step with ROWS in tools/bench_ops_torch.py.
const mg::bench::Rows& rows() {
  static const mg::bench::Rows all = {
      {"gemm 1024x1024x1024", [] { return gemm(1024, 1024, 1024); }},
      {"gemm 4096x512x512", [] { return gemm(4096, 512, 512); }},
      {"conv2d fwd+bwd stage1 8x64x56x56", [] { return conv(8, 64, 64, 56, 56, 3, 1, 1); }},
      {"conv2d fwd+bwd stage2 8x128x28x28", [] { return conv(8, 128, 128, 28, 28, 3, 1, 1); }},
      {"conv2d fwd+bwd stage3 8x256x14x14", [] { return conv(8, 256, 256, 14, 14, 3, 1, 1); }},
      {"conv2d fwd+bwd stage4 8x512x7x7", [] { return conv(8, 512, 512, 7, 7, 3, 1, 1); }},
      {"conv2d fwd+bwd stem 8x1x257x188", [] { return conv(8, 1, 64, 257, 188, 7, 2, 3); }},
      {"conv2d fwd+bwd cifar stem 64x3x32x32", [] { return conv(64, 3, 64, 32, 32, 7, 2, 3); }},
      {"conv2d fwd+bwd cifar l1 64x64x8x8", [] { return conv(64, 64, 64, 8, 8, 3, 1, 1); }},
      {"conv2d fwd+bwd cifar l2 s2 64x64x8x8", [] { return conv(64, 64, 128, 8, 8, 3, 2, 1); }},
      {"conv2d fwd+bwd cifar l2 ds1x1 64x64x8x8", [] { return conv(64, 64, 128, 8, 8, 1, 2, 0); }},
      {"conv2d fwd+bwd cifar l2 64x128x4x4", [] { return conv(64, 128, 128, 4, 4, 3, 1, 1); }},
      {"conv2d fwd+bwd cifar l3 s2 64x128x4x4", [] { return conv(64, 128, 256, 4, 4, 3, 2, 1); }},
      {"conv2d fwd+bwd cifar l3 64x256x2x2", [] { return conv(64, 256, 256, 2, 2, 3, 1, 1); }},
      {"conv2d fwd+bwd cifar l4 s2 64x256x2x2", [] { return conv(64, 256, 512, 2, 2, 3, 2, 1); }},
      {"conv2d fwd+bwd cifar l4 64x512x1x1", [] { return conv(64, 512, 512, 1, 1, 3, 1, 1); }},
      {"max_pool2d 3x3s2 fwd+bwd 64x64x16x16",
       [] {
         return max_pool({64, 64, 16, 16});
       }},
      {"softmax+cross_entropy fwd+bwd 64x1000", [] { return softmax_cross_entropy(64, 1000); }},
      {"layer_norm fwd+bwd 16x64x256",
       [] {
         return layer_norm({16, 64, 256});
       }},
      {"batch_norm fwd+bwd 8x64x112x112",
       [] {
         return batch_norm({8, 64, 112, 112});
       }},
      {"relu fwd+bwd 8x64x112x112",
       [] {
         return relu({8, 64, 112, 112});
       }},
      {"max_pool2d 3x3s2 fwd+bwd 8x64x112x112",
       [] {
         return max_pool({8, 64, 112, 112});
       }},
      {"add fwd+bwd 8x64x56x56",
       [] {
         return residual_add({8, 64, 56, 56});
       }},
      // The visual branch of the AV classifier at batch 64 (the GPU workload).
      {"conv2d fwd+bwd stem 64x3x224x224", [] { return conv(64, 3, 64, 224, 224, 7, 2, 3); }},
      {"conv2d fwd+bwd stage1 64x64x56x56", [] { return conv(64, 64, 64, 56, 56, 3, 1, 1); }},
      {"batch_norm fwd+bwd 64x64x112x112",
       [] {
         return batch_norm({64, 64, 112, 112});
       }},
      {"relu fwd+bwd 64x64x112x112",
       [] {
         return relu({64, 64, 112, 112});
       }},
      {"max_pool2d 3x3s2 fwd+bwd 64x64x112x112",
       [] {
         return max_pool({64, 64, 112, 112});
       }},
      {"add fwd+bwd 64x64x56x56",
       [] {
         return residual_add({64, 64, 56, 56});
       }},
  };
  return all;
}

}  // namespace

int main(int argc, char** argv) {
  mg::bench::Options defaults;
  defaults.program = "bench_ops";
  defaults.accepts_device = true;
  return mg::bench::run(argc, argv, defaults, rows(), "maskgrad ops");
}
