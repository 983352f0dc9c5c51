#pragma once

#include <cstdint>
#include <memory>

#include "core/creation.h"
#include "core/random.h"
#include "layers/models/av_classifier.h"
#include "optim/rebalancer.h"

// The rebalancer tests' model: the AV classifier at trunk width 4, and a batch of 4 for it.
namespace mg::testing {

inline std::shared_ptr<nn::AVClassifier> small_av(
    nn::Activation activation = nn::Activation::ReLU) {
  nn::AVClassifierOptions options;
  options.trunk.width = 4;
  options.trunk.activation = activation;
  return std::make_shared<nn::AVClassifier>(options);
}

// audio [4, 1, 24, 16], one frame [4, 3, 1, 32, 32], labels among 6 classes.
inline optim::Batch av_batch(std::uint64_t seed = 3) {
  Generator generator(seed);
  return {{randn({4, 1, 24, 16}, {}, &generator), randn({4, 3, 1, 32, 32}, {}, &generator)},
          randint(0, 6, {4}, kInt64, &generator)};
}

}  // namespace mg::testing
