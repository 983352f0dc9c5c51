#!/usr/bin/env python3
"""Writes the image fixtures of tests/datasets/image_test.cpp into tests/fixtures/images/: small
files in the variants the decoder must turn into RGB, each with what PIL decodes from it.

    /usr/bin/python3 tools/make_image_fixtures.py [--out tests/fixtures/images]

Needs Debian's python3-pil and python3-numpy (Pillow 9.4 and numpy 1.24 were used). For every
<name>.<ext> it writes <name>.npy: uint8 [H, W, 3], PIL's Image.open(file).convert("RGB"), the
decoding the reference code uses. Except grey16.png, whose .npy holds the 16-bit samples as PIL
reads them (int32 [H, W]): PIL's convert("RGB") clips them at 255, which maskgrad does not copy.

  rgb.jpg          baseline JPEG, 4:2:0 chroma (PIL's default), quality 90, odd size
  progressive.jpg  progressive JPEG, quality 85
  grey.jpg         one-component JPEG
  cmyk.jpg         Adobe CMYK JPEG (PIL writes it inverted with an APP14 marker), K not zero
  rgba16.png       16-bit RGBA PNG, written by hand (PIL cannot write it); PIL reads the high bytes
  grey16.png       16-bit grey PNG (PIL mode I;16)
  palette.png      palette PNG with a transparent entry (tRNS)
  grey_alpha.png   8-bit grey + alpha PNG
  quantized.gif    GIF (32 colours)
  rgb24.bmp        24-bit BMP
"""

import argparse
import os
import struct
import zlib

import numpy as np
from PIL import Image

HEIGHT, WIDTH = 13, 17


def smooth_image(rng, channels):
    """Gradients plus mild noise: JPEG-friendly content with every channel varying."""
    y, x = np.mgrid[0:HEIGHT, 0:WIDTH].astype(np.float64)
    planes = []
    for c in range(channels):
        base = 128 + 100 * np.sin(0.3 * x + 0.5 * c) * np.cos(0.25 * y - 0.7 * c)
        planes.append(base + rng.normal(0, 6, size=base.shape))
    return np.clip(np.stack(planes, axis=-1), 0, 255).round().astype(np.uint8)


def png_chunk(tag, data):
    return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))


def png_rgba16(samples):
    """A 16-bit RGBA PNG (colour type 6) of uint16 [H, W, 4] samples, filter 0 on every row."""
    height, width, _ = samples.shape
    raw = b"".join(b"\x00" + row.astype(">u2").tobytes() for row in samples)
    header = struct.pack(">IIBBBBB", width, height, 16, 6, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", header) +
            png_chunk(b"IDAT", zlib.compress(raw, 9)) + png_chunk(b"IEND", b""))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    here = os.path.dirname(os.path.abspath(__file__))
    parser.add_argument("--out", default=os.path.join(here, "..", "tests", "fixtures", "images"))
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    rng = np.random.default_rng(6)

    def path(name):
        return os.path.join(args.out, name)

    def save_reference(name):
        rgb = np.asarray(Image.open(path(name)).convert("RGB"), dtype=np.uint8)
        np.save(path(os.path.splitext(name)[0] + ".npy"), rgb)

    rgb = smooth_image(rng, 3)
    Image.fromarray(rgb, "RGB").save(path("rgb.jpg"), quality=90)
    Image.fromarray(rgb, "RGB").save(path("progressive.jpg"), quality=85, progressive=True)
    Image.fromarray(smooth_image(rng, 1)[..., 0], "L").save(path("grey.jpg"), quality=90)
    Image.fromarray(smooth_image(rng, 4), "CMYK").save(path("cmyk.jpg"), quality=90)
    for name in ["rgb.jpg", "progressive.jpg", "grey.jpg", "cmyk.jpg"]:
        save_reference(name)

    samples = rng.integers(0, 65536, size=(HEIGHT, WIDTH, 4), dtype=np.uint16)
    with open(path("rgba16.png"), "wb") as out:
        out.write(png_rgba16(samples))
    save_reference("rgba16.png")

    grey16 = rng.integers(0, 65536, size=(HEIGHT, WIDTH), dtype=np.uint16)
    Image.fromarray(grey16, "I;16").save(path("grey16.png"))
    np.save(path("grey16.npy"), np.asarray(Image.open(path("grey16.png")), dtype=np.int32))

    palette = Image.fromarray(rgb, "RGB").quantize(colors=16)
    palette.info["transparency"] = 3
    palette.save(path("palette.png"), transparency=3)
    save_reference("palette.png")
    grey_alpha = np.stack([smooth_image(rng, 1)[..., 0], rng.integers(0, 256, (HEIGHT, WIDTH),
                                                                      dtype=np.uint8)], axis=-1)
    Image.fromarray(grey_alpha, "LA").save(path("grey_alpha.png"))
    save_reference("grey_alpha.png")
    Image.fromarray(rgb, "RGB").quantize(colors=32).save(path("quantized.gif"))
    save_reference("quantized.gif")
    Image.fromarray(rgb, "RGB").save(path("rgb24.bmp"))
    save_reference("rgb24.bmp")

    for name in sorted(os.listdir(args.out)):
        print(f"{name}: {os.path.getsize(path(name))} bytes")


if __name__ == "__main__":
    main()
