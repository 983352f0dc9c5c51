#pragma once

#include <cstddef>
#include <string>

// Optimizers over parameter groups, with native per-parameter masks (DESIGN.md section 5).
// This header is the contract the schedulers (optim/lr_scheduler.h) program against: a
// scheduler only reads and writes each group's learning rate.
namespace mg::optim {

// How a mask acts in the step it is set for (specs/amss.md §12, §17.3):
//   Grad    the gradient is multiplied by the per-unit factor before the update; momentum,
//           weight decay and Adam moments still move masked units (the reference code);
//   Strict  a unit with factor 0 keeps its value and its optimizer state bit for bit that step
//           (no weight decay, no momentum or moment update, no Adam step count); the others
//           update with their gradient multiplied by the factor (the paper's rule).
enum class MaskMode { Grad, Strict };
// "grad" or "strict"; anything else is an mg::Error listing both.
MaskMode parse_mask_mode(const std::string& name);
std::string to_string(MaskMode mode);

// What a learning-rate scheduler needs from an optimizer.
class LearningRates {
 public:
  virtual ~LearningRates() = default;
  virtual std::size_t num_param_groups() const = 0;
  virtual double lr(std::size_t group) const = 0;
  virtual void set_lr(std::size_t group, double lr) = 0;
  // The learning rate the group was created with (PyTorch's initial_lr).
  virtual double initial_lr(std::size_t group) const = 0;
};

}  // namespace mg::optim
