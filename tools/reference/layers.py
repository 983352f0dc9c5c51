"""Reference cases for the basic layers (layers/*.h).

Every case is tiny (a few KB). Affine and running-statistics tensors that PyTorch initialises to
constants are randomised first, so that a swapped weight/bias or mean/var would show.
"""

import torch

from reference.common import case


def randomise_batch_norm(bn):
    """Non-trivial affine parameters and running statistics (num_batches_tracked 3)."""
    with torch.no_grad():
        bn.weight.copy_(1 + 0.5 * torch.randn(bn.num_features))
        bn.bias.copy_(0.5 * torch.randn(bn.num_features))
        bn.running_mean.copy_(torch.randn(bn.num_features))
        bn.running_var.copy_(0.5 + torch.rand(bn.num_features))
        bn.num_batches_tracked.fill_(3)
    return bn


def randomise_affine(module):
    with torch.no_grad():
        module.weight.copy_(1 + 0.5 * torch.randn(module.weight.shape))
        module.bias.copy_(0.5 * torch.randn(module.bias.shape))
    return module


# Linear


@case("linear")
def linear():
    return torch.nn.Linear(5, 3), [torch.randn(2, 4, 5)], {"in": 5, "out": 3, "bias": True}


@case("linear_no_bias")
def linear_no_bias():
    return torch.nn.Linear(4, 6, bias=False), [torch.randn(3, 4)], {"in": 4, "out": 6, "bias": False}


# Convolution


@case("conv2d")
def conv2d():
    module = torch.nn.Conv2d(4, 6, 3, stride=2, padding=1, dilation=2, groups=2, bias=True)
    config = {"in": 4, "out": 6, "kernel": 3, "stride": 2, "padding": 1, "dilation": 2, "groups": 2}
    return module, [torch.randn(2, 4, 7, 8)], config


@case("conv2d_rect_no_bias")
def conv2d_rect_no_bias():
    module = torch.nn.Conv2d(3, 4, (3, 2), stride=(1, 2), padding=(1, 0), bias=False)
    config = {"in": 3, "out": 4, "kernel": [3, 2], "stride": [1, 2], "padding": [1, 0]}
    return module, [torch.randn(2, 3, 5, 6)], config


@case("conv3d")
def conv3d():
    module = torch.nn.Conv3d(2, 3, 3, stride=2, padding=1)
    config = {"in": 2, "out": 3, "kernel": 3, "stride": 2, "padding": 1}
    return module, [torch.randn(2, 2, 5, 6, 5)], config


@case("conv3d_anisotropic")
def conv3d_anisotropic():
    module = torch.nn.Conv3d(2, 4, (1, 3, 3), stride=(1, 2, 2), padding=(0, 1, 1))
    config = {"in": 2, "out": 4, "kernel": [1, 3, 3], "stride": [1, 2, 2], "padding": [0, 1, 1]}
    return module, [torch.randn(1, 2, 3, 5, 6)], config


# Batch norm: training mode checks the running statistics after the pass (buffer_after.*),
# evaluation mode normalises with non-trivial running statistics.


def batch_norm_case(cls, channels, shape, train):
    module = randomise_batch_norm(cls(channels))
    return module, [torch.randn(*shape)], {"channels": channels}, train


@case("batch_norm1d_2d_train")
def batch_norm1d_2d_train():
    return batch_norm_case(torch.nn.BatchNorm1d, 4, (6, 4), True)


@case("batch_norm1d_2d_eval")
def batch_norm1d_2d_eval():
    return batch_norm_case(torch.nn.BatchNorm1d, 4, (6, 4), False)


@case("batch_norm1d_3d_train")
def batch_norm1d_3d_train():
    return batch_norm_case(torch.nn.BatchNorm1d, 3, (4, 3, 5), True)


@case("batch_norm1d_3d_eval")
def batch_norm1d_3d_eval():
    return batch_norm_case(torch.nn.BatchNorm1d, 3, (4, 3, 5), False)


@case("batch_norm2d_train")
def batch_norm2d_train():
    return batch_norm_case(torch.nn.BatchNorm2d, 4, (3, 4, 5, 5), True)


@case("batch_norm2d_eval")
def batch_norm2d_eval():
    return batch_norm_case(torch.nn.BatchNorm2d, 4, (3, 4, 5, 5), False)


@case("batch_norm3d_train")
def batch_norm3d_train():
    return batch_norm_case(torch.nn.BatchNorm3d, 3, (2, 3, 3, 4, 4), True)


@case("batch_norm3d_eval")
def batch_norm3d_eval():
    return batch_norm_case(torch.nn.BatchNorm3d, 3, (2, 3, 3, 4, 4), False)


# Activations


@case("relu")
def relu():
    return torch.nn.ReLU(), [torch.randn(3, 5)], {}


@case("gelu")
def gelu():
    return torch.nn.GELU(), [3 * torch.randn(4, 6)], {"approximate": "none"}


@case("gelu_tanh")
def gelu_tanh():
    return torch.nn.GELU(approximate="tanh"), [3 * torch.randn(4, 6)], {"approximate": "tanh"}


@case("tanh")
def tanh():
    return torch.nn.Tanh(), [2 * torch.randn(3, 5)], {}


# Pooling


@case("max_pool2d")
def max_pool2d():
    module = torch.nn.MaxPool2d(3, stride=2, padding=1, ceil_mode=True)
    config = {"kernel": 3, "stride": 2, "padding": 1, "ceil_mode": True}
    return module, [torch.randn(2, 3, 8, 9)], config


@case("max_pool2d_default")
def max_pool2d_default():
    return torch.nn.MaxPool2d(2), [torch.randn(2, 2, 5, 7)], {"kernel": 2}


@case("max_pool3d")
def max_pool3d():
    module = torch.nn.MaxPool3d(2, stride=(1, 2, 2), padding=1, ceil_mode=True)
    config = {"kernel": 2, "stride": [1, 2, 2], "padding": 1, "ceil_mode": True}
    return module, [torch.randn(1, 2, 3, 5, 6)], config


@case("avg_pool2d")
def avg_pool2d():
    module = torch.nn.AvgPool2d(3, stride=2, padding=1, ceil_mode=True, count_include_pad=False)
    config = {"kernel": 3, "stride": 2, "padding": 1, "ceil_mode": True, "count_include_pad": False}
    return module, [torch.randn(2, 3, 7, 8)], config


@case("avg_pool2d_include_pad")
def avg_pool2d_include_pad():
    module = torch.nn.AvgPool2d(3, stride=2, padding=1, ceil_mode=True, count_include_pad=True)
    config = {"kernel": 3, "stride": 2, "padding": 1, "ceil_mode": True, "count_include_pad": True}
    return module, [torch.randn(2, 3, 7, 8)], config


@case("avg_pool3d")
def avg_pool3d():
    module = torch.nn.AvgPool3d(2, stride=(1, 2, 2), padding=1, ceil_mode=True,
                                count_include_pad=False)
    config = {"kernel": 2, "stride": [1, 2, 2], "padding": 1, "ceil_mode": True,
              "count_include_pad": False}
    return module, [torch.randn(1, 2, 4, 5, 6)], config


@case("adaptive_avg_pool2d")
def adaptive_avg_pool2d():
    return torch.nn.AdaptiveAvgPool2d((3, 4)), [torch.randn(2, 3, 7, 9)], {"output": [3, 4]}


@case("adaptive_avg_pool3d")
def adaptive_avg_pool3d():
    module = torch.nn.AdaptiveAvgPool3d((2, 3, 2))
    return module, [torch.randn(1, 2, 5, 7, 3)], {"output": [2, 3, 2]}


# Dropout in evaluation mode: the identity.


@case("dropout_eval")
def dropout_eval():
    return torch.nn.Dropout(0.5), [torch.randn(4, 5)], {"p": 0.5}, False


@case("identity")
def identity():
    return torch.nn.Identity(), [torch.randn(3, 4)], {}


# Embedding: int64 input (no input gradient); the padding row gets no gradient.


@case("embedding")
def embedding():
    module = torch.nn.Embedding(10, 4, padding_idx=2)
    indices = torch.tensor([[1, 2, 3, 2, 9], [0, 2, 5, 5, 7], [2, 8, 1, 4, 6]], dtype=torch.int64)
    return module, [indices], {"num": 10, "dim": 4, "padding_idx": 2}


# Layer norm


@case("layer_norm")
def layer_norm():
    module = randomise_affine(torch.nn.LayerNorm(6))
    return module, [torch.randn(2, 3, 6)], {"normalized_shape": [6]}


@case("layer_norm_2d")
def layer_norm_2d():
    module = randomise_affine(torch.nn.LayerNorm([3, 4]))
    return module, [torch.randn(2, 3, 4)], {"normalized_shape": [3, 4]}


# Sequential: names 0.weight, 1.running_mean, ... in training mode. The convolution has no bias
# (as in ResNet): a bias before training-mode batch norm has a gradient of exactly 0, which both
# sides compute as rounding noise that no relative tolerance can compare.


@case("sequential")
def sequential():
    module = torch.nn.Sequential(
        torch.nn.Conv2d(3, 4, 3, padding=1, bias=False),
        randomise_batch_norm(torch.nn.BatchNorm2d(4)),
        torch.nn.ReLU(),
        torch.nn.MaxPool2d(2),
    )
    return module, [torch.randn(2, 3, 6, 6)], {}, True
