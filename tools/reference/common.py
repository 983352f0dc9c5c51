"""Fixture writing shared by every reference case.

A fixture is one safetensors file, tests/fixtures/<case>.safetensors, holding (all float32 unless
the input is an index tensor):

  param.<name>         the module's state_dict before the forward pass (parameters and buffers)
  input.<i>            the forward inputs, in call order
  output.<i>           the forward outputs (a tuple output gives several)
  cotangent.<i>        dL/d output.<i>: the backward pass computes L = sum_i <output_i, cotangent_i>
  grad.input.<i>       dL/d input.<i> for floating-point inputs
  grad.param.<name>    dL/d parameter (parameters that receive a gradient)
  buffer_after.<name>  buffers after the forward pass (training-mode batch-norm statistics)

and metadata {"config": <JSON of the case's settings>, "train": "0" | "1"}. The C++ side reads
it with tests/parity_util.h.
"""

import json
import os
import struct

import torch

CASES = {}
# Cases too big to commit (a full torchvision ResNet-18): written to tests/fixtures/large/, which
# git ignores and `./run.sh slow` fills before running the `slow` tests that read it.
LARGE_CASES = set()

_DTYPES = {
    torch.float32: "F32",
    torch.float64: "F64",
    torch.int64: "I64",
    torch.uint8: "U8",
    torch.bool: "BOOL",
}


class MissingDependency(Exception):
    """Raised by a case whose reference library (e.g. transformers) is not installed."""


class Tensors:
    """What a case returns instead of (module, inputs, config) when it records its own tensors
    (e.g. optimizer trajectories): written as they are, with metadata {"config": JSON of
    `config`, "train": "0"}."""

    def __init__(self, tensors, config):
        self.tensors = tensors
        self.config = config


def case(name, large=False):
    """Registers a function that returns (module, inputs, config[, train]) as fixture `name`."""

    def register(function):
        if name in CASES:
            raise ValueError(f"duplicate reference case {name}")
        CASES[name] = function
        if large:
            LARGE_CASES.add(name)
        return function

    return register


def write_safetensors(path, tensors, metadata):
    """Writes {name: tensor} as safetensors (no dependency on the safetensors package)."""
    header = {"__metadata__": metadata} if metadata else {}
    blobs = []
    offset = 0
    for name, tensor in tensors.items():
        tensor = tensor.detach().contiguous().cpu()
        if tensor.dtype not in _DTYPES:
            raise ValueError(f"{name}: unsupported dtype {tensor.dtype}")
        data = tensor.numpy().tobytes() if tensor.numel() else b""
        header[name] = {
            "dtype": _DTYPES[tensor.dtype],
            "shape": list(tensor.shape),
            "data_offsets": [offset, offset + len(data)],
        }
        blobs.append(data)
        offset += len(data)
    encoded = json.dumps(header, separators=(",", ":")).encode()
    encoded += b" " * (-len(encoded) % 8)
    temporary = path + ".tmp"
    with open(temporary, "wb") as out:
        out.write(struct.pack("<Q", len(encoded)))
        out.write(encoded)
        for blob in blobs:
            out.write(blob)
    os.replace(temporary, path)


def record(module, inputs, config, train=False, seed=0):
    """Runs forward and backward once and returns the fixture's tensors and metadata."""
    module.train(train)
    tensors = {}
    for name, value in module.state_dict().items():
        tensors[f"param.{name}"] = value.detach().clone()
    leaves = []
    for i, x in enumerate(inputs):
        x = x.detach().clone()
        if x.is_floating_point():
            x.requires_grad_(True)
        leaves.append(x)
        tensors[f"input.{i}"] = x.detach().clone()
    outputs = module(*leaves)
    if not isinstance(outputs, (tuple, list)):
        outputs = (outputs,)
    generator = torch.Generator().manual_seed(seed + 1)
    loss = 0
    for i, y in enumerate(outputs):
        tensors[f"output.{i}"] = y.detach().clone()
        if y.is_floating_point():
            cotangent = torch.randn(y.shape, generator=generator, dtype=y.dtype)
            tensors[f"cotangent.{i}"] = cotangent
            loss = loss + (y * cotangent).sum()
    loss.backward()
    for i, x in enumerate(leaves):
        if x.grad is not None:
            tensors[f"grad.input.{i}"] = x.grad
    for name, parameter in module.named_parameters():
        if parameter.grad is not None:
            tensors[f"grad.param.{name}"] = parameter.grad
    if train:
        for name, buffer in module.named_buffers():
            tensors[f"buffer_after.{name}"] = buffer.detach().clone()
    metadata = {"config": json.dumps(config, sort_keys=True), "train": "1" if train else "0"}
    return tensors, metadata
