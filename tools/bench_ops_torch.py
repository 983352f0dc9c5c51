#!/usr/bin/env python3
"""PyTorch's side of experiments/bench_ops: the same work, the same thread count.

Prints one JSON object per row: {"row", "median_ms", "peak_rss_mb", "torch"} (and
"peak_device_mb" with --device cuda, where the inputs live on the GPU, every run is timed to the
end of its GPU work, TF32 is off and cuDNN picks algorithms by search). Each row runs in a forked
child, so its peak RSS is its own. Uses whatever torch `python3` imports (Debian's
python3-torch by default; bench_ops passes --python to choose another).
"""
import argparse
import json
import os
import statistics
import sys
import time

from bench_child import run_in_child

torch = F = None  # imported in main(), after the thread count is in the environment


def gemm(m, n, k):
    a = torch.randn(m, k)
    b = torch.randn(k, n)
    return lambda: torch.matmul(a, b)


def conv(n, c_in, c_out, h, w, kernel, stride, padding):
    x = torch.randn(n, c_in, h, w, requires_grad=True)
    weight = torch.randn(c_out, c_in, kernel, kernel, requires_grad=True)
    h_out = (h + 2 * padding - kernel) // stride + 1
    w_out = (w + 2 * padding - kernel) // stride + 1
    grad = torch.randn(n, c_out, h_out, w_out)

    def step():
        x.grad = None
        weight.grad = None
        F.conv2d(x, weight, None, stride, padding).backward(grad)

    return step


def softmax_cross_entropy(n, c):
    logits = torch.randn(n, c, requires_grad=True)
    target = torch.randint(0, c, (n,))

    def step():
        logits.grad = None
        F.cross_entropy(logits, target).backward()

    return step


def layer_norm(shape):
    x = torch.randn(*shape, requires_grad=True)
    weight = torch.randn(shape[-1], requires_grad=True)
    bias = torch.randn(shape[-1], requires_grad=True)
    grad = torch.randn(*shape)

    def step():
        x.grad = weight.grad = bias.grad = None
        F.layer_norm(x, (shape[-1],), weight, bias).backward(grad)

    return step


def batch_norm(shape):
    x = torch.randn(*shape, requires_grad=True)
    weight = torch.ones(shape[1], requires_grad=True)
    bias = torch.zeros(shape[1], requires_grad=True)
    running_mean, running_var = torch.zeros(shape[1]), torch.ones(shape[1])
    grad = torch.randn(*shape)

    def step():
        x.grad = weight.grad = bias.grad = None
        F.batch_norm(x, running_mean, running_var, weight, bias, True).backward(grad)

    return step


def relu(shape):
    x = torch.randn(*shape, requires_grad=True)
    grad = torch.randn(*shape)

    def step():
        x.grad = None
        F.relu(x).backward(grad)

    return step


def max_pool(shape):
    x = torch.randn(*shape, requires_grad=True)
    out = F.max_pool2d(x.detach(), 3, 2, 1)
    grad = torch.randn(*out.shape)

    def step():
        x.grad = None
        F.max_pool2d(x, 3, 2, 1).backward(grad)

    return step


def residual_add(shape):
    a = torch.randn(*shape, requires_grad=True)
    b = torch.randn(*shape, requires_grad=True)
    grad = torch.randn(*shape)

    def step():
        a.grad = b.grad = None
        (a + b).backward(grad)

    return step


# Keep in step with the rows of experiments/bench_ops.cpp.
ROWS = {
    "gemm 1024x1024x1024": lambda: gemm(1024, 1024, 1024),
    "gemm 4096x512x512": lambda: gemm(4096, 512, 512),
    "conv2d fwd+bwd stage1 8x64x56x56": lambda: conv(8, 64, 64, 56, 56, 3, 1, 1),
    "conv2d fwd+bwd stage2 8x128x28x28": lambda: conv(8, 128, 128, 28, 28, 3, 1, 1),
    "conv2d fwd+bwd stage3 8x256x14x14": lambda: conv(8, 256, 256, 14, 14, 3, 1, 1),
    "conv2d fwd+bwd stage4 8x512x7x7": lambda: conv(8, 512, 512, 7, 7, 3, 1, 1),
    "conv2d fwd+bwd stem 8x1x257x188": lambda: conv(8, 1, 64, 257, 188, 7, 2, 3),
    "conv2d fwd+bwd cifar stem 64x3x32x32": lambda: conv(64, 3, 64, 32, 32, 7, 2, 3),
    "conv2d fwd+bwd cifar l1 64x64x8x8": lambda: conv(64, 64, 64, 8, 8, 3, 1, 1),
    "conv2d fwd+bwd cifar l2 s2 64x64x8x8": lambda: conv(64, 64, 128, 8, 8, 3, 2, 1),
    "conv2d fwd+bwd cifar l2 ds1x1 64x64x8x8": lambda: conv(64, 64, 128, 8, 8, 1, 2, 0),
    "conv2d fwd+bwd cifar l2 64x128x4x4": lambda: conv(64, 128, 128, 4, 4, 3, 1, 1),
    "conv2d fwd+bwd cifar l3 s2 64x128x4x4": lambda: conv(64, 128, 256, 4, 4, 3, 2, 1),
    "conv2d fwd+bwd cifar l3 64x256x2x2": lambda: conv(64, 256, 256, 2, 2, 3, 1, 1),
    "conv2d fwd+bwd cifar l4 s2 64x256x2x2": lambda: conv(64, 256, 512, 2, 2, 3, 2, 1),
    "conv2d fwd+bwd cifar l4 64x512x1x1": lambda: conv(64, 512, 512, 1, 1, 3, 1, 1),
    "max_pool2d 3x3s2 fwd+bwd 64x64x16x16": lambda: max_pool((64, 64, 16, 16)),
    "softmax+cross_entropy fwd+bwd 64x1000": lambda: softmax_cross_entropy(64, 1000),
    "layer_norm fwd+bwd 16x64x256": lambda: layer_norm((16, 64, 256)),
    "batch_norm fwd+bwd 8x64x112x112": lambda: batch_norm((8, 64, 112, 112)),
    "relu fwd+bwd 8x64x112x112": lambda: relu((8, 64, 112, 112)),
    "max_pool2d 3x3s2 fwd+bwd 8x64x112x112": lambda: max_pool((8, 64, 112, 112)),
    "add fwd+bwd 8x64x56x56": lambda: residual_add((8, 64, 56, 56)),
    "conv2d fwd+bwd stem 64x3x224x224": lambda: conv(64, 3, 64, 224, 224, 7, 2, 3),
    "conv2d fwd+bwd stage1 64x64x56x56": lambda: conv(64, 64, 64, 56, 56, 3, 1, 1),
    "batch_norm fwd+bwd 64x64x112x112": lambda: batch_norm((64, 64, 112, 112)),
    "relu fwd+bwd 64x64x112x112": lambda: relu((64, 64, 112, 112)),
    "max_pool2d 3x3s2 fwd+bwd 64x64x112x112": lambda: max_pool((64, 64, 112, 112)),
    "add fwd+bwd 64x64x56x56": lambda: residual_add((64, 64, 56, 56)),
}


MIN_WARMUP_S = 0.05
MIN_TIMED_S = 0.25
MAX_RUNS = 10000


def time_row(name, warmup, repeats, device):
    """Median ms of at least `repeats` runs and of at least MIN_TIMED_S of runs (as bench_ops)."""
    if device == "cuda":
        torch.set_default_device("cuda")  # the row's inputs are created on the GPU
        run = ROWS[name]()

        def step():
            run()
            torch.cuda.synchronize()
    else:
        step = ROWS[name]()
    started = time.perf_counter()
    done = 0
    while done < warmup or time.perf_counter() - started < MIN_WARMUP_S:
        step()
        done += 1
    times = []
    started = time.perf_counter()
    while len(times) < repeats or (time.perf_counter() - started < MIN_TIMED_S and len(times) < MAX_RUNS):
        start = time.perf_counter()
        step()
        times.append((time.perf_counter() - start) * 1e3)
    return statistics.median(times)


def main():
    global torch, F
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, required=True)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=11)
    parser.add_argument("--rows", default="", help="comma-separated row names (default: all)")
    parser.add_argument("--device", choices=("cpu", "cuda"), default="cpu")
    args = parser.parse_args()
    # torch.set_num_threads does not reach the BLAS that Debian's torch calls for matmul
    # (OpenBLAS with its own threads): that one reads its count when it loads.
    for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[variable] = str(args.threads)
    import torch as torch_module
    import torch.nn.functional as functional
    torch, F = torch_module, functional
    names = [r for r in args.rows.split(",") if r] or list(ROWS)
    unknown = [n for n in names if n not in ROWS]
    if unknown:
        sys.exit(f"bench_ops_torch.py: unknown rows {unknown}")
    extra = None
    if args.device == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = False
        torch.backends.cudnn.benchmark = True

        def extra():
            return {"peak_device_mb": torch.cuda.max_memory_allocated() / 2**20}
    for name in names:
        result = run_in_child("bench_ops_torch.py", name, args.threads,
                              lambda: time_row(name, args.warmup, args.repeats, args.device), extra)
        print(json.dumps({"row": name, "torch": torch.__version__, **result}), flush=True)


if __name__ == "__main__":
    main()
