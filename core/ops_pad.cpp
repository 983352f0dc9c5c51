#include "core/ops_pad.h"

#include <algorithm>

#include "core/checks.h"
#include "core/creation.h"
#include "core/ops_copy.h"
#include "core/ops_view.h"

namespace mg::native {

Tensor pad(const Tensor& x, const std::vector<std::int64_t>& pads, double value) {
  check_defined("pad", x, "input");
  const Shape pad_list(pads);
  MG_CHECK(pads.size() % 2 == 0, "pad: expected (before, after) pairs, got an odd number of pads ",
           pad_list, " for ", describe(x));
  const auto padded_dims = static_cast<std::int64_t>(pads.size() / 2);
  MG_CHECK(padded_dims <= x.dim(), "pad: pads ", pad_list, " cover ", padded_dims,
           " dims but the input ", describe(x), " has only ", x.dim());
  Shape out_shape = x.shape();
  // `kept` is the part of x that survives cropping; `target` is where it lands in the output.
  Tensor kept = x;
  std::vector<std::int64_t> target_start(static_cast<std::size_t>(x.dim()), 0);
  for (std::int64_t i = 0; i < padded_dims; ++i) {
    const std::int64_t d = x.dim() - 1 - i;
    const std::int64_t before = pads[static_cast<std::size_t>(2 * i)];
    const std::int64_t after = pads[static_cast<std::size_t>(2 * i + 1)];
    const std::int64_t crop_before = std::max<std::int64_t>(-before, 0);
    const std::int64_t kept_size = x.size(d) - crop_before - std::max<std::int64_t>(-after, 0);
    MG_CHECK(kept_size >= 0, "pad: pads ", pad_list, " crop ", x.size(d) - kept_size,
             " elements from dimension ", d, " of ", describe(x),
             ", which would leave a negative size");
    out_shape[static_cast<std::size_t>(d)] = x.size(d) + before + after;
    kept = narrow(kept, d, crop_before, kept_size);
    target_start[static_cast<std::size_t>(d)] = std::max<std::int64_t>(before, 0);
  }
  Tensor out = full(out_shape, value, x.options());
  Tensor target = out;
  for (std::int64_t d = x.dim() - padded_dims; d < x.dim(); ++d) {
    target = narrow(target, d, target_start[static_cast<std::size_t>(d)], kept.size(d));
  }
  copy_(target, kept);
  return out;
}

}  // namespace mg::native
