"""Reference cases for I3D (layers/models/i3d.h) and the NVGesture classifier
(layers/models/nvgesture_classifier.h).

A mirror of piergiaj/pytorch-i3d's pytorch_i3d.py written from its description (same module and
parameter names, same registration order, same TensorFlow-style "same" padding done with F.pad),
plus a `width_divisor` that divides every channel count (at least 1) so the fixtures stay small.
With width_divisor=1 it is the original network. `amss=True` builds the variant the AMSS
NVGesture code uses (AMSS_rod/Model3D.py as found in the authors' sibling repositories): no
Logits head, the stem of a 1-channel model named Conv3d_1a_7x7_1, and forward() returning
AvgPool3d(kernel (8, 7, 7)) of Mixed_5c flattened to [B, 1024].
"""

import torch
import torch.nn as nn
import torch.nn.functional as F

from reference.common import case


def same_pads(kernel, stride, size):
    """F.pad's list (last dim first) for TensorFlow "same" padding, the extra cell at the end."""
    pads = []
    for k, s, n in reversed(list(zip(kernel, stride, size))):
        total = max(k - s, 0) if n % s == 0 else max(k - n % s, 0)
        pads += [total // 2, total - total // 2]
    return pads


class MaxPool3dSamePadding(nn.MaxPool3d):
    def forward(self, x):
        x = F.pad(x, same_pads(self.kernel_size, self.stride, x.shape[2:]))
        return super().forward(x)


class Unit3D(nn.Module):
    def __init__(self, in_channels, output_channels, kernel_shape=(1, 1, 1), stride=(1, 1, 1),
                 activation_fn=F.relu, use_batch_norm=True, use_bias=False):
        super().__init__()
        self._kernel_shape = tuple(kernel_shape)
        self._stride = tuple(stride)
        self._activation_fn = activation_fn
        self._use_batch_norm = use_batch_norm
        self.conv3d = nn.Conv3d(in_channels, output_channels, kernel_size=self._kernel_shape,
                                stride=self._stride, padding=0, bias=use_bias)
        if use_batch_norm:
            self.bn = nn.BatchNorm3d(output_channels, eps=0.001, momentum=0.01)

    def forward(self, x):
        x = F.pad(x, same_pads(self._kernel_shape, self._stride, x.shape[2:]))
        x = self.conv3d(x)
        if self._use_batch_norm:
            x = self.bn(x)
        if self._activation_fn is not None:
            x = self._activation_fn(x)
        return x


class InceptionModule(nn.Module):
    def __init__(self, in_channels, out_channels):
        super().__init__()
        self.b0 = Unit3D(in_channels, out_channels[0], [1, 1, 1])
        self.b1a = Unit3D(in_channels, out_channels[1], [1, 1, 1])
        self.b1b = Unit3D(out_channels[1], out_channels[2], [3, 3, 3])
        self.b2a = Unit3D(in_channels, out_channels[3], [1, 1, 1])
        self.b2b = Unit3D(out_channels[3], out_channels[4], [3, 3, 3])
        self.b3a = MaxPool3dSamePadding(kernel_size=[3, 3, 3], stride=(1, 1, 1), padding=0)
        self.b3b = Unit3D(in_channels, out_channels[5], [1, 1, 1])

    def forward(self, x):
        return torch.cat([self.b0(x), self.b1b(self.b1a(x)), self.b2b(self.b2a(x)),
                          self.b3b(self.b3a(x))], dim=1)


VALID_ENDPOINTS = (
    "Conv3d_1a_7x7", "MaxPool3d_2a_3x3", "Conv3d_2b_1x1", "Conv3d_2c_3x3", "MaxPool3d_3a_3x3",
    "Mixed_3b", "Mixed_3c", "MaxPool3d_4a_3x3", "Mixed_4b", "Mixed_4c", "Mixed_4d", "Mixed_4e",
    "Mixed_4f", "MaxPool3d_5a_2x2", "Mixed_5b", "Mixed_5c",
)
MIXED = {
    "Mixed_3b": [64, 96, 128, 16, 32, 32],
    "Mixed_3c": [128, 128, 192, 32, 96, 64],
    "Mixed_4b": [192, 96, 208, 16, 48, 64],
    "Mixed_4c": [160, 112, 224, 24, 64, 64],
    "Mixed_4d": [128, 128, 256, 24, 64, 64],
    "Mixed_4e": [112, 144, 288, 32, 64, 64],
    "Mixed_4f": [256, 160, 320, 32, 128, 128],
    "Mixed_5b": [256, 160, 320, 32, 128, 128],
    "Mixed_5c": [384, 192, 384, 48, 128, 128],
}
POOLS = {
    "MaxPool3d_2a_3x3": ([1, 3, 3], (1, 2, 2)),
    "MaxPool3d_3a_3x3": ([1, 3, 3], (1, 2, 2)),
    "MaxPool3d_4a_3x3": ([3, 3, 3], (2, 2, 2)),
    "MaxPool3d_5a_2x2": ([2, 2, 2], (2, 2, 2)),
}


class InceptionI3d(nn.Module):
    def __init__(self, num_classes=400, in_channels=3, dropout_keep_prob=0.5, width_divisor=1,
                 amss=False):
        super().__init__()
        w = lambda c: max(1, c // width_divisor)  # noqa: E731
        self.amss = amss
        self.end_points = {}
        stem = "Conv3d_1a_7x7_1" if amss and in_channels == 1 else "Conv3d_1a_7x7"
        self.order = (stem,) + VALID_ENDPOINTS[1:]
        self.end_points[stem] = Unit3D(in_channels, w(64), [7, 7, 7], (2, 2, 2))
        channels = w(64)
        for name in VALID_ENDPOINTS[1:]:
            if name in POOLS:
                kernel, stride = POOLS[name]
                self.end_points[name] = MaxPool3dSamePadding(kernel_size=kernel, stride=stride,
                                                             padding=0)
            elif name in MIXED:
                outs = [w(c) for c in MIXED[name]]
                self.end_points[name] = InceptionModule(channels, outs)
                channels = outs[0] + outs[2] + outs[4] + outs[5]
            elif name == "Conv3d_2b_1x1":
                self.end_points[name] = Unit3D(channels, w(64), [1, 1, 1])
                channels = w(64)
            else:  # Conv3d_2c_3x3
                self.end_points[name] = Unit3D(channels, w(192), [3, 3, 3])
                channels = w(192)
        if amss:
            # AMSS registers only this pooling before the end points: no dropout, no logits.
            self.avg_pool_liner = nn.AvgPool3d(kernel_size=(8, 7, 7))
        else:
            # pytorch-i3d registers avg_pool, dropout and logits before the end points (build()
            # adds those last), so logits.* lead its state_dict. Dropout gets the keep
            # probability as its drop probability, as in the original.
            self.avg_pool = nn.AvgPool3d(kernel_size=[2, 7, 7], stride=(1, 1, 1))
            self.dropout = nn.Dropout(dropout_keep_prob)
            self.logits = Unit3D(channels, num_classes, [1, 1, 1], activation_fn=None,
                                 use_batch_norm=False, use_bias=True)
        for name, module in self.end_points.items():
            self.add_module(name, module)

    def trunk(self, x):
        for name in self.order:
            x = self._modules[name](x)
        return x

    def forward(self, x):
        x = self.trunk(x)
        if self.amss:
            x = self.avg_pool_liner(x)
            return x.view(x.size(0), -1)
        x = self.logits(self.dropout(self.avg_pool(x)))
        return x.squeeze(3).squeeze(3)

    def extract_features(self, x):
        return self.avg_pool(self.trunk(x))


class Encoder(nn.Module):
    """RGBEncoder / OFEncoder / DepthEncoder: one attribute holding the I3D."""

    def __init__(self, attribute, model):
        super().__init__()
        setattr(self, attribute, model)
        self.attribute = attribute

    def forward(self, x):
        return getattr(self, self.attribute)(x)


class ConcatFusion3(nn.Module):
    def __init__(self, input_dim, output_dim):
        super().__init__()
        self.fc_out = nn.Linear(input_dim, output_dim)

    def forward(self, x, y, z):
        n = self.fc_out.weight.size(1)
        w, b = self.fc_out.weight, self.fc_out.bias
        out_x = torch.mm(x, w[:, : n // 3].t()) + b / 3
        out_y = torch.mm(y, w[:, n // 3 : 2 * n // 3].t()) + b / 3
        out_z = torch.mm(z, w[:, 2 * n // 3 :].t()) + b / 3
        return out_x, out_y, out_z, self.fc_out(torch.cat((x, y, z), dim=1))


class NaiveClassifier(nn.Module):
    """AMSS_rod RODModel's NaiveClassfier with fusion_method='concat'."""

    def __init__(self, num_classes=25, width_divisor=1, pool_kernel=(8, 7, 7)):
        super().__init__()
        i3d = lambda c: InceptionI3d(400, in_channels=c, width_divisor=width_divisor, amss=True)  # noqa: E731
        self.rgb_encoder = Encoder("rgbmodel", i3d(3))
        self.of_encoder = Encoder("ofmodel", i3d(2))
        self.depth_encoder = Encoder("depthmodel", i3d(1))
        for encoder in (self.rgb_encoder, self.of_encoder, self.depth_encoder):
            getattr(encoder, encoder.attribute).avg_pool_liner = nn.AvgPool3d(pool_kernel)
        feature = max(1, 1024 // width_divisor)
        self.fusion_module = ConcatFusion3(3 * feature, num_classes)

    def forward(self, rgb, of, depth):
        return self.fusion_module(self.rgb_encoder(rgb), self.of_encoder(of),
                                  self.depth_encoder(depth))


# The small cases shrink the channels 16 times and the input to 17×17×16 frames, so Mixed_5c is
# 3×1×1 and the avg_pool kernel [2, 7, 7] no longer fits: these cases replace it by [2, 1, 1] (a
# parameterless module: the state dict is unchanged), which leaves logits [B, 5, 2]. The extents
# make the "same" padding symmetric in some places and asymmetric (extra cell at the back) in
# others: T 17 → 9 (stem, 6 = 3 + 3) → 5 (pool 4a, 2 = 1 + 1) → 3 (pool 5a, 1 = 0 + 1);
# H 17 → 9 → 5 → 3 → 2 → 1 (odd sizes); W 16 → 8 (stem, 5 = 2 + 3) → 4 → 2 → 1 (pools 2a, 3a,
# 4a: 1 = 0 + 1) → 1 (pool 5a, 1 = 0 + 1).
SMALL_DIVISOR = 16


def small_i3d(in_channels, keep_prob):
    model = InceptionI3d(num_classes=5, in_channels=in_channels, dropout_keep_prob=keep_prob,
                         width_divisor=SMALL_DIVISOR)
    model.avg_pool = nn.AvgPool3d(kernel_size=[2, 1, 1], stride=(1, 1, 1))
    return model


def i3d_config(in_channels, keep_prob):
    return {"in_channels": in_channels, "num_classes": 5, "width_divisor": SMALL_DIVISOR,
            "dropout_keep_prob": keep_prob, "avg_pool_kernel": [2, 1, 1]}


def randomize_running_statistics(model):
    """Non-trivial running statistics, so evaluation mode does more than divide by √(1 + eps)."""
    with torch.no_grad():
        for name, buffer in model.named_buffers():
            if name.endswith("running_mean"):
                buffer.copy_(0.1 * torch.randn(buffer.shape))
            elif name.endswith("running_var"):
                buffer.copy_(0.5 + torch.rand(buffer.shape))


@case("i3d_eval")
def i3d_eval():
    model = small_i3d(3, 0.5)
    randomize_running_statistics(model)
    return model, [torch.randn(1, 3, 17, 17, 16)], i3d_config(3, 0.5)


@case("i3d_train")
def i3d_train():
    # Float64: training-mode batch norm over the few cells of the deep layers is so
    # ill-conditioned in float32 that PyTorch's own float32 gradients differ from its float64
    # ones by up to 2.4e-3 at this size, so a float32 comparison could not hold 1e-4.
    # dropout_keep_prob 0 means nn.Dropout(0): pytorch-i3d passes the keep probability as the
    # drop probability, and a random mask could not be compared.
    # (At 1/32 width some bias gradients vanish exactly, which no relative tolerance can check.)
    model = small_i3d(2, 0.0)
    config = dict(i3d_config(2, 0.0), dtype="float64")
    return model.double(), [torch.randn(2, 2, 17, 17, 16, dtype=torch.float64)], config, True


# NVGesture: encoders at 1/32 width (32-d features), per-modality clip lengths as in AMSS (flow
# keeps all its frames), AvgPool3d kernel (2, 1, 1) instead of (8, 7, 7) to fit the small clips.
# Depth's 20 frames end as 3 steps at Mixed_5c of which the pool reads the first 2, as AMSS's
# (8, 7, 7) kernel reads the first 8 of the 10 steps of an 80-frame test clip. Evaluation mode:
# at this size training-mode batch norm makes some gradients vanish up to float32 noise (the
# train-mode path is checked by i3d_train).
@case("nvgesture_concat_eval")
def nvgesture_concat_eval():
    model = NaiveClassifier(num_classes=25, width_divisor=32, pool_kernel=(2, 1, 1))
    randomize_running_statistics(model)
    inputs = [torch.randn(2, 3, 16, 9, 10), torch.randn(2, 2, 18, 9, 10),
              torch.randn(2, 1, 20, 9, 10)]
    config = {"num_classes": 25, "width_divisor": 32, "feature_pool_kernel": [2, 1, 1]}
    return model, inputs, config
