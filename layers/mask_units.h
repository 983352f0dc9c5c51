#pragma once

#include <cstdint>
#include <string>

#include "core/shape.h"
#include "core/tensor.h"

namespace mg::nn {

// How the optimizer's mask partitions a parameter into units that are updated or left alone
// together. A layer declares it for each parameter it registers (DESIGN.md section 4):
//   element         every entry is its own unit (the default);
//   output_channel  slices along dim 0: a conv weight [O, I, k...] has O units, a linear weight
//                   [out, in] one unit per row;
//   row_blocks(n)   dim 0 cut into n equal blocks: the n heads of an attention Q, K or V weight;
//   column_blocks(n) dim 1 cut into n equal blocks: the n heads an attention output projection
//                   reads from.
class MaskUnits {
 public:
  enum class Kind { Element, OutputChannel, RowBlocks, ColumnBlocks };

  MaskUnits() = default;
  static MaskUnits element() { return MaskUnits(Kind::Element, 0); }
  static MaskUnits output_channel() { return MaskUnits(Kind::OutputChannel, 0); }
  static MaskUnits row_blocks(std::int64_t blocks);
  static MaskUnits column_blocks(std::int64_t blocks);

  Kind kind() const { return kind_; }
  std::int64_t blocks() const { return blocks_; }
  // The number of units of a parameter of `shape`; throws mg::Error when the partition does not
  // fit the shape (a block count that does not divide the dimension, a 0-d weight per channel).
  std::int64_t count(const Shape& shape) const;
  // A tensor of int64 unit ids with `shape`: entry e belongs to unit unit_ids[e].
  Tensor unit_ids(const Shape& shape) const;
  // Expands per-unit `factors` (1-d, count(shape) long) to a tensor of `shape`, so that a mask
  // can be multiplied into a gradient or update elementwise.
  Tensor expand(const Tensor& factors, const Shape& shape) const;

  // "element", "output_channel", "row_blocks(12)", "column_blocks(12)".
  std::string to_string() const;
  bool operator==(const MaskUnits& other) const = default;

 private:
  MaskUnits(Kind kind, std::int64_t blocks) : kind_(kind), blocks_(blocks) {}

  Kind kind_ = Kind::Element;
  std::int64_t blocks_ = 0;
};

}  // namespace mg::nn
