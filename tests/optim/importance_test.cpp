#include "optim/masks/importance.h"

#include "core/creation.h"
#include "test_util.h"

namespace mg::optim {
namespace {

using nn::MaskUnits;
using testing::expect_values;

Tensor values(const std::vector<double>& v, const Shape& shape, DType dtype = kFloat64) {
  return tensor(v, shape, dtype);
}

TEST(Importance, ElementUnitsPerKind) {
  const Tensor g = values({1, -2, 3, -4}, {2, 2});
  const Tensor w = values({1, 2, 1, 2}, {2, 2});
  const MaskUnits units = MaskUnits::element();
  expect_values(unit_importance(g, Tensor(), units, ImportanceKind::GradSquared), {1, 4, 9, 16},
                {4}, 1e-15);
  expect_values(unit_importance(g, Tensor(), units, ImportanceKind::GradAbs), {1, 2, 3, 4}, {4},
                1e-15);
  expect_values(unit_importance(g, w, units, ImportanceKind::GradOverWeightSquared), {1, 1, 9, 4},
                {4}, 1e-10);
}

TEST(Importance, OutputChannelSumsOverTheRestOfTheWeight) {
  // conv weight [O=2, I=1, kH=2, kW=2]
  const Tensor g = values({1, 2, 2, 0, 0, -3, 4, 0}, {2, 1, 2, 2});
  const Tensor w = values({1, 1, 1, 1, 2, 0, 0, 0}, {2, 1, 2, 2});
  const MaskUnits units = MaskUnits::output_channel();
  expect_values(unit_importance(g, w, units, ImportanceKind::GradSquared), {9, 25}, {2}, 1e-15);
  expect_values(unit_importance(g, w, units, ImportanceKind::GradAbs), {5, 7}, {2}, 1e-15);
  // Σg² / Σw² per channel (sums first, as the code does for conv channels): 9/4, 25/4.
  expect_values(unit_importance(g, w, units, ImportanceKind::GradOverWeightSquared), {2.25, 6.25},
                {2}, 1e-10);
}

TEST(Importance, RowBlocksAreHeadsOfAQkvWeight) {
  // [4, 2] in 2 row blocks: rows 0-1 and rows 2-3.
  const Tensor g = values({1, 1, 1, 1, 2, 0, 0, -1}, {4, 2});
  expect_values(unit_importance(g, Tensor(), MaskUnits::row_blocks(2), ImportanceKind::GradSquared),
                {4, 5}, {2}, 1e-15);
  expect_values(unit_importance(g, Tensor(), MaskUnits::row_blocks(2), ImportanceKind::GradAbs),
                {4, 3}, {2}, 1e-15);
}

TEST(Importance, ColumnBlocksAreHeadsAnOutputProjectionReads) {
  // [2, 4] in 2 column blocks: columns 0-1 and 2-3, summed over both rows.
  const Tensor g = values({1, 2, 3, 0, -1, 0, 0, 1}, {2, 4});
  expect_values(
      unit_importance(g, Tensor(), MaskUnits::column_blocks(2), ImportanceKind::GradSquared),
      {1 + 4 + 1, 9 + 1}, {2}, 1e-15);
  // A trailing dimension belongs to its column: [2, 2, 2] in 2 column blocks.
  const Tensor h = values({1, 2, 3, 4, 5, 6, 7, 8}, {2, 2, 2});
  expect_values(unit_importance(h, Tensor(), MaskUnits::column_blocks(2), ImportanceKind::GradAbs),
                {1 + 2 + 5 + 6, 3 + 4 + 7 + 8}, {2}, 1e-15);
}

TEST(Importance, Float32AndNonContiguousGradients) {
  const Tensor g64 = values({1, -2, 3, -4, 5, 6}, {2, 3});
  const Tensor g32 = to(g64, kFloat32);
  const Tensor s =
      unit_importance(g32, Tensor(), MaskUnits::output_channel(), ImportanceKind::GradSquared);
  EXPECT_EQ(s.dtype(), kFloat64);
  expect_values(s, {14, 77}, {2}, 1e-12);
  // The transpose [3, 2] is not contiguous; its rows are the columns of g64.
  const Tensor t = transpose(g64, 0, 1);
  ASSERT_FALSE(t.is_contiguous());
  expect_values(unit_importance(t, Tensor(), MaskUnits::output_channel(), ImportanceKind::GradAbs),
                {5, 7, 9}, {3}, 1e-15);
}

TEST(Importance, GradOverWeightSquaredKeepsZeroWeightsFinite) {
  const Tensor g = values({0, 2}, {2});
  const Tensor w = values({0, 0}, {2});
  ImportanceOptions options;
  options.eps = 1e-6;
  expect_values(
      unit_importance(g, w, MaskUnits::element(), ImportanceKind::GradOverWeightSquared, options),
      {0, 4e6}, {2}, 1e-4);
}

TEST(Importance, EmaAveragesAcrossStepsPerParameter) {
  EmaImportance ema(0.5);
  const Tensor p = zeros({2, 2}, kFloat64);
  const Tensor q = zeros({2}, kFloat64);
  const MaskUnits rows = MaskUnits::output_channel();
  EXPECT_FALSE(ema.average(p).defined());
  expect_values(ema.update(p, values({1, 1, 0, 2}, {2, 2}), rows), {2, 4}, {2}, 1e-15);
  expect_values(ema.update(q, values({3, 0}, {2}), MaskUnits::element()), {9, 0}, {2}, 1e-15);
  // 0.5·[2, 4] + 0.5·[0, 8]
  expect_values(ema.update(p, values({0, 0, 2, 2}, {2, 2}), rows), {1, 6}, {2}, 1e-15);
  expect_values(ema.average(p), {1, 6}, {2}, 1e-15);
  expect_values(ema.average(q), {9, 0}, {2}, 1e-15);
  EXPECT_MG_ERROR(EmaImportance(1.0), "EmaImportance", "[0, 1)");
}

TEST(Importance, NamesAndErrors) {
  EXPECT_EQ(parse_importance_kind("gn"), ImportanceKind::GradSquared);
  EXPECT_EQ(parse_importance_kind("gn_wn"), ImportanceKind::GradOverWeightSquared);
  EXPECT_EQ(parse_importance_kind("grad_abs"), ImportanceKind::GradAbs);
  EXPECT_EQ(parse_importance_kind("ema_grad_squared"), ImportanceKind::EmaGradSquared);
  EXPECT_EQ(to_string(ImportanceKind::GradOverWeightSquared), "grad_over_weight_squared");
  EXPECT_MG_ERROR(parse_importance_kind("sqrt_gn"), "\"sqrt_gn\"", "\"grad_abs\"");
  const Tensor g = zeros({4, 2}, kFloat64);
  EXPECT_MG_ERROR(
      unit_importance(g, Tensor(), MaskUnits::element(), ImportanceKind::EmaGradSquared),
      "EmaImportance");
  EXPECT_MG_ERROR(unit_importance(g, zeros({2, 4}, kFloat64), MaskUnits::element(),
                                  ImportanceKind::GradOverWeightSquared),
                  "float64[2, 4]", "float64[4, 2]");
  EXPECT_MG_ERROR(
      unit_importance(g, Tensor(), MaskUnits::row_blocks(3), ImportanceKind::GradSquared),
      "row_blocks(3)");
}

}  // namespace
}  // namespace mg::optim
