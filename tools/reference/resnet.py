"""Reference cases for layers/models/resnet.h, layers/fusion.h and layers/models/av_classifier.h.

ResNets are torchvision's own classes (torchvision.models.resnet.ResNet, BasicBlock, Bottleneck,
ResNet._make_layer and ResNet.forward). torchvision hard-codes the widths 64/128/256/512, so a
REDUCED ResNet is made by building torchvision's ResNet with the wanted stage depths and then
rebuilding its stem and stages at a smaller width with torchvision's own _make_layer (after
setting `inplanes`, which is what _make_layer reads), and re-running torchvision's initialisation
(kaiming_normal_ fan_out for convs, BN 1/0). GELU variants swap every block's and the stem's
`relu` module for nn.GELU(). The fusion heads and the audio-visual classifier are written here
(they define our per-modality logits; their fused outputs follow OGM-GE's fusion_modules.py and
basic_model.py).
"""

import torch
from torch import nn
from torch.nn import functional as F
from torchvision.models import resnet as tv

from reference.common import case

BLOCKS = {"basic": tv.BasicBlock, "bottleneck": tv.Bottleneck}


def reduced_resnet(block, layers, width, in_channels=3, num_classes=10, activation="relu"):
    """torchvision's ResNet with stem width `width` (stages width·{1,2,4,8}); num_classes 0: no fc."""
    block = BLOCKS[block]
    model = tv.ResNet(block, layers, num_classes=max(num_classes, 1))
    model.inplanes = width
    model.conv1 = nn.Conv2d(in_channels, width, kernel_size=7, stride=2, padding=3, bias=False)
    model.bn1 = nn.BatchNorm2d(width)
    model.layer1 = model._make_layer(block, width, layers[0])
    model.layer2 = model._make_layer(block, width * 2, layers[1], stride=2)
    model.layer3 = model._make_layer(block, width * 4, layers[2], stride=2)
    model.layer4 = model._make_layer(block, width * 8, layers[3], stride=2)
    if num_classes > 0:
        model.fc = nn.Linear(width * 8 * block.expansion, num_classes)
    else:
        del model.fc
        model.fc = nn.Identity()
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
        elif isinstance(m, nn.BatchNorm2d):
            nn.init.constant_(m.weight, 1)
            nn.init.constant_(m.bias, 0)
    if activation == "gelu":
        for m in list(model.modules()):
            if hasattr(m, "relu"):
                m.relu = nn.GELU()
    # Non-trivial batch-norm affine parameters and running statistics, so that eval mode checks
    # more than the identity normalisation.
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.2, 0.2)
                m.running_mean.uniform_(-0.2, 0.2)
                m.running_var.uniform_(0.5, 2.0)
    return model


def _resnet_case(block, in_channels, activation, train, num_classes=5):
    layers = [1, 1, 1, 1]
    model = reduced_resnet(block, layers, 4, in_channels, num_classes, activation)
    # In training mode layer4's batch norm needs more than one value per sample and channel: with
    # 1×1 maps (32×32 inputs) it normalises 2 values, and the gradients through that ±1 output
    # are cancellations that float32 resolves only to ~2e-4.
    size = 48 if train else 32
    x = torch.randn(2, in_channels, size, size)
    config = {"block": block, "layers": layers, "width": 4, "in_channels": in_channels,
              "num_classes": num_classes, "activation": activation}
    return model, [x], config, train


@case("resnet_basic_train_relu_c3")
def resnet_basic_train_relu_c3():
    return _resnet_case("basic", 3, "relu", True)


@case("resnet_basic_eval_gelu_c1")
def resnet_basic_eval_gelu_c1():
    return _resnet_case("basic", 1, "gelu", False)


@case("resnet_basic_train_gelu_c1_nofc")
def resnet_basic_train_gelu_c1_nofc():
    return _resnet_case("basic", 1, "gelu", True, num_classes=0)


@case("resnet_bottleneck_train_relu_c3")
def resnet_bottleneck_train_relu_c3():
    return _resnet_case("bottleneck", 3, "relu", True)


@case("resnet_bottleneck_eval_relu_c1")
def resnet_bottleneck_eval_relu_c1():
    return _resnet_case("bottleneck", 1, "relu", False)


@case("resnet_bottleneck_eval_gelu_c3")
def resnet_bottleneck_eval_gelu_c3():
    return _resnet_case("bottleneck", 3, "gelu", False)


# ---- fusion heads: forward(*features) -> (fused logits, logits of modality 0, 1, ...) ----


class SumFusion(nn.Module):
    def __init__(self, dims, classes):
        super().__init__()
        self.fc = nn.ModuleList(nn.Linear(d, classes) for d in dims)

    def forward(self, *features):
        parts = [fc(f) for fc, f in zip(self.fc, features)]
        return (sum(parts[1:], parts[0]), *parts)


class ConcatFusion(nn.Module):
    def __init__(self, dims, classes):
        super().__init__()
        self.dims = dims
        self.fc_out = nn.Linear(sum(dims), classes)

    def forward(self, *features):
        fused = self.fc_out(torch.cat(features, dim=1))
        blocks = torch.split(self.fc_out.weight, self.dims, dim=1)
        bias = self.fc_out.bias / len(features)
        return (fused, *(f @ w.t() + bias for f, w in zip(features, blocks)))


class FiLM(nn.Module):
    def __init__(self, dim, classes, x_film):
        super().__init__()
        self.dim = dim
        self.fc = nn.Linear(dim, 2 * dim)
        self.fc_out = nn.Linear(dim, classes)
        self.x_film = x_film

    def fuse(self, x, y):
        film, to_be_film = (x, y) if self.x_film else (y, x)
        gamma, beta = torch.split(self.fc(film), self.dim, 1)
        return self.fc_out(gamma * to_be_film + beta)

    def forward(self, x, y):
        zx, zy = torch.zeros_like(x), torch.zeros_like(y)
        return self.fuse(x, y), self.fuse(x, zy), self.fuse(zx, y)


class GatedFusion(nn.Module):
    def __init__(self, dim, hidden, classes, x_gate):
        super().__init__()
        self.fc_x = nn.Linear(dim, hidden)
        self.fc_y = nn.Linear(dim, hidden)
        self.fc_out = nn.Linear(hidden, classes)
        self.x_gate = x_gate

    def fuse(self, x, y):
        out_x, out_y = self.fc_x(x), self.fc_y(y)
        if self.x_gate:
            return self.fc_out(torch.sigmoid(out_x) * out_y)
        return self.fc_out(out_x * torch.sigmoid(out_y))

    def forward(self, x, y):
        zx, zy = torch.zeros_like(x), torch.zeros_like(y)
        return self.fuse(x, y), self.fuse(x, zy), self.fuse(zx, y)


class LateFusion(nn.Module):
    def __init__(self, dims, classes):
        super().__init__()
        self.heads = nn.ModuleList(nn.Linear(d, classes) for d in dims)

    def forward(self, *features):
        parts = [head(f) for head, f in zip(self.heads, features)]
        return (torch.stack(parts).mean(0), *parts)


def make_fusion(kind, dims, classes, x_film=True, x_gate=True, hidden=None):
    if kind == "sum":
        return SumFusion(dims, classes)
    if kind == "concat":
        return ConcatFusion(dims, classes)
    if kind == "film":
        return FiLM(dims[0], classes, x_film)
    if kind == "gated":
        return GatedFusion(dims[0], hidden or dims[0], classes, x_gate)
    if kind == "late":
        return LateFusion(dims, classes)
    raise ValueError(kind)


def _fusion_case(kind, dims, **options):
    classes = 4
    head = make_fusion(kind, dims, classes, **options)
    features = [torch.randn(3, d) for d in dims]
    config = {"kind": kind, "dims": dims, "classes": classes, **options}
    return head, features, config


@case("fusion_sum")
def fusion_sum():
    return _fusion_case("sum", [6, 5, 3])


@case("fusion_concat")
def fusion_concat():
    return _fusion_case("concat", [6, 5, 3])


@case("fusion_film_x")
def fusion_film_x():
    return _fusion_case("film", [6, 6], x_film=True)


@case("fusion_film_y")
def fusion_film_y():
    return _fusion_case("film", [6, 6], x_film=False)


@case("fusion_gated_x")
def fusion_gated_x():
    return _fusion_case("gated", [6, 6], x_gate=True, hidden=5)


@case("fusion_gated_y")
def fusion_gated_y():
    return _fusion_case("gated", [6, 6], x_gate=False, hidden=5)


@case("fusion_late")
def fusion_late():
    return _fusion_case("late", [6, 5, 3])


# ---- the audio-visual classifier (OGM-GE models/basic_model.py AVClassifier) ----


class AVClassifier(nn.Module):
    def __init__(self, width, classes, fusion):
        super().__init__()
        d = 8 * width
        self.fusion_module = make_fusion(fusion, [d, d], classes)
        self.audio_net = reduced_resnet("basic", [2, 2, 2, 2], width, 1, 0)
        self.visual_net = reduced_resnet("basic", [2, 2, 2, 2], width, 3, 0)

    @staticmethod
    def trunk(net, x):
        x = net.maxpool(net.relu(net.bn1(net.conv1(x))))
        return net.layer4(net.layer3(net.layer2(net.layer1(x))))

    def forward(self, audio, visual):
        b, c, t, h, w = visual.size()
        visual = visual.permute(0, 2, 1, 3, 4).contiguous().view(b * t, c, h, w)
        a = self.trunk(self.audio_net, audio)
        v = self.trunk(self.visual_net, visual)
        _, c, h, w = v.size()
        v = v.view(b, -1, c, h, w).permute(0, 2, 1, 3, 4)
        a = torch.flatten(F.adaptive_avg_pool2d(a, 1), 1)
        v = torch.flatten(F.adaptive_avg_pool3d(v, 1), 1)
        return (*self.fusion_module(a, v), a, v)


@case("av_classifier_concat")
def av_classifier_concat():
    width, classes = 4, 3
    model = AVClassifier(width, classes, "concat")
    # At 32×32 frames layer4's training-mode batch norm sees 4 values per channel, and float32
    # rounding alone moves some gradients by 8e-5 relative; 64×64 frames (16 values) keep the
    # comparison well inside 1e-4.
    audio = torch.randn(2, 1, 64, 48)
    visual = torch.randn(2, 3, 2, 64, 64)
    config = {"width": width, "classes": classes, "fusion": "concat"}
    return model, [audio, visual], config, True


@case("torchvision_resnet18", large=True)
def torchvision_resnet18():
    torch.manual_seed(0)
    model = tv.resnet18()
    return model, [torch.randn(2, 3, 64, 64)], {"arch": "resnet18"}, False
