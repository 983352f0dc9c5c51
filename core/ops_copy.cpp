#include "core/ops_copy.h"

#include "core/backend.h"
#include "core/checks.h"
#include "core/creation.h"
#include "core/ops_view.h"

namespace mg::native {

Tensor contiguous(const Tensor& x) {
  return x.is_contiguous() ? x : clone(x);
}

Tensor clone(const Tensor& x) {
  Tensor out = empty(x.shape(), x.options());
  backend_for(x.device()).copy(x, out);
  return out;
}

Tensor to(const Tensor& x, DType dtype) {
  if (x.dtype() == dtype) return x;
  Tensor out = empty(x.shape(), x.options().dtype(dtype));
  backend_for(x.device()).copy(x, out);
  return out;
}

Tensor to(const Tensor& x, Device device) {
  if (x.device() == device) return x;
  Tensor out = empty(x.shape(), x.options().device(device));
  // A copy between the CPU and a GPU is run by the GPU's backend.
  backend_for(device.is_cpu() ? x.device() : device).copy(x, out);
  return out;
}

void copy_(const Tensor& dst, const Tensor& src) {
  check_defined("copy_", dst, "dst");
  check_defined("copy_", src, "src");
  MG_CHECK(broadcast_shapes(dst.shape(), src.shape(), "copy_") == dst.shape(), "copy_: cannot ",
           "broadcast ", describe(src), " to the destination ", describe(dst));
  check_writable("copy_", dst);
  Tensor source = src;
  // Reading and writing overlapping memory in different layouts would read values it already
  // overwrote; copy the source aside first.
  if (src.storage() == dst.storage() &&
      (src.strides() != dst.strides() || src.storage_offset() != dst.storage_offset())) {
    source = clone(src);
  }
  source = expand(source, dst.shape());
  const Device runner = dst.device().is_cpu() ? source.device() : dst.device();
  backend_for(runner).copy(source, dst);
  dst.bump_version();
}

void fill_(const Tensor& dst, double value) {
  check_defined("fill_", dst, "dst");
  check_writable("fill_", dst);
  backend_for(dst.device()).fill(dst, value);
  dst.bump_version();
}

void zero_(const Tensor& dst) {
  fill_(dst, 0);
}

}  // namespace mg::native
