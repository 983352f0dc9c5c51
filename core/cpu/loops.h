#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <vector>

#include "core/cpu/parallel.h"
#include "core/tensor.h"

namespace mg::cpu {

// One elementwise pass over N operands of the same shape (operand 0 is usually the output).
// Pointers and strides are kept in bytes so that operands of different dtypes can share a loop.
// Dims of size 1 are dropped and dims that are contiguous for every operand are merged, so a
// contiguous tensor becomes one long run whatever its rank.
template <int N>
class StridedLoop {
 public:
  explicit StridedLoop(const std::array<const Tensor*, N>& operands) {
    const Shape& shape = operands[0]->shape();
    for (int k = 0; k < N; ++k) {
      data_[k] = static_cast<char*>(operands[k]->raw_data());
      element_size_[k] = static_cast<std::int64_t>(mg::element_size(operands[k]->dtype()));
    }
    // Innermost dim first while merging; reversed at the end.
    for (std::size_t d = shape.size(); d-- > 0;) {
      if (shape[d] == 1) continue;
      std::array<std::int64_t, N> stride{};
      for (int k = 0; k < N; ++k) stride[k] = operands[k]->strides()[d] * element_size_[k];
      if (!shape_.empty()) {
        bool mergeable = true;
        for (int k = 0; k < N; ++k) mergeable &= stride[k] == strides_.back()[k] * shape_.back();
        if (mergeable) {
          shape_.back() *= shape[d];
          continue;
        }
      }
      shape_.push_back(shape[d]);
      strides_.push_back(stride);
    }
    numel_ = operands[0]->numel();
    if (shape_.empty() && numel_ == 1) {  // a single element
      shape_.push_back(1);
      strides_.push_back({});
    }
    std::reverse(shape_.begin(), shape_.end());
    std::reverse(strides_.begin(), strides_.end());
  }

  std::int64_t numel() const { return numel_; }
  std::int64_t element_size(int k) const { return element_size_[k]; }

  // Calls body(ptrs, n, strides) for runs of n consecutive elements along the innermost dim:
  // element i of the run for operand k is at ptrs[k] + i * strides[k]. Runs are split between
  // threads when there are at least `grain` elements.
  template <typename Body>
  void run(const Body& body, std::int64_t grain = kParallelGrain) const {
    if (numel_ == 0) return;
    const std::size_t ndim = shape_.size();
    const std::int64_t inner = shape_[ndim - 1];
    const auto& inner_stride = strides_[ndim - 1];
    parallel_for(0, numel_, grain, [&](std::int64_t begin, std::int64_t end) {
      std::vector<std::int64_t> index(ndim);
      std::array<char*, N> ptr = data_;
      std::int64_t rest = begin;
      for (std::size_t d = ndim; d-- > 0;) {
        index[d] = rest % shape_[d];
        rest /= shape_[d];
        for (int k = 0; k < N; ++k) ptr[k] += index[d] * strides_[d][k];
      }
      for (std::int64_t pos = begin; pos < end;) {
        const std::int64_t n = std::min(inner - index[ndim - 1], end - pos);
        body(ptr.data(), n, inner_stride.data());
        pos += n;
        index[ndim - 1] += n;
        for (int k = 0; k < N; ++k) ptr[k] += n * inner_stride[k];
        for (std::size_t d = ndim - 1; d > 0 && index[d] == shape_[d]; --d) {
          for (int k = 0; k < N; ++k) ptr[k] += strides_[d - 1][k] - index[d] * strides_[d][k];
          index[d] = 0;
          ++index[d - 1];
        }
      }
    });
  }

 private:
  Shape shape_;
  std::vector<std::array<std::int64_t, N>> strides_;
  std::array<char*, N> data_{};
  std::array<std::int64_t, N> element_size_{};
  std::int64_t numel_ = 0;
};

// out[i] = f(x[i]).
template <typename Out, typename In, typename F>
void map1(const Tensor& x, const Tensor& out, const F& f) {
  StridedLoop<2> loop({&out, &x});
  loop.run([&](char* const* p, std::int64_t n, const std::int64_t* s) {
    auto* o = reinterpret_cast<Out*>(p[0]);
    const auto* a = reinterpret_cast<const In*>(p[1]);
    if (s[0] == sizeof(Out) && s[1] == sizeof(In)) {
      for (std::int64_t i = 0; i < n; ++i) o[i] = f(a[i]);
    } else {
      for (std::int64_t i = 0; i < n; ++i) {
        *reinterpret_cast<Out*>(p[0] + i * s[0]) = f(*reinterpret_cast<const In*>(p[1] + i * s[1]));
      }
    }
  });
}

// out[i] = f(a[i], b[i]), with fast paths for a contiguous run against a broadcast scalar.
template <typename Out, typename In, typename F>
void map2(const Tensor& a, const Tensor& b, const Tensor& out, const F& f) {
  StridedLoop<3> loop({&out, &a, &b});
  loop.run([&](char* const* p, std::int64_t n, const std::int64_t* s) {
    auto* o = reinterpret_cast<Out*>(p[0]);
    const auto* x = reinterpret_cast<const In*>(p[1]);
    const auto* y = reinterpret_cast<const In*>(p[2]);
    const bool dense_out = s[0] == sizeof(Out);
    if (dense_out && s[1] == sizeof(In) && s[2] == sizeof(In)) {
      for (std::int64_t i = 0; i < n; ++i) o[i] = f(x[i], y[i]);
    } else if (dense_out && s[1] == sizeof(In) && s[2] == 0) {
      const In scalar = *y;
      for (std::int64_t i = 0; i < n; ++i) o[i] = f(x[i], scalar);
    } else if (dense_out && s[1] == 0 && s[2] == sizeof(In)) {
      const In scalar = *x;
      for (std::int64_t i = 0; i < n; ++i) o[i] = f(scalar, y[i]);
    } else {
      for (std::int64_t i = 0; i < n; ++i) {
        *reinterpret_cast<Out*>(p[0] + i * s[0]) = f(*reinterpret_cast<const In*>(p[1] + i * s[1]),
                                                     *reinterpret_cast<const In*>(p[2] + i * s[2]));
      }
    }
  });
}

}  // namespace mg::cpu
