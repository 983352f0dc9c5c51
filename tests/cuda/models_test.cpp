// Whole models on the GPU against the same models on the CPU: outputs, every parameter's
// gradient, batch-norm statistics, and full training steps under Naive and AMSS+.
#include <cmath>
#include <map>
#include <memory>
#include <string>

#include "layers/models/av_classifier.h"
#include "layers/models/bert.h"
#include "optim/amss.h"
#include "optim/rebalancer.h"
#include "optim/sgd.h"
#include "optim/small_av.h"
#include "tests/cuda/cuda_test_util.h"

namespace mg::testing {
namespace {

// A copy of `model` (same class, same weights and buffers) on the GPU.
template <typename Model, typename... Args>
std::shared_ptr<Model> gpu_copy(const Model& model, Args&&... args) {
  auto copy = std::make_shared<Model>(std::forward<Args>(args)...);
  copy->to(model.parameters().front().dtype());
  copy->load_state_dict(model.state_dict());
  copy->to(Device::cuda());
  return copy;
}

optim::Batch on_gpu(const optim::Batch& batch) {
  optim::Batch copy;
  for (const Tensor& input : batch.inputs) copy.inputs.push_back(native::to(input, Device::cuda()));
  copy.labels = native::to(batch.labels, Device::cuda());
  return copy;
}

optim::Batch in_float64(optim::Batch batch) {
  for (Tensor& input : batch.inputs) input = native::to(input, kFloat64);
  return batch;
}

void expect_same_state(const nn::Module& gpu, const nn::Module& cpu, double rtol) {
  const auto gpu_state = gpu.state_dict();
  const auto cpu_state = cpu.state_dict();
  ASSERT_EQ(gpu_state.size(), cpu_state.size());
  for (std::size_t i = 0; i < cpu_state.size(); ++i) {
    ASSERT_EQ(gpu_state[i].first, cpu_state[i].first);
    if (cpu_state[i].second.dtype() == kInt64) continue;  // num_batches_tracked
    expect_matches_cpu(gpu_state[i].second, cpu_state[i].second, rtol, cpu_state[i].first);
  }
}

void expect_same_grads(const nn::Module& gpu, const nn::Module& cpu, double rtol, double atol = 0) {
  const auto gpu_parameters = gpu.named_parameters();
  const auto cpu_parameters = cpu.named_parameters();
  ASSERT_EQ(gpu_parameters.size(), cpu_parameters.size());
  for (std::size_t i = 0; i < cpu_parameters.size(); ++i) {
    expect_matches_cpu(gpu_parameters[i].tensor.grad(), cpu_parameters[i].tensor.grad(), rtol,
                       "grad of " + cpu_parameters[i].name, atol);
  }
}

TEST(CudaModels, AVClassifierForwardBackwardMatchesCpuInFloat64) {
  MG_REQUIRE_GPU();
  auto cpu = small_av();
  cpu->to(kFloat64);
  cpu->train();
  nn::AVClassifierOptions options;
  options.trunk.width = 4;
  auto gpu = gpu_copy(*cpu, options);
  gpu->train();
  const optim::Batch batch = in_float64(av_batch());
  const optim::Batch gpu_batch = on_gpu(batch);

  const nn::MultimodalOutput cpu_out = cpu->forward(batch.inputs);
  const nn::MultimodalOutput gpu_out = gpu->forward(gpu_batch.inputs);
  expect_matches_cpu(gpu_out.logits, cpu_out.logits, 1e-10, "logits");
  backward(cross_entropy(cpu_out.logits, batch.labels));
  backward(cross_entropy(gpu_out.logits, gpu_batch.labels));
  expect_same_grads(*gpu, *cpu, 1e-9);
  expect_same_state(*gpu, *cpu, 1e-10);  // running statistics after the training-mode pass
}

TEST(CudaModels, BertMatchesCpuInFloat64) {
  MG_REQUIRE_GPU();
  const nn::BertConfig config{.vocab_size = 50,
                              .hidden_size = 16,
                              .num_hidden_layers = 2,
                              .num_attention_heads = 2,
                              .intermediate_size = 32,
                              .max_position_embeddings = 12};
  auto cpu = std::make_shared<nn::BertModel>(config);
  cpu->to(kFloat64);
  cpu->eval();  // no dropout: both devices compute the same function
  auto gpu = gpu_copy(*cpu, config);
  gpu->eval();
  Generator generator(5);
  const Tensor ids = randint(0, 50, {3, 10}, kInt64, &generator);
  const Tensor mask = from_vector<std::int64_t>(
      {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0},
      {3, 10});
  const auto cpu_out = cpu->forward(ids, mask);
  const auto gpu_out =
      gpu->forward(native::to(ids, Device::cuda()), native::to(mask, Device::cuda()));
  expect_matches_cpu(gpu_out.sequence_output, cpu_out.sequence_output, 1e-10, "sequence output");
  expect_matches_cpu(gpu_out.pooled_output, cpu_out.pooled_output, 1e-10, "pooled output");
  backward(sum(mul(cpu_out.pooled_output, cpu_out.pooled_output)));
  backward(sum(mul(gpu_out.pooled_output, gpu_out.pooled_output)));
  // The key biases' gradients are zero in exact arithmetic (softmax ignores a shift shared by a
  // row's scores): both devices give rounding noise of about 1e-21 there.
  expect_same_grads(*gpu, *cpu, 1e-9, 1e-15);
}

// In float64: in float32 the two devices' rounding differences grow through the small model's
// batch norm (batch of 4) to 2e-3 in the loss by the third step, which hides nothing.
TEST(CudaModels, NaiveTrainingStepsMatchCpuInFloat64) {
  MG_REQUIRE_GPU();
  auto cpu = small_av();
  cpu->to(kFloat64);
  cpu->train();
  nn::AVClassifierOptions options;
  options.trunk.width = 4;
  auto gpu = gpu_copy(*cpu, options);
  gpu->train();
  const optim::SGDOptions sgd{.lr = 0.05, .momentum = 0.9, .weight_decay = 1e-4};
  optim::SGD cpu_sgd(cpu->named_parameters(), sgd);
  optim::SGD gpu_sgd(gpu->named_parameters(), sgd);
  optim::Naive naive;
  Generator g_cpu(1), g_gpu(1);
  for (int step = 0; step < 3; ++step) {
    const optim::Batch batch = in_float64(av_batch(10 + step));
    const auto cpu_result = optim::train_step(*cpu, cpu_sgd, naive, batch, 0, step, g_cpu);
    const auto gpu_result = optim::train_step(*gpu, gpu_sgd, naive, on_gpu(batch), 0, step, g_gpu);
    EXPECT_NEAR(gpu_result.loss, cpu_result.loss, 1e-10 * std::abs(cpu_result.loss));
  }
  expect_same_state(*gpu, *cpu, 1e-8);
}

// AMSS+ in paper mode on the GPU: importance from GPU gradients, strict masks applied by the GPU
// update kernels. With ρ clamped to at most 0.9, a 32-channel conv keeps at least 3 channels out
// of the sample, and those keep their weights bit for bit.
TEST(CudaModels, AmssPlusStepOnGpuLeavesUnsampledChannelsUntouched) {
  MG_REQUIRE_GPU();
  nn::AVClassifierOptions options;
  options.trunk.width = 4;
  auto gpu = std::make_shared<nn::AVClassifier>(options);
  gpu->to(Device::cuda());
  gpu->train();
  optim::SGD sgd(gpu->named_parameters(), optim::SGDOptions{.lr = 0.05, .momentum = 0.9});
  optim::AmssOptions amss_options;
  amss_options.plus = true;
  optim::Amss amss(amss_options);
  Generator generator(3);
  std::map<std::string, Tensor> before;
  for (const std::string modality : {"audio_net", "visual_net"}) {
    const std::string name = modality + ".layer4.1.conv2.weight";
    before[name] = native::to(gpu->parameter(name), Device::cpu());
    ASSERT_EQ(before[name].shape()[0], 32) << name;
  }
  const auto result = optim::train_step(*gpu, sgd, amss, on_gpu(av_batch()), 0, 0, generator);
  EXPECT_TRUE(std::isfinite(result.loss));
  for (const auto& [name, old] : before) {
    const auto b = old.to_vector<float>();
    const auto a = native::to(gpu->parameter(name), Device::cpu()).to_vector<float>();
    const std::int64_t channels = old.shape()[0], per_channel = old.numel() / channels;
    int kept = 0, moved = 0;
    for (std::int64_t c = 0; c < channels; ++c) {
      bool same = true;
      for (std::int64_t i = 0; i < per_channel; ++i)
        same &= a[c * per_channel + i] == b[c * per_channel + i];
      (same ? kept : moved) += 1;
    }
    EXPECT_GE(kept, 3) << name;
    EXPECT_GT(moved, 0) << name;
  }
}

}  // namespace
}  // namespace mg::testing
