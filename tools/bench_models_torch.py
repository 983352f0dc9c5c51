#!/usr/bin/env python3
"""PyTorch's side of experiments/bench_models: whole training steps, the same thread count.

Every row times one full training step of a model in train mode, in float32: forward,
cross-entropy loss, backward, torch.optim.SGD(lr=0.01, momentum=0.9, weight_decay=1e-4).step(),
zero_grad(set_to_none=True). Inputs, labels and the model are built once per row, in the row's
forked child, after torch.manual_seed(0); building them is not timed.

Rows (keep in step with experiments/bench_models.cpp):
  av_cremad       the audio-visual classifier of the OGM-GE / AMSS reference code at CREMA-D
                  shapes, batch 8: audio ResNet-18 trunk (1 input channel) on a spectrogram
                  [8, 1, 257, 188] -> adaptive_avg_pool2d(1) -> 512; visual ResNet-18 trunk
                  (3 input channels) on frames [8, 3, 1, 224, 224] (B, C, T, H, W), run as
                  (B*T, C, H, W), the feature map put back to (B, 512, T, 7, 7) ->
                  adaptive_avg_pool3d(1) -> 512; concat [audio, visual] -> Linear(1024, 6).
                  The trunks are torchvision's resnet18 up to layer4 (no avgpool, no fc).
  av_cremad_b64   the same at batch 64 (the GPU workload of tools/gpu_check.sh).
  text_encoder    a BERT-style encoder computed as Hugging Face's BertModel computes it (post-norm,
                  erf GELU, LayerNorm eps 1e-12, dropout 0.1): 4 layers, hidden 256, 4 heads,
                  intermediate 1024, vocabulary 30522, 512 positions, 2 token types; pooler
                  (dense + tanh on [CLS]) -> dropout -> Linear(256, 2), as
                  BertForSequenceClassification. Batch 16, sequence 64; rows 8..15 end in padding
                  (lengths drawn from [16, 64)), masked out of attention as keys.
  resnet18_cifar  torchvision resnet18(num_classes=10) on [64, 3, 32, 32], batch 64. The standard
                  ImageNet stem (7x7 stride-2 conv, 3x3 stride-2 max pool) is kept exactly as
                  torchvision has it, not the CIFAR variant's 3x3 stem, so layer4 runs at 1x1.

With --device cuda everything lives on the GPU, each step is timed to the end of its GPU work
(torch.cuda.synchronize), TF32 is off for matmul and convolution (as maskgrad's default) and
cuDNN picks its algorithms by search (cudnn.benchmark), as maskgrad does.

Prints one JSON object per row: {"row", "median_ms", "peak_rss_mb", "torch"}, plus
"peak_device_mb" (torch.cuda.max_memory_allocated) on a GPU: the median of --repeats timed steps
after --warmup untimed ones, and the child's peak RSS (ru_maxrss). Each row runs in a forked
child, so its peak RSS is its own. Uses whatever torch `python3` imports (Debian's python3-torch
by default).
"""
import argparse
import json
import math
import os
import statistics
import sys
import time

from bench_child import run_in_child

torch = nn = F = torchvision = None  # imported in main(), after the thread count is in the environment


def resnet18_trunk(in_channels, activation):
    """torchvision's resnet18 from conv1 through layer4 (no avgpool, no fc).

    `activation` replaces every ReLU ("relu" keeps them). The AMSS reference code uses GELU in
    its ResNet; the benchmark defaults to ReLU for both modalities so that the comparison with
    maskgrad is like for like.
    """
    net = torchvision.models.resnet18()
    if in_channels != 3:
        net.conv1 = nn.Conv2d(in_channels, 64, kernel_size=7, stride=2, padding=3, bias=False)
        nn.init.kaiming_normal_(net.conv1.weight, mode="fan_out", nonlinearity="relu")
    if activation == "gelu":
        for module in list(net.modules()):
            for name, child in module.named_children():
                if isinstance(child, nn.ReLU):
                    setattr(module, name, nn.GELU())
    return nn.Sequential(net.conv1, net.bn1, net.relu, net.maxpool,
                         net.layer1, net.layer2, net.layer3, net.layer4)


def av_cremad(activation, batch=8):
    frames, classes = 1, 6
    model = nn.ModuleDict({
        "audio": resnet18_trunk(1, activation),
        "visual": resnet18_trunk(3, activation),
        "head": nn.Linear(1024, classes),
    })
    spectrogram = torch.randn(batch, 1, 257, 188)
    video = torch.randn(batch, 3, frames, 224, 224)

    def forward():
        audio = F.adaptive_avg_pool2d(model["audio"](spectrogram), 1).flatten(1)
        b, c, t, h, w = video.shape
        visual = model["visual"](video.permute(0, 2, 1, 3, 4).reshape(b * t, c, h, w))
        _, c, h, w = visual.shape
        visual = visual.view(b, t, c, h, w).permute(0, 2, 1, 3, 4)
        visual = F.adaptive_avg_pool3d(visual, 1).flatten(1)
        return model["head"](torch.cat([audio, visual], dim=1))

    return model, forward, torch.randint(0, classes, (batch,))


def text_encoder(_activation):
    batch, seq, hidden, heads, layers, classes = 16, 64, 256, 4, 4, 2
    vocab, positions, token_types, intermediate = 30522, 512, 2, 1024
    dropout, eps = 0.1, 1e-12
    head_dim = hidden // heads

    def layer():
        return nn.ModuleDict({
            "query": nn.Linear(hidden, hidden),
            "key": nn.Linear(hidden, hidden),
            "value": nn.Linear(hidden, hidden),
            "attention_output": nn.Linear(hidden, hidden),
            "attention_norm": nn.LayerNorm(hidden, eps=eps),
            "intermediate": nn.Linear(hidden, intermediate),
            "output": nn.Linear(intermediate, hidden),
            "output_norm": nn.LayerNorm(hidden, eps=eps),
        })

    model = nn.ModuleDict({
        "word": nn.Embedding(vocab, hidden, padding_idx=0),
        "position": nn.Embedding(positions, hidden),
        "token_type": nn.Embedding(token_types, hidden),
        "embedding_norm": nn.LayerNorm(hidden, eps=eps),
        "layers": nn.ModuleList(layer() for _ in range(layers)),
        "pooler": nn.Linear(hidden, hidden),
        "classifier": nn.Linear(hidden, classes),
    })
    # BertPreTrainedModel._init_weights: N(0, 0.02) weights, zero biases, the padding row zero.
    for module in model.modules():
        if isinstance(module, (nn.Linear, nn.Embedding)):
            nn.init.normal_(module.weight, std=0.02)
        if isinstance(module, nn.Linear):
            nn.init.zeros_(module.bias)
    with torch.no_grad():
        model["word"].weight[0].zero_()

    lengths = torch.full((batch,), seq)
    lengths[batch // 2:] = torch.randint(16, seq, (batch - batch // 2,))
    attention_mask = (torch.arange(seq) < lengths[:, None]).float()
    input_ids = torch.randint(1, vocab, (batch, seq)) * attention_mask.long()  # 0 = [PAD]
    token_type_ids = torch.zeros(batch, seq, dtype=torch.long)
    position_ids = torch.arange(seq)[None, :]
    # BertModel.get_extended_attention_mask: 0 where attended, the dtype's minimum where padded.
    additive_mask = (1.0 - attention_mask[:, None, None, :]) * torch.finfo(torch.float32).min

    def split_heads(x):
        return x.view(batch, seq, heads, head_dim).transpose(1, 2)

    def encoder_layer(p, x):
        q, k, v = (split_heads(p[name](x)) for name in ("query", "key", "value"))
        scores = q @ k.transpose(-1, -2) / math.sqrt(head_dim) + additive_mask
        probs = F.dropout(scores.softmax(dim=-1), dropout, model.training)
        context = (probs @ v).transpose(1, 2).reshape(batch, seq, hidden)
        attended = F.dropout(p["attention_output"](context), dropout, model.training)
        x = p["attention_norm"](attended + x)
        expanded = F.gelu(p["intermediate"](x))
        out = F.dropout(p["output"](expanded), dropout, model.training)
        return p["output_norm"](out + x)

    def forward():
        x = model["word"](input_ids) + model["position"](position_ids) + model["token_type"](token_type_ids)
        x = F.dropout(model["embedding_norm"](x), dropout, model.training)
        for p in model["layers"]:
            x = encoder_layer(p, x)
        pooled = torch.tanh(model["pooler"](x[:, 0]))
        return model["classifier"](F.dropout(pooled, dropout, model.training))

    return model, forward, torch.randint(0, classes, (batch,))


def resnet18_cifar(_activation):
    batch, classes = 64, 10
    model = torchvision.models.resnet18(num_classes=classes)
    images = torch.randn(batch, 3, 32, 32)
    return model, lambda: model(images), torch.randint(0, classes, (batch,))


# Keep in step with the rows of experiments/bench_models.cpp.
ROWS = {
    "av_cremad": av_cremad,
    "av_cremad_b64": lambda activation: av_cremad(activation, batch=64),
    "text_encoder": text_encoder,
    "resnet18_cifar": resnet18_cifar,
}


def training_step(name, activation, device):
    """Builds row `name` (seeded) on `device` and returns one training step of it as a callable."""
    torch.manual_seed(0)
    if device == "cuda":
        torch.set_default_device("cuda")  # the rows create their inputs where the model runs
    model, forward, labels = ROWS[name](activation)
    model.to(device)
    labels = labels.to(device)
    model.train()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=1e-4)

    def step():
        F.cross_entropy(forward(), labels).backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        if device == "cuda":
            torch.cuda.synchronize()

    return step


def time_row(name, args):
    """Median ms of `args.repeats` steps after `args.warmup` untimed ones."""
    step = training_step(name, args.activation, args.device)
    for _ in range(args.warmup):
        step()
    times = []
    for _ in range(args.repeats):
        start = time.perf_counter()
        step()
        times.append((time.perf_counter() - start) * 1e3)
    return statistics.median(times)


def positive(text):
    value = int(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expects a positive integer, got '{text}'")
    return value


def main():
    global torch, nn, F, torchvision
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=positive, default=os.cpu_count() or 1,
                        help="threads for torch and its BLAS (default: all cores)")
    parser.add_argument("--warmup", type=positive, default=3, help="untimed steps per row (default 3)")
    parser.add_argument("--repeats", type=positive, default=7,
                        help="timed steps per row; the median is reported (default 7)")
    parser.add_argument("--rows", default="", help="comma-separated row names (default: all)")
    parser.add_argument("--activation", choices=("relu", "gelu"), default="relu",
                        help="activation of av_cremad's ResNets (default relu; AMSS uses gelu)")
    parser.add_argument("--device", choices=("cpu", "cuda"), default="cpu",
                        help="where the models and inputs live (default cpu)")
    parser.add_argument("--list", action="store_true", help="print the row names and exit")
    args = parser.parse_args()
    if args.list:
        print("\n".join(ROWS))
        return
    names = [r for r in args.rows.split(",") if r] or list(ROWS)
    unknown = [n for n in names if n not in ROWS]
    if unknown:
        sys.exit(f"bench_models_torch.py: unknown rows {unknown}")
    # torch.set_num_threads does not reach the BLAS that Debian's torch calls for matmul
    # (OpenBLAS with its own threads): that one reads its count when it loads.
    for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[variable] = str(args.threads)
    import torch as torch_module
    import torch.nn as nn_module
    import torch.nn.functional as functional
    import torchvision as torchvision_module
    torch, nn, F, torchvision = torch_module, nn_module, functional, torchvision_module
    extra = None
    if args.device == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = False
        torch.backends.cudnn.benchmark = True

        def extra():
            return {"peak_device_mb": torch.cuda.max_memory_allocated() / 2**20}
    for name in names:
        result = run_in_child("bench_models_torch.py", name, args.threads,
                              lambda: time_row(name, args), extra)
        print(json.dumps({"row": name, **result, "torch": torch.__version__}), flush=True)


if __name__ == "__main__":
    main()
