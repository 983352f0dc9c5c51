#!/usr/bin/env python3
"""Writes the PyTorch reference fixtures the parity tests compare against.

Usage: tools/make_reference.py [--out tests/fixtures] [--large] [--list] [case ...]

Without case names it writes every small case (committed); --large writes the large ones (not
committed) into <out>/large/.

Each case lives in a module of tools/reference/ and is registered with @case("name"); it builds a
PyTorch module with a fixed seed and returns (module, inputs, config) or
(module, inputs, config, train). tools/reference/common.py documents the fixture layout.
Needs PyTorch (Debian's python3-torch) and, for the torchvision cases, python3-torchvision.
"""

import argparse
import importlib
import json
import os
import pkgutil
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from reference import common  # noqa: E402


def load_cases():
    package_dir = os.path.join(HERE, "reference")
    for info in pkgutil.iter_modules([package_dir]):
        if info.name != "common":
            importlib.import_module(f"reference.{info.name}")
    return common.CASES


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("cases", nargs="*", help="case names (default: all)")
    parser.add_argument("--out", default=os.path.join(HERE, "..", "tests", "fixtures"))
    parser.add_argument("--large", action="store_true", help="write the large cases only")
    parser.add_argument("--list", action="store_true", help="list the cases and exit")
    args = parser.parse_args()

    cases = load_cases()
    if args.list:
        print("\n".join(sorted(cases)))
        return
    unknown = [name for name in args.cases if name not in cases]
    if unknown:
        parser.error(f"unknown cases: {', '.join(unknown)}")
    torch.set_num_threads(1)
    default = [name for name in sorted(cases) if (name in common.LARGE_CASES) == args.large]
    skipped = []
    for name in args.cases or default:
        torch.manual_seed(0)
        try:
            built = cases[name]()
        except common.MissingDependency as error:
            print(f"{name}: skipped, {error}", file=sys.stderr)
            skipped.append(name)
            continue
        if isinstance(built, common.Tensors):
            tensors = built.tensors
            metadata = {"config": json.dumps(built.config, sort_keys=True), "train": "0"}
        else:
            module, inputs, config = built[:3]
            train = built[3] if len(built) > 3 else False
            tensors, metadata = common.record(module, inputs, config, train=train)
        folder = os.path.join(args.out, "large") if name in common.LARGE_CASES else args.out
        os.makedirs(folder, exist_ok=True)
        path = os.path.join(folder, f"{name}.safetensors")
        common.write_safetensors(path, tensors, metadata)
        print(f"{name}: {len(tensors)} tensors, {os.path.getsize(path)} bytes")
    if skipped:
        sys.exit(f"make_reference.py: not written (missing libraries): {', '.join(skipped)}")


if __name__ == "__main__":
    main()
