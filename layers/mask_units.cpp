#include "layers/mask_units.h"

#include "autograd/ops.h"
#include "core/creation.h"
#include "core/error.h"

namespace mg::nn {

MaskUnits MaskUnits::row_blocks(std::int64_t blocks) {
  MG_CHECK(blocks > 0, "MaskUnits::row_blocks: the block count must be positive, got ", blocks);
  return MaskUnits(Kind::RowBlocks, blocks);
}

MaskUnits MaskUnits::column_blocks(std::int64_t blocks) {
  MG_CHECK(blocks > 0, "MaskUnits::column_blocks: the block count must be positive, got ", blocks);
  return MaskUnits(Kind::ColumnBlocks, blocks);
}

std::int64_t MaskUnits::count(const Shape& shape) const {
  switch (kind_) {
    case Kind::Element:
      return numel(shape);
    case Kind::OutputChannel:
      MG_CHECK(!shape.empty(), "MaskUnits: output_channel units need a parameter with at least ",
               "one dimension, got shape ", shape);
      return shape[0];
    case Kind::RowBlocks:
      MG_CHECK(!shape.empty() && shape[0] % blocks_ == 0, "MaskUnits: ", to_string(),
               " needs dim 0 divisible by ", blocks_, ", got shape ", shape);
      return blocks_;
    case Kind::ColumnBlocks:
      MG_CHECK(shape.size() >= 2 && shape[1] % blocks_ == 0, "MaskUnits: ", to_string(),
               " needs dim 1 divisible by ", blocks_, ", got shape ", shape);
      return blocks_;
  }
  return 0;
}

Tensor MaskUnits::unit_ids(const Shape& shape) const {
  return expand(arange(static_cast<double>(count(shape)), kInt64), shape);
}

Tensor MaskUnits::expand(const Tensor& factors, const Shape& shape) const {
  const std::int64_t units = count(shape);
  MG_CHECK(factors.defined() && factors.dim() == 1 && factors.numel() == units,
           "MaskUnits::expand: ", to_string(), " of a parameter of shape ", shape, " needs ", units,
           " factors, got ", describe(factors));
  NoGradGuard no_grad;
  // Give the factors the parameter's rank with each unit's extent as a broadcast dimension.
  Shape grouped;
  Shape broadcast;
  switch (kind_) {
    case Kind::Element:
      return contiguous(reshape(factors, shape));
    case Kind::OutputChannel:
      grouped = Shape(shape.size(), 1);
      grouped[0] = units;
      return contiguous(mg::expand(reshape(factors, grouped), shape));
    case Kind::RowBlocks:
      grouped = Shape(shape.size() + 1, 1);
      grouped[0] = units;
      broadcast = shape;
      broadcast[0] = shape[0] / units;
      broadcast.insert(broadcast.begin(), units);
      break;
    case Kind::ColumnBlocks:
      grouped = Shape(shape.size() + 1, 1);
      grouped[1] = units;
      broadcast = shape;
      broadcast[1] = shape[1] / units;
      broadcast.insert(broadcast.begin() + 1, units);
      break;
  }
  return reshape(contiguous(mg::expand(reshape(factors, grouped), broadcast)), shape);
}

std::string MaskUnits::to_string() const {
  switch (kind_) {
    case Kind::Element:
      return "element";
    case Kind::OutputChannel:
      return "output_channel";
    case Kind::RowBlocks:
      return str("row_blocks(", blocks_, ")");
    case Kind::ColumnBlocks:
      return str("column_blocks(", blocks_, ")");
  }
  return "unknown";
}

}  // namespace mg::nn
