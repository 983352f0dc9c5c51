// Convolution through cuDNN's legacy API: N-d descriptors, cross-correlation (what deep learning
// calls convolution), groups. The algorithm of each problem is measured once with
// cudnnFind*AlgorithmEx and cached; the bias and its gradient are own kernels.

#include <algorithm>
#include <climits>
#include <map>
#include <mutex>
#include <vector>

#include "core/creation.h"
#include "core/cuda/block_reduce.cuh"
#include "core/cuda/check.cuh"
#include "core/cuda/context.cuh"
#include "core/cuda/conv_algorithms.h"
#include "core/cuda/cuda_backend.cuh"
#include "core/cuda/cuda_runtime.h"
#include "core/cuda/launch.cuh"
#include "core/error.h"

namespace mg::cuda {

namespace {

// Largest workspace an algorithm may ask for; faster algorithms that need more are passed over.
constexpr std::size_t kMaxWorkspaceBytes = std::size_t(1) << 30;

enum class Direction { Forward, BackwardData, BackwardFilter };

int as_int(std::int64_t value, const char* op) {
  MG_CHECK(value <= INT_MAX, op, ": size ", value, " is too large for cuDNN (at most 2147483647)");
  return static_cast<int>(value);
}

std::vector<int> int_dims(const Shape& shape, const char* op) {
  std::vector<int> dims;
  for (std::int64_t v : shape) dims.push_back(as_int(v, op));
  return dims;
}

// A cuDNN descriptor, destroyed with its owner: also when the owner's constructor throws after
// creating it.
template <typename Descriptor, cudnnStatus_t (*destroy)(Descriptor)>
class OwnedDescriptor {
 public:
  OwnedDescriptor() = default;
  ~OwnedDescriptor() {
    // Destruction cannot fail on a descriptor that was created; nothing to report.
    if (descriptor_ != nullptr) destroy(descriptor_);
  }
  OwnedDescriptor(const OwnedDescriptor&) = delete;
  OwnedDescriptor& operator=(const OwnedDescriptor&) = delete;

  Descriptor* address() { return &descriptor_; }
  Descriptor get() const { return descriptor_; }

 private:
  Descriptor descriptor_ = nullptr;
};

// The descriptors of one convolution problem; destroyed with it.
class ConvDescriptors {
 public:
  // x [N, C_in, *spatial], weight [C_out, C_in / groups, *kernel], y [N, C_out, *out_spatial].
  ConvDescriptors(const Tensor& x, const Tensor& weight, const Tensor& y, const ConvParams& params,
                  const char* op)
      : op_(op) {
    const cudnnDataType_t type = x.dtype() == kFloat32 ? CUDNN_DATA_FLOAT : CUDNN_DATA_DOUBLE;
    MG_CUDA_CHECK(cudnnCreateTensorDescriptor(x_.address()), op);
    MG_CUDA_CHECK(cudnnCreateTensorDescriptor(y_.address()), op);
    MG_CUDA_CHECK(cudnnCreateFilterDescriptor(w_.address()), op);
    MG_CUDA_CHECK(cudnnCreateConvolutionDescriptor(conv_.address()), op);
    set_tensor(x_.get(), x, type);
    set_tensor(y_.get(), y, type);
    const std::vector<int> kernel = int_dims(weight.shape(), op);
    MG_CUDA_CHECK(cudnnSetFilterNdDescriptor(w_.get(), type, CUDNN_TENSOR_NCHW,
                                             static_cast<int>(kernel.size()), kernel.data()),
                  op);
    const std::vector<int> padding = int_dims(params.padding, op);
    const std::vector<int> stride = int_dims(params.stride, op);
    const std::vector<int> dilation = int_dims(params.dilation, op);
    MG_CUDA_CHECK(cudnnSetConvolutionNdDescriptor(conv_.get(), static_cast<int>(padding.size()),
                                                  padding.data(), stride.data(), dilation.data(),
                                                  CUDNN_CROSS_CORRELATION, type),
                  op);
    MG_CUDA_CHECK(cudnnSetConvolutionGroupCount(conv_.get(), as_int(params.groups, op)), op);
  }

  void set_math(cudnnMathType_t math) const {
    MG_CUDA_CHECK(cudnnSetConvolutionMathType(conv_.get(), math), op_);
  }

  cudnnTensorDescriptor_t x() const { return x_.get(); }
  cudnnTensorDescriptor_t y() const { return y_.get(); }
  cudnnFilterDescriptor_t w() const { return w_.get(); }
  cudnnConvolutionDescriptor_t conv() const { return conv_.get(); }

 private:
  void set_tensor(cudnnTensorDescriptor_t desc, const Tensor& t, cudnnDataType_t type) const {
    const std::vector<int> dims = int_dims(t.shape(), op_);
    std::vector<int> strides(dims.size());
    std::int64_t stride = 1;
    for (std::size_t d = dims.size(); d-- > 0;) {
      strides[d] = as_int(stride, op_);
      stride *= std::max(dims[d], 1);
    }
    MG_CUDA_CHECK(cudnnSetTensorNdDescriptor(desc, type, static_cast<int>(dims.size()), dims.data(),
                                             strides.data()),
                  op_);
  }

  const char* op_;
  OwnedDescriptor<cudnnTensorDescriptor_t, cudnnDestroyTensorDescriptor> x_, y_;
  OwnedDescriptor<cudnnFilterDescriptor_t, cudnnDestroyFilterDescriptor> w_;
  OwnedDescriptor<cudnnConvolutionDescriptor_t, cudnnDestroyConvolutionDescriptor> conv_;
};

// Float32 convolutions stay off TF32 tensor cores unless cuda::allow_tf32(): cuDNN's default
// math would use them on Ampere and later.
bool fma_only(DType dtype) {
  return dtype == kFloat32 && !allow_tf32();
}

cudnnMathType_t search_math(DType dtype) {
  return fma_only(dtype) ? CUDNN_FMA_MATH : CUDNN_DEFAULT_MATH;
}

bool math_allowed(cudnnMathType_t math, DType dtype) {
  return !fma_only(dtype) ||
         (math != CUDNN_TENSOR_OP_MATH && math != CUDNN_TENSOR_OP_MATH_ALLOW_CONVERSION);
}

struct Choice {
  int algo = 0;
  cudnnMathType_t math = CUDNN_DEFAULT_MATH;
  std::size_t workspace = 0;
};

using ChoiceKey = std::vector<std::int64_t>;

std::mutex cache_mutex;
std::map<ChoiceKey, Choice>& choice_cache() {
  static std::map<ChoiceKey, Choice> cache;
  return cache;
}

ChoiceKey choice_key(Direction direction, const Tensor& x, const Tensor& weight,
                     const ConvParams& params) {
  ChoiceKey key{static_cast<std::int64_t>(direction),
                static_cast<std::int64_t>(x.dtype()),
                allow_tf32() ? 1 : 0,
                x.device().index,
                x.dim(),
                params.groups};
  for (const Shape* list :
       {&x.shape(), &weight.shape(), &params.stride, &params.padding, &params.dilation}) {
    key.insert(key.end(), list->begin(), list->end());
  }
  return key;
}

Tensor workspace(std::size_t bytes, Device device) {
  return empty({static_cast<std::int64_t>(std::max<std::size_t>(bytes, 1))},
               TensorOptions(kUInt8).device(device));
}

// The fastest usable algorithm: cuDNN's heuristics (get_v7) bound the workspace that the
// measurement (find_ex, which runs each candidate on the real buffers and sorts them by time)
// gets; when measuring finds nothing, the best heuristic choice that fits. Perf is one of
// cuDNN's *AlgoPerf_t structs.
template <typename Perf, typename Get, typename Find>
Choice choose(const ChoiceKey& key, DType dtype, Device device, const char* op, const Get& get_v7,
              const Find& find_ex) {
  {
    std::lock_guard lock(cache_mutex);
    const auto found = choice_cache().find(key);
    if (found != choice_cache().end()) return found->second;
  }
  const auto usable = [&](const Perf& perf, std::size_t limit) {
    return perf.status == CUDNN_STATUS_SUCCESS && perf.memory <= limit &&
           math_allowed(perf.mathType, dtype);
  };
  const std::vector<Perf> guesses = get_v7();
  std::size_t bytes = 0;
  for (const Perf& perf : guesses) {
    if (usable(perf, kMaxWorkspaceBytes)) bytes = std::max(bytes, perf.memory);
  }
  const Tensor space = workspace(bytes, device);
  const std::vector<Perf> measured = find_ex(space.raw_data(), bytes);
  const auto pick = [&](const std::vector<Perf>& perfs, std::size_t limit) -> const Perf* {
    for (const Perf& perf : perfs) {
      if (usable(perf, limit)) return &perf;
    }
    return nullptr;
  };
  const Perf* best = pick(measured, bytes);
  if (best == nullptr) best = pick(guesses, kMaxWorkspaceBytes);
  MG_CHECK(best != nullptr, op, ": cuDNN offers no algorithm for this convolution within a ",
           kMaxWorkspaceBytes, "-byte workspace", fma_only(dtype) ? " without TF32" : "");
  const Choice choice{static_cast<int>(best->algo),
                      fma_only(dtype) ? CUDNN_FMA_MATH : best->mathType, best->memory};
  std::lock_guard lock(cache_mutex);
  choice_cache().emplace(key, choice);
  return choice;
}

// The scaling factors of a cuDNN call: float for float32 data, double for float64.
struct Scalars {
  float one32 = 1, zero32 = 0;
  double one64 = 1, zero64 = 0;
  const void* one(DType dtype) const {
    return dtype == kFloat32 ? static_cast<const void*>(&one32) : &one64;
  }
  const void* zero(DType dtype) const {
    return dtype == kFloat32 ? static_cast<const void*>(&zero32) : &zero64;
  }
};

void zero(const Tensor& t, const char* op) {
  if (t.numel() == 0) return;
  MG_CUDA_CHECK(cudaMemsetAsync(t.raw_data(), 0, t.numel() * element_size(t.dtype()),
                                stream(t.device().index)),
                op);
}

template <typename T>
__global__ void add_bias_kernel(T* out, const T* bias, std::int64_t n, std::int64_t channels,
                                std::int64_t spatial) {
  for (std::int64_t i = blockIdx.x * std::int64_t(blockDim.x) + threadIdx.x; i < n;
       i += std::int64_t(gridDim.x) * blockDim.x) {
    out[i] += bias[i / spatial % channels];
  }
}

// One block per channel: grad_bias[c] = Σ over samples and positions of grad_out.
template <typename T>
__global__ void bias_grad_kernel(const T* grad_out, ChannelLayout layout, T* grad_bias) {
  const std::int64_t c = blockIdx.x;
  double sum = 0;
  for (std::int64_t j = threadIdx.x; j < layout.count(); j += blockDim.x) {
    sum += grad_out[layout.offset(c, j)];
  }
  sum = block_sum(sum);
  if (threadIdx.x == 0) grad_bias[c] = static_cast<T>(sum);
}

void add_bias(const Tensor& out, const Tensor& bias) {
  const ChannelLayout l = channel_layout(out);
  if (out.numel() == 0) return;
  visit_floating(out.dtype(), "conv", [&](auto zero) {
    using T = decltype(zero);
    add_bias_kernel<T>
        <<<blocks_for(out.numel()), kThreadsPerBlock, 0, stream(out.device().index)>>>(
            static_cast<T*>(out.raw_data()), static_cast<const T*>(bias.raw_data()), out.numel(),
            l.channels, l.spatial);
  });
  check_launch("conv");
}

void bias_grad(const Tensor& grad_out, const Tensor& grad_bias) {
  const ChannelLayout l = channel_layout(grad_out);
  if (l.channels == 0) return;  // a launch of 0 blocks is an error
  visit_floating(grad_out.dtype(), "conv_backward", [&](auto zero) {
    using T = decltype(zero);
    bias_grad_kernel<T><<<static_cast<unsigned int>(l.channels), kThreadsPerBlock, 0,
                          stream(grad_out.device().index)>>>(
        static_cast<const T*>(grad_out.raw_data()), l, static_cast<T*>(grad_bias.raw_data()));
  });
  check_launch("conv_backward");
}

}  // namespace

std::size_t cached_conv_algorithms() {
  std::lock_guard lock(cache_mutex);
  return choice_cache().size();
}

void CudaBackend::conv(const Tensor& x, const Tensor& weight, const Tensor& bias,
                       const ConvParams& params, const Tensor& out) {
  const char* op = "conv";
  DeviceGuard guard(x.device());
  if (out.numel() == 0) return;
  const DType dtype = x.dtype();
  if (x.numel() == 0 || weight.numel() == 0) {
    zero(out, op);  // no input channels: the sums are empty
  } else {
    cudnnHandle_t handle = cudnn_handle(x.device().index);
    const ConvDescriptors d(x, weight, out, params, op);
    d.set_math(search_math(dtype));
    const Choice choice = choose<cudnnConvolutionFwdAlgoPerf_t>(
        choice_key(Direction::Forward, x, weight, params), dtype, x.device(), op,
        [&] {
          int count = 0;
          MG_CUDA_CHECK(cudnnGetConvolutionForwardAlgorithmMaxCount(handle, &count), op);
          std::vector<cudnnConvolutionFwdAlgoPerf_t> perfs(std::max(count, 1));
          MG_CUDA_CHECK(cudnnGetConvolutionForwardAlgorithm_v7(handle, d.x(), d.w(), d.conv(),
                                                               d.y(), count, &count, perfs.data()),
                        op);
          perfs.resize(count);
          return perfs;
        },
        [&](void* space, std::size_t bytes) {
          int count = 0;
          MG_CUDA_CHECK(cudnnGetConvolutionForwardAlgorithmMaxCount(handle, &count), op);
          std::vector<cudnnConvolutionFwdAlgoPerf_t> perfs(std::max(count, 1));
          MG_CUDA_CHECK(cudnnFindConvolutionForwardAlgorithmEx(
                            handle, d.x(), x.raw_data(), d.w(), weight.raw_data(), d.conv(), d.y(),
                            out.raw_data(), count, &count, perfs.data(), space, bytes),
                        op);
          perfs.resize(count);
          return perfs;
        });
    d.set_math(choice.math);
    const Tensor space = workspace(choice.workspace, x.device());
    const Scalars s;
    MG_CUDA_CHECK(cudnnConvolutionForward(
                      handle, s.one(dtype), d.x(), x.raw_data(), d.w(), weight.raw_data(), d.conv(),
                      static_cast<cudnnConvolutionFwdAlgo_t>(choice.algo), space.raw_data(),
                      choice.workspace, s.zero(dtype), d.y(), out.raw_data()),
                  op);
  }
  if (bias.defined()) add_bias(out, bias);
}

void CudaBackend::conv_backward(const Tensor& grad_out, const Tensor& x, const Tensor& weight,
                                const ConvParams& params, const Tensor& grad_x,
                                const Tensor& grad_weight, const Tensor& grad_bias) {
  const char* op = "conv_backward";
  DeviceGuard guard(x.device());
  const DType dtype = x.dtype();
  const Scalars s;
  // With no samples or no input channels every sum is empty.
  const bool empty_problem = x.numel() == 0 || weight.numel() == 0;
  if (grad_x.defined() && empty_problem) zero(grad_x, op);
  if (grad_weight.defined() && empty_problem) zero(grad_weight, op);
  if (!empty_problem && (grad_x.defined() || grad_weight.defined())) {
    cudnnHandle_t handle = cudnn_handle(x.device().index);
    const ConvDescriptors d(x, weight, grad_out, params, op);
    if (grad_x.defined()) {
      d.set_math(search_math(dtype));
      const Choice choice = choose<cudnnConvolutionBwdDataAlgoPerf_t>(
          choice_key(Direction::BackwardData, x, weight, params), dtype, x.device(), op,
          [&] {
            int count = 0;
            MG_CUDA_CHECK(cudnnGetConvolutionBackwardDataAlgorithmMaxCount(handle, &count), op);
            std::vector<cudnnConvolutionBwdDataAlgoPerf_t> perfs(std::max(count, 1));
            MG_CUDA_CHECK(cudnnGetConvolutionBackwardDataAlgorithm_v7(
                              handle, d.w(), d.y(), d.conv(), d.x(), count, &count, perfs.data()),
                          op);
            perfs.resize(count);
            return perfs;
          },
          [&](void* space, std::size_t bytes) {
            int count = 0;
            MG_CUDA_CHECK(cudnnGetConvolutionBackwardDataAlgorithmMaxCount(handle, &count), op);
            std::vector<cudnnConvolutionBwdDataAlgoPerf_t> perfs(std::max(count, 1));
            MG_CUDA_CHECK(
                cudnnFindConvolutionBackwardDataAlgorithmEx(
                    handle, d.w(), weight.raw_data(), d.y(), grad_out.raw_data(), d.conv(), d.x(),
                    grad_x.raw_data(), count, &count, perfs.data(), space, bytes),
                op);
            perfs.resize(count);
            return perfs;
          });
      d.set_math(choice.math);
      const Tensor space = workspace(choice.workspace, x.device());
      MG_CUDA_CHECK(
          cudnnConvolutionBackwardData(
              handle, s.one(dtype), d.w(), weight.raw_data(), d.y(), grad_out.raw_data(), d.conv(),
              static_cast<cudnnConvolutionBwdDataAlgo_t>(choice.algo), space.raw_data(),
              choice.workspace, s.zero(dtype), d.x(), grad_x.raw_data()),
          op);
    }
    if (grad_weight.defined()) {
      d.set_math(search_math(dtype));
      const Choice choice = choose<cudnnConvolutionBwdFilterAlgoPerf_t>(
          choice_key(Direction::BackwardFilter, x, weight, params), dtype, x.device(), op,
          [&] {
            int count = 0;
            MG_CUDA_CHECK(cudnnGetConvolutionBackwardFilterAlgorithmMaxCount(handle, &count), op);
            std::vector<cudnnConvolutionBwdFilterAlgoPerf_t> perfs(std::max(count, 1));
            MG_CUDA_CHECK(cudnnGetConvolutionBackwardFilterAlgorithm_v7(
                              handle, d.x(), d.y(), d.conv(), d.w(), count, &count, perfs.data()),
                          op);
            perfs.resize(count);
            return perfs;
          },
          [&](void* space, std::size_t bytes) {
            int count = 0;
            MG_CUDA_CHECK(cudnnGetConvolutionBackwardFilterAlgorithmMaxCount(handle, &count), op);
            std::vector<cudnnConvolutionBwdFilterAlgoPerf_t> perfs(std::max(count, 1));
            MG_CUDA_CHECK(
                cudnnFindConvolutionBackwardFilterAlgorithmEx(
                    handle, d.x(), x.raw_data(), d.y(), grad_out.raw_data(), d.conv(), d.w(),
                    grad_weight.raw_data(), count, &count, perfs.data(), space, bytes),
                op);
            perfs.resize(count);
            return perfs;
          });
      d.set_math(choice.math);
      const Tensor space = workspace(choice.workspace, x.device());
      MG_CUDA_CHECK(
          cudnnConvolutionBackwardFilter(
              handle, s.one(dtype), d.x(), x.raw_data(), d.y(), grad_out.raw_data(), d.conv(),
              static_cast<cudnnConvolutionBwdFilterAlgo_t>(choice.algo), space.raw_data(),
              choice.workspace, s.zero(dtype), d.w(), grad_weight.raw_data()),
          op);
    }
  }
  if (grad_bias.defined()) bias_grad(grad_out, grad_bias);
}

}  // namespace mg::cuda
