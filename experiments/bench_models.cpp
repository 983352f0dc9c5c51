// Times whole training steps of the paper's models against PyTorch doing the same work with the
// same thread count, in the same run (tools/bench_models_torch.py), and prints one table: row,
// ours ms, PyTorch ms, ratio, peak RSS of each. A step is forward, cross-entropy, backward, an SGD
// step (lr 0.01, momentum 0.9, weight decay 1e-4, PyTorch's update rule) and dropping the
// gradients, in training mode, float32, on the CPU or (--device cuda) a GPU, where each step is
// timed to the end of its GPU work. Rows are described in tools/bench_models_torch.py.
#include <memory>
#include <string>
#include <vector>

#include "autograd/ops.h"
#include "experiments/bench_harness.h"
#include "layers/dropout.h"
#include "layers/linear.h"
#include "layers/models/av_classifier.h"
#include "layers/models/bert.h"
#include "layers/models/resnet.h"
#include "optim/sgd.h"

namespace {

using mg::Tensor;
using mg::bench::Step;

// A training step around `loss_of` (which runs the forward pass and returns the loss).
template <typename Model, typename Loss>
Step training_step(std::shared_ptr<Model> model, Loss loss_of) {
  model->to(mg::bench::target_device());
  model->train();
  auto optimizer = std::make_shared<mg::optim::SGD>(
      model->parameters(),
      mg::optim::SGDOptions{.lr = 0.01, .momentum = 0.9, .weight_decay = 1e-4});
  return [model, optimizer, loss_of] {
    mg::backward(loss_of(*model));
    optimizer->step();
    optimizer->zero_grad();
  };
}

Step av_cremad(std::int64_t batch) {
  mg::nn::AVClassifierOptions options;
  options.num_classes = 6;
  options.trunk.bn_init =
      mg::nn::BatchNormInit::Ones;  // as torchvision, which the PyTorch side uses
  auto model = std::make_shared<mg::nn::AVClassifier>(options);
  const Tensor audio = mg::bench::on_device(mg::randn({batch, 1, 257, 188}));
  const Tensor visual = mg::bench::on_device(mg::randn({batch, 3, 1, 224, 224}));
  const Tensor labels = mg::bench::on_device(mg::randint(0, 6, {batch}));
  return training_step(model, [=](mg::nn::AVClassifier& m) {
    return mg::cross_entropy(m.forward(audio, visual).logits, labels);
  });
}

// BertForSequenceClassification's computation: BERT, pooled output, dropout, Linear(256, 2).
struct TextClassifier : mg::nn::Module {
  std::shared_ptr<mg::nn::BertModel> bert;
  std::shared_ptr<mg::nn::Dropout> dropout;
  std::shared_ptr<mg::nn::Linear> classifier;
  explicit TextClassifier(const mg::nn::BertConfig& config) : Module("TextClassifier") {
    bert = register_module("bert", std::make_shared<mg::nn::BertModel>(config));
    dropout = register_module("dropout", std::make_shared<mg::nn::Dropout>(0.1));
    classifier = register_module("classifier", std::make_shared<mg::nn::Linear>(256, 2));
  }
};

Step text_encoder() {
  const std::int64_t batch = 16, seq = 64;
  auto model = std::make_shared<TextClassifier>(mg::nn::BertConfig{.vocab_size = 30522,
                                                                   .hidden_size = 256,
                                                                   .num_hidden_layers = 4,
                                                                   .num_attention_heads = 4,
                                                                   .intermediate_size = 1024});
  // Rows 8..15 end in padding, as on the PyTorch side.
  std::vector<std::int64_t> mask_values(batch * seq, 1);
  for (std::int64_t b = batch / 2; b < batch; ++b)
    for (std::int64_t t = 16 + 3 * (b - batch / 2); t < seq; ++t) mask_values[b * seq + t] = 0;
  const Tensor attention_mask = mg::bench::on_device(mg::from_vector(mask_values, {batch, seq}));
  const Tensor input_ids =
      mg::mul(mg::bench::on_device(mg::randint(1, 30522, {batch, seq})), attention_mask);
  const Tensor labels = mg::bench::on_device(mg::randint(0, 2, {batch}));
  return training_step(model, [=](TextClassifier& m) {
    const Tensor pooled = m.bert->forward(input_ids, attention_mask).pooled_output;
    return mg::cross_entropy(m.classifier->forward(m.dropout->forward(pooled)), labels);
  });
}

Step resnet18_cifar() {
  auto model = mg::nn::resnet18({.num_classes = 10});
  const Tensor images = mg::bench::on_device(mg::randn({64, 3, 32, 32}));
  const Tensor labels = mg::bench::on_device(mg::randint(0, 10, {64}));
  return training_step(
      model, [=](mg::nn::ResNet& m) { return mg::cross_entropy(m.forward(images), labels); });
}

// Keep in step with ROWS in tools/bench_models_torch.py.
const mg::bench::Rows& rows() {
  static const mg::bench::Rows all = {
      {"av_cremad", [] { return av_cremad(8); }},
      {"av_cremad_b64", [] { return av_cremad(64); }},
      {"text_encoder", text_encoder},
      {"resnet18_cifar", resnet18_cifar},
  };
  return all;
}

}  // namespace

int main(int argc, char** argv) {
  mg::bench::Options defaults;
  defaults.program = "bench_models";
  defaults.warmup = 2;
  defaults.repeats = 7;
  defaults.accepts_device = true;
  return mg::bench::run(argc, argv, defaults, rows(), "training steps of the paper's models");
}
