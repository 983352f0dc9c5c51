"""Reference case for the image transforms (datasets/transforms.h), from torchvision 0.14.

One fixture, "transforms", of plain tensors (no module):

  image.<k>                               float32 [3, H, W] in [0, 1]
  resize.<k>.<h>x<w>                      F.resize(image, [h, w], antialias=True) (tensor path)
  resize_short.<k>.<s>                    F.resize(image, s, antialias=True): smaller edge -> s
  center_crop.<k>.<h>x<w>                 F.center_crop (some crops larger than the image)
  resized_crop.<k>.<t>_<l>_<h>_<w>.<oh>x<ow>  F.resized_crop(..., antialias=True)
  hflip.<k>, normalize.<k>                F.hflip, F.normalize(ImageNet mean/std)
  uint8.<k>                               uint8 [H, W, 3], what a decoder gives
  to_tensor.<k>                           F.to_tensor(the uint8 array)
  pil_resize.<k>.<h>x<w>                  to_tensor(PIL resize, BILINEAR) of the uint8 image: the
                                          path AMSS takes (uint8 rounding inside PIL)

The C++ test (tests/datasets/parity_transforms_test.cpp) lists the same sizes and boxes.
"""

import numpy as np
import torch

from reference.common import MissingDependency, Tensors, case

SHAPES = [(23, 31), (17, 12)]
RESIZES = [(12, 18), (7, 9), (30, 41), (23, 16), (31, 8)]
SHORT_SIDES = [10, 26]
CENTER_CROPS = [(12, 18), (10, 10), (22, 30), (26, 36), (27, 11)]
RESIZED_CROPS = [((3, 2, 10, 8), (12, 12)), ((0, 0, 17, 12), (16, 16)), ((2, 3, 8, 6), (20, 14))]
PIL_RESIZES = [(12, 18), (30, 41)]
MEAN = [0.485, 0.456, 0.406]
STD = [0.229, 0.224, 0.225]


@case("transforms")
def transforms():
    try:
        import torchvision.transforms.functional as F
        from PIL import Image
    except ImportError as error:
        raise MissingDependency(str(error))
    generator = torch.Generator().manual_seed(0)
    tensors = {}
    for k, (height, width) in enumerate(SHAPES):
        image = torch.rand(3, height, width, generator=generator)
        tensors[f"image.{k}"] = image
        for h, w in RESIZES:
            tensors[f"resize.{k}.{h}x{w}"] = F.resize(image, [h, w], antialias=True)
        for s in SHORT_SIDES:
            tensors[f"resize_short.{k}.{s}"] = F.resize(image, s, antialias=True)
        for h, w in CENTER_CROPS:
            tensors[f"center_crop.{k}.{h}x{w}"] = F.center_crop(image, [h, w])
        for (t, l, h, w), (oh, ow) in RESIZED_CROPS:
            key = f"resized_crop.{k}.{t}_{l}_{h}_{w}.{oh}x{ow}"
            tensors[key] = F.resized_crop(image, t, l, h, w, [oh, ow], antialias=True)
        tensors[f"hflip.{k}"] = F.hflip(image)
        tensors[f"normalize.{k}"] = F.normalize(image, MEAN, STD)

        pixels = torch.randint(0, 256, (height, width, 3), dtype=torch.uint8, generator=generator)
        tensors[f"uint8.{k}"] = pixels
        tensors[f"to_tensor.{k}"] = F.to_tensor(pixels.numpy())
        picture = Image.fromarray(np.ascontiguousarray(pixels.numpy()), mode="RGB")
        for h, w in PIL_RESIZES:
            resized = F.resize(picture, [h, w], interpolation=F.InterpolationMode.BILINEAR)
            tensors[f"pil_resize.{k}.{h}x{w}"] = F.to_tensor(resized)
    config = {"mean": MEAN, "std": STD, "torchvision": "0.14"}
    return Tensors({key: value.contiguous() for key, value in tensors.items()}, config)
