#include "optim/optimizer.h"

#include "core/error.h"

namespace mg::optim {

MaskMode parse_mask_mode(const std::string& name) {
  if (name == "grad") return MaskMode::Grad;
  if (name == "strict") return MaskMode::Strict;
  throw Error(str("mask mode \"", name, "\" is unknown: expected \"grad\" or \"strict\""));
}

std::string to_string(MaskMode mode) {
  return mode == MaskMode::Grad ? "grad" : "strict";
}

}  // namespace mg::optim
