"""Reference cases for the basic layers (layers/*.h)."""

import torch

from reference.common import case


@case("linear")
def linear():
    return torch.nn.Linear(5, 3), [torch.randn(2, 4, 5)], {"in": 5, "out": 3, "bias": True}
