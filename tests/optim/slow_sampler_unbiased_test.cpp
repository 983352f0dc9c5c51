// specs/amss.md §17.5 test 1 on the whole grid: every gradient case, N ∈ {1, 2, 7, 64, 512},
// ρ ∈ {0.1, 0.5, 0.9}, T = 10⁵ draws, for the three designs with exact π (systematic PPS, Poisson
// PPS, uniform), each with the AMSS+ factor 1/π. Label `slow`; the default suite runs a
// representative part (sampler_unbiased_test.cpp).
#include <gtest/gtest.h>

#include "sampler_grid.h"

namespace mg::optim::grid {
namespace {

struct GridPoint {
  Design design;
  GradientCase gradient_case;
};

class FullGrid : public ::testing::TestWithParam<GridPoint> {};

TEST_P(FullGrid, UnbiasedForEveryNAndRho) {
  const GridPoint point = GetParam();
  std::uint64_t seed = 20000 + 1000 * static_cast<std::uint64_t>(point.gradient_case) +
                       100 * static_cast<std::uint64_t>(point.design.sampler);
  for (std::int64_t n : {1, 2, 7, 64, 512})
    for (double rho : {0.1, 0.5, 0.9}) {
      seed += 2;
      const Violations v =
          check(point.design, gradient(point.gradient_case, n, seed), rho, 100000, seed + 1);
      const std::string run = describe_run(point.design, point.gradient_case, n, rho);
      EXPECT_EQ(v.size, 0) << run << ": draws with |S| != k";
      EXPECT_EQ(v.frequency, 0) << run << ": " << v.first;
      EXPECT_EQ(v.mean, 0) << run << ": " << v.first;
      EXPECT_EQ(v.pi, 0) << run << ": " << v.first;
    }
}

std::vector<GridPoint> points() {
  std::vector<GridPoint> out;
  for (SamplerKind sampler :
       {SamplerKind::SystematicPps, SamplerKind::PoissonPps, SamplerKind::Uniform})
    for (GradientCase c : {GradientCase::Normal, GradientCase::HeavyTailed, GradientCase::SomeZeros,
                           GradientCase::DominantUnit})
      out.push_back({{sampler, RescaleKind::InverseInclusion}, c});
  return out;
}

INSTANTIATE_TEST_SUITE_P(Samplers, FullGrid, ::testing::ValuesIn(points()),
                         [](const ::testing::TestParamInfo<GridPoint>& info) {
                           return to_string(info.param.design.sampler) + "_" +
                                  to_string(info.param.gradient_case);
                         });

}  // namespace
}  // namespace mg::optim::grid
