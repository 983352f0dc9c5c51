#!/usr/bin/python3
"""Builds maskgrad's embedded default data set: Fashion-MNIST images paired with the spoken name
of the same class (espeak-ng), in the CREMA-D layout the CREMA-D loader reads.

    tools/make_embedded_data.py --out data/embedded        (./run.sh demo does this)

Needs Debian packages only: python3-numpy, python3-pil, espeak-ng, dataset-fashion-mnist. Run it
with Debian's /usr/bin/python3. Output under --out:

    annotations/{train,valid,test}.csv   `<stem>,<CODE>` lines, CRLF, no header (as CREMA-D)
    AudioWAV/<stem>.wav                  clip of --clip-seconds, mono PCM16 at --sample-rate
    Image-01-FPS/<stem>/00000.jpg        one RGB JPEG frame (grey content), --image-size square
    classes.txt                          `<CODE>,<spoken word>` in label order
    metadata.csv                         per sample: split, class, image source and index, voice,
                                         speed, pitch, clip offset and length of the word, SNR...
    manifest.json                        resolved config and its hash, counts, content hash
    debug/clean/<stem>.wav               with --debug-clean: the same clip without noise

Stems follow CREMA-D's `AAAA_SSS_EEE_LL` grammar (the label is the third `_` field):
`<sample number, 5 digits>_<voice V00..>_<CODE>_<split TR|VA|TE>`, e.g. `00042_V03_TSH_TR`.

How a sample is made: the spoken words are synthesized once into a bank (classes x voices x
speeds x pitches, trimmed of silence, resampled to --sample-rate). A sample draws an entry of its
class (from the train voices for train, the held-out voices for valid and test), a speech level,
a position inside the clip (the word is cropped when longer than the clip) and noise (white,
pink, or babble of other classes' words) scaled to an SNR drawn uniformly from
[--snr-min, --snr-max] dB; a --wordless fraction of clips leave the word out. SNR =
10 log10(P_speech / P_noise), P_speech the mean square of the word over its samples inside the
clip, P_noise the mean square of the noise over the whole clip. When the mix would clip, the
whole clip (word and noise) is scaled down, which keeps the SNR.
Images: train and valid from Fashion-MNIST's training images (disjoint), test from t10k; then,
in this order, a random shift, a lower resolution, shrinking the item to --item-size and pasting
it at a random place of a black image, blur, an occluding grey box and Gaussian pixel noise, as
the knobs ask.

Everything random comes from numpy Generators seeded by --seed: one stream chooses the classes
and images of the splits, and each sample has its own streams for its bank entry, its audio,
its image degradations and whether it is wordless, so image knobs never change the audio and
vice versa.

The defaults are the end of the calibration (experiments/train/README.md, "The embedded data"):
the audio is the fast, dominant modality, as in CREMA-D, but speaker-dependent: two voices speak
in train and two others in valid and test, one speed, one pitch, -5 to 15 dB of white noise, so
the joint model fits the training set through the audio within three epochs and the visual branch
learns less than alone, while the audio generalises to the new voices only in part. The images
are slow to learn: the item shrunk to 14x14 at a random place of the 28x28 image, with pixel
noise of std 0.15.
The same arguments give byte-identical files (espeak-ng's output is deterministic). The data are
written into a temporary folder renamed into place; a folder whose manifest has the same config
hash is left as it is (the cache) unless --force.
"""

import argparse
import concurrent.futures
import gzip
import hashlib
import io
import json
import math
import multiprocessing
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import time
import wave

PROG = "make_embedded_data.py"
GENERATOR = "tools/make_embedded_data.py"
FORMAT_VERSION = 1  # bump when the same config would give different bytes


def fail(message):
    sys.exit(f"{PROG}: error: {message}")


try:
    import numpy as np
except ImportError:
    fail("numpy is missing: install the Debian package python3-numpy and run with /usr/bin/python3")
try:
    from PIL import Image, ImageFilter
except ImportError:
    fail("PIL is missing: install the Debian package python3-pil and run with /usr/bin/python3")

# Fashion-MNIST label order: (code, Fashion-MNIST name, spoken word).
CLASSES = [
    ("TSH", "T-shirt/top", "t-shirt"),
    ("TRO", "Trouser", "trouser"),
    ("PUL", "Pullover", "pullover"),
    ("DRE", "Dress", "dress"),
    ("COA", "Coat", "coat"),
    ("SAN", "Sandal", "sandal"),
    ("SHI", "Shirt", "shirt"),
    ("SNE", "Sneaker", "sneaker"),
    ("BAG", "Bag", "bag"),
    ("ANK", "Ankle boot", "ankle boot"),
]
# Voices are accent + variant pairs, taken in an order that alternates accents and genders so a
# few voices are already varied. Only espeak-ng's own (gmw/) accents: MBROLA voices need extra
# packages.
ACCENTS = ["en-us", "en-gb", "en-gb-scotland", "en-gb-x-rp", "en-029", "en-gb-x-gbclan",
           "en-gb-x-gbcwmd", "en-us-nyc"]
VARIANTS = ["m1", "f1", "m2", "f2", "m3", "f3", "m4", "f4", "m5", "f5", "m6", "m7"]
SPLITS = [("train", "TR"), ("valid", "VA"), ("test", "TE")]
FASHION_FILES = {
    "train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
    "t10k": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
}
FASHION_DIR = "/usr/share/datasets/fashion-mnist"
SPEECH_LEVEL_DBFS = (-26.0, -16.0)  # RMS of the word, drawn per sample
PEAK_LIMIT = 0.95  # mixes louder than this are scaled down as a whole
BABBLE_GAP_SECONDS = (0.05, 0.25)  # pause between a babble talker's words
JPEG_QUALITY = 90
OCCLUSION_GREY = 0.5


# ---- arguments ------------------------------------------------------------------------------


def int_list(text):
    try:
        values = [int(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated integers, got {text!r}")
    if not values:
        raise argparse.ArgumentTypeError("expected at least one value")
    return values


def parse_args(argv):
    p = argparse.ArgumentParser(
        prog=PROG, description=__doc__.split("\n\n")[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--out", required=True,
                   help="output folder: new, empty, or an earlier build (replaced as a whole)")
    p.add_argument("--seed", type=int, default=0, help="seed of every random choice")
    p.add_argument("--train", type=int, default=2000, help="training samples")
    p.add_argument("--val", type=int, default=500,
                   help="validation samples (annotations/valid.csv)")
    p.add_argument("--test", type=int, default=500, help="test samples (from Fashion-MNIST t10k)")
    p.add_argument("--classes", default=",".join(c[0] for c in CLASSES),
                   help="class codes to use (labels follow Fashion-MNIST's order)")
    g = p.add_argument_group("audio")
    g.add_argument("--snr-min", type=float, default=-5.0, help="lowest SNR (dB)")
    g.add_argument("--snr-max", type=float, default=15.0, help="highest SNR (dB)")
    g.add_argument("--wordless", type=float, default=0.0,
                   help="fraction of clips, drawn per sample, that hold the noise alone: their "
                        "audio says nothing of the label")
    g.add_argument("--noise", choices=["white", "pink", "babble"], default="white",
                   help="noise type; babble = other classes' words from the bank")
    g.add_argument("--babble-talkers", type=int, default=3, help="talkers in babble noise")
    g.add_argument("--voices", type=int, default=4,
                   help="voice variants (accent+variant pairs, at most "
                        f"{len(ACCENTS) * len(VARIANTS)})")
    g.add_argument("--heldout-voices", type=int, default=2,
                   help="the last N of the --voices speak only in valid and test, the others "
                        "only in train (speaker-disjoint splits; 0: every voice everywhere)")
    g.add_argument("--speeds", type=int_list, default="160",
                   help="espeak-ng speeds (words per minute), comma-separated")
    g.add_argument("--pitches", type=int_list, default="50",
                   help="espeak-ng pitches (0-99), comma-separated")
    g.add_argument("--clip-seconds", type=float, default=0.8, help="length of every clip")
    g.add_argument("--sample-rate", type=int, default=16000, help="WAV sample rate (Hz)")
    g = p.add_argument_group("images")
    g.add_argument("--image-size", type=int, default=28,
                   help="side of the JPEG (Fashion-MNIST: 28)")
    g.add_argument("--image-shift", type=int, default=0,
                   help="largest random shift of the item, in 28x28 pixels")
    g.add_argument("--image-downscale", type=float, default=1.0,
                   help="lower resolution: shrink 28x28 by this factor before resizing")
    g.add_argument("--item-size", type=int, default=14,
                   help="side the item is shrunk to and pasted at a random place of the black "
                        "image (0: it fills the image)")
    g.add_argument("--image-blur", type=float, default=0.0,
                   help="Gaussian blur radius in output pixels")
    g.add_argument("--occlusion", type=float, default=0.0,
                   help="fraction of the image covered by a grey box at a random place")
    g.add_argument("--image-noise", type=float, default=0.15,
                   help="std of additive Gaussian pixel noise (pixel range 0..1)")
    g = p.add_argument_group("build")
    g.add_argument("--jobs", type=int, default=len(os.sched_getaffinity(0)),
                   help="parallel processes (espeak-ng calls, sample rendering)")
    g.add_argument("--force", action="store_true",
                   help="rebuild even if --out holds the same config (the cache)")
    g.add_argument("--debug-clean", action="store_true",
                   help="also write debug/clean/<stem>.wav: the clip without noise")
    g.add_argument("--espeak", default="espeak-ng", help="espeak-ng executable")
    g.add_argument("--fashion-mnist", default=FASHION_DIR,
                   help="folder of the Fashion-MNIST IDX files")
    args = p.parse_args(argv)

    codes = [c.strip().upper() for c in args.classes.split(",") if c.strip()]
    known = [c[0] for c in CLASSES]
    unknown = [c for c in codes if c not in known]
    if unknown or not codes or len(set(codes)) != len(codes):
        p.error(f"--classes: expected distinct codes among {','.join(known)}, got {args.classes!r}")
    args.class_indices = [i for i, c in enumerate(known) if c in codes]
    for name in ("train", "val", "test", "babble_talkers"):
        if getattr(args, name) < 0:
            p.error(f"--{name.replace('_', '-')} must be >= 0")
    if not 0.0 <= args.wordless <= 1.0:
        p.error("--wordless must be in 0..1")
    if args.snr_min > args.snr_max:
        p.error("--snr-min must not exceed --snr-max")
    if not 1 <= args.voices <= len(ACCENTS) * len(VARIANTS):
        p.error(f"--voices must be in 1..{len(ACCENTS) * len(VARIANTS)}")
    if args.heldout_voices and not 1 <= args.heldout_voices < args.voices:
        p.error("--heldout-voices must be 0, or in 1..--voices - 1")
    if any(not 80 <= s <= 450 for s in args.speeds):
        p.error("--speeds: espeak-ng takes 80..450 words per minute")
    if any(not 0 <= s <= 99 for s in args.pitches):
        p.error("--pitches: espeak-ng takes 0..99")
    if args.noise == "babble" and (len(codes) < 2 or args.babble_talkers < 1):
        p.error("--noise babble needs at least 2 classes and 1 talker")
    if not 0 <= args.item_size <= args.image_size:
        p.error("--item-size must be in 0..--image-size")
    if args.clip_seconds <= 0 or not 4000 <= args.sample_rate <= 96000:
        p.error("--clip-seconds must be > 0 and --sample-rate in 4000..96000")
    if args.image_size < 1 or args.image_shift < 0 or args.image_downscale < 1:
        p.error("--image-size >= 1, --image-shift >= 0, --image-downscale >= 1")
    if args.image_blur < 0 or args.image_noise < 0 or not 0 <= args.occlusion < 1:
        p.error("--image-blur >= 0, --image-noise >= 0, 0 <= --occlusion < 1")
    args.jobs = max(1, args.jobs)
    return args


# ---- sources --------------------------------------------------------------------------------


def read_idx(path, expected_magic):
    with gzip.open(path, "rb") as f:
        data = f.read()
    magic = struct.unpack(">I", data[:4])[0]
    if magic != expected_magic:
        fail(f"{path}: not an IDX file of the expected kind (magic {magic:#x})")
    ndim = magic & 0xFF
    shape = struct.unpack(f">{ndim}I", data[4:4 + 4 * ndim])
    array = np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim)
    if array.size != math.prod(shape):
        fail(f"{path}: {array.size} bytes of data for shape {shape}")
    return array.reshape(shape)


def fashion_mnist_digests(folder):
    """sha256 of each Fashion-MNIST file (they enter the config hash)."""
    missing = [name for pair in FASHION_FILES.values() for name in pair
               if not os.path.isfile(os.path.join(folder, name))]
    if missing:
        fail(f"Fashion-MNIST not found ({', '.join(missing)} missing in {folder}): install the "
             "Debian package dataset-fashion-mnist (sudo apt-get install dataset-fashion-mnist)")
    digests = {}
    for name in sorted(name for pair in FASHION_FILES.values() for name in pair):
        with open(os.path.join(folder, name), "rb") as f:
            digests[name] = hashlib.sha256(f.read()).hexdigest()
    return digests


def load_fashion_mnist(folder):
    """{'train'|'t10k': (images uint8 [N, 28, 28], labels uint8 [N])}."""
    sets = {}
    for key, (images_name, labels_name) in FASHION_FILES.items():
        images = read_idx(os.path.join(folder, images_name), 0x803)
        labels = read_idx(os.path.join(folder, labels_name), 0x801)
        if images.shape[1:] != (28, 28) or len(images) != len(labels) or labels.max() > 9:
            fail(f"{folder}: unexpected Fashion-MNIST shapes {images.shape}, {labels.shape}")
        sets[key] = (images, labels)
    return sets


def espeak_output(espeak, args_list):
    try:
        done = subprocess.run([espeak, *args_list], capture_output=True, check=False)
    except FileNotFoundError:
        fail(f"{espeak} not found: install the Debian package espeak-ng "
             "(sudo apt-get install espeak-ng)")
    if done.returncode != 0:
        fail(f"{espeak} {' '.join(args_list)} failed ({done.returncode}): "
             f"{done.stderr.decode(errors='replace').strip()}")
    return done.stdout


def espeak_voices(espeak, n):
    """The first n accent+variant pairs this espeak-ng has, and its version line."""
    version = espeak_output(espeak, ["--version"]).decode(errors="replace").strip()

    def files(listing):
        return {tok for line in listing.decode(errors="replace").splitlines()[1:]
                for tok in line.split() if "/" in tok}

    english = files(espeak_output(espeak, ["--voices=en"]))
    accent_files = {f.split("/", 1)[1].lower() for f in english if f.startswith("gmw/")}
    variant_files = {f.split("/", 1)[1] for f in files(espeak_output(espeak, ["--voices=variant"]))
                     if f.startswith("!v/")}
    accents = [a for a in ACCENTS if a in accent_files]
    variants = [v for v in VARIANTS if v in variant_files]
    if len(accents) * len(variants) < n:
        fail(f"{espeak} has {len(accents)} of the accents {ACCENTS} and {len(variants)} of the "
             f"variants {VARIANTS}: fewer than the {n} voices asked (--voices)")
    # Round-robin over accents; each accent takes its next unused variant, shifted so that
    # neighbouring voices differ in variant too.
    voices, used, shift = [], set(), 0
    k = 0
    while len(voices) < n:
        pair = (accents[k % len(accents)], variants[(k + shift) % len(variants)])
        if pair in used:
            shift += 1
            continue
        used.add(pair)
        voices.append(f"{pair[0]}+{pair[1]}")
        k += 1
    return voices, version


# ---- audio ----------------------------------------------------------------------------------


def parse_espeak_wav(data):
    """Mono PCM16 samples and rate of espeak-ng's --stdout WAV (its data size field is bogus)."""
    if data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        fail("espeak-ng did not write a WAV file")
    pos, rate = 12, None
    while pos + 8 <= len(data):
        chunk, size = data[pos:pos + 4], struct.unpack("<I", data[pos + 4:pos + 8])[0]
        body = pos + 8
        if chunk == b"fmt ":
            fmt, channels, rate, _, _, bits = struct.unpack("<HHIIHH", data[body:body + 16])
            if fmt != 1 or channels != 1 or bits != 16:
                fail(f"espeak-ng wrote format {fmt}, {channels} channels, {bits} bits; "
                     "expected PCM16 mono")
        elif chunk == b"data":
            if rate is None:
                break
            end = min(body + size, len(data))
            end -= (end - body) % 2
            return np.frombuffer(data[body:end], dtype="<i2").astype(np.float32) / 32768.0, rate
        pos = body + size + (size & 1)
    fail("espeak-ng's WAV has no fmt/data chunks")


def resample(x, rate_in, rate_out):
    """Band-limited resampling by the FFT, on a length padded to a whole number of output
    samples (exact ratio); the padding is silence that trimming removes."""
    if rate_in == rate_out:
        return x
    g = math.gcd(rate_in, rate_out)
    up, down = rate_out // g, rate_in // g
    n = -(-(len(x) + 512) // down) * down
    m = n // down * up
    spectrum = np.fft.rfft(x, n)
    out = np.zeros(m // 2 + 1, dtype=np.complex128)
    keep = min(len(spectrum), len(out))
    out[:keep] = spectrum[:keep]
    return (np.fft.irfft(out, m) * (m / n)).astype(np.float32)


def trim(x, rate, threshold_db=-40.0, margin_seconds=0.01):
    loud = np.flatnonzero(np.abs(x) > np.abs(x).max() * 10 ** (threshold_db / 20))
    margin = int(margin_seconds * rate)
    return x[max(0, loud[0] - margin):loud[-1] + 1 + margin].copy()


def synthesize(espeak, word, voice, speed, pitch, rate):
    samples, espeak_rate = parse_espeak_wav(
        espeak_output(espeak, ["-v", voice, "-s", str(speed), "-p", str(pitch), "--stdout", word]))
    if not samples.any():
        fail(f"espeak-ng returned silence for {word!r} with voice {voice}")
    return trim(resample(samples, espeak_rate, rate), rate)


def bank_keys(args, voices):
    """(class position, voice index, speed, pitch) of every bank entry, in a fixed order."""
    return [(c, v, s, p) for c in range(len(args.class_indices)) for v in range(len(voices))
            for s in args.speeds for p in args.pitches]


def build_bank(args, keys, voices):
    """The words of every bank key, synthesized by --jobs concurrent espeak-ng processes."""
    def make(key):
        c, v, s, p = key
        return synthesize(args.espeak, CLASSES[args.class_indices[c]][2], voices[v], s, p,
                          args.sample_rate)

    with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
        return list(pool.map(make, keys))


def unit_rms(x):
    return x / max(float(np.sqrt(np.mean(np.square(x, dtype=np.float64)))), 1e-12)


def make_noise(kind, length, rng, babble_entries, talkers, rate):
    if kind == "white":
        return unit_rms(rng.standard_normal(length))
    if kind == "pink":
        spectrum = np.fft.rfft(rng.standard_normal(length))
        frequency = np.arange(len(spectrum), dtype=np.float64)
        spectrum[0] = 0
        spectrum[1:] /= np.sqrt(frequency[1:])
        return unit_rms(np.fft.irfft(spectrum, length))
    noise = np.zeros(length)
    for _ in range(talkers):
        # One talker saying other classes' words back to back, from before the clip to its end.
        talker = np.zeros(length)
        at = -int(rng.integers(0, int(0.5 * rate) + 1))
        while at < length:
            word = unit_rms(babble_entries[int(rng.integers(len(babble_entries)))])
            start, end = max(at, 0), min(at + len(word), length)
            if end > start:
                talker[start:end] += word[start - at:end - at] * 10 ** (rng.uniform(-3, 3) / 20)
            at += len(word) + int(rng.uniform(*BABBLE_GAP_SECONDS) * rate)
        noise += talker
    return unit_rms(noise)


def render_audio(task, rng, wordless):
    """(noisy clip, clean clip, metadata) for one sample. A wordless clip draws everything a
    clip with its word would (so its noise has the same level) and leaves the word out."""
    args, bank, keys = STATE["args"], STATE["bank"], STATE["keys"]
    length = round(args.clip_seconds * args.sample_rate)
    word = bank[task["entry"]]
    if len(word) <= length:
        offset, crop = int(rng.integers(0, length - len(word) + 1)), 0
    else:
        offset, crop = 0, int(rng.integers(0, len(word) - length + 1))
    word = word[crop:crop + length]
    level_db = rng.uniform(*SPEECH_LEVEL_DBFS)
    snr_db = rng.uniform(args.snr_min, args.snr_max)
    speech = unit_rms(word.astype(np.float64)) * 10 ** (level_db / 20)
    clean = np.zeros(length)
    if not wordless:
        clean[offset:offset + len(speech)] = speech
    babble = [bank[i] for i in STATE["others"][task["class"]]]
    noise = make_noise(args.noise, length, rng, babble, args.babble_talkers, args.sample_rate)
    noise *= 10 ** ((level_db - snr_db) / 20)
    noisy = clean + noise
    scale = min(1.0, PEAK_LIMIT / max(float(np.abs(noisy).max()), 1e-12))
    _, voice, speed, pitch = keys[task["entry"]]
    meta = [STATE["voices"][voice], speed, pitch, offset, 0 if wordless else len(speech),
            f"{level_db + 20 * math.log10(scale):.3f}", "-inf" if wordless else f"{snr_db:.3f}"]
    return noisy * scale, clean * scale, meta


def wav_bytes(x, rate):
    pcm = np.clip(np.round(x * 32767), -32768, 32767).astype("<i2")
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm.tobytes())
    return buffer.getvalue()


# ---- images ---------------------------------------------------------------------------------


def render_image(image, rng):
    """uint8 [S, S, 3] (grey) from a 28x28 Fashion-MNIST image, degraded as the knobs ask."""
    args = STATE["args"]
    if args.image_shift:
        dy, dx = (int(v) for v in rng.integers(-args.image_shift, args.image_shift + 1, 2))
        shifted = np.zeros_like(image)
        shifted[max(dy, 0):28 + min(dy, 0), max(dx, 0):28 + min(dx, 0)] = \
            image[max(-dy, 0):28 + min(-dy, 0), max(-dx, 0):28 + min(-dx, 0)]
        image = shifted
    picture = Image.fromarray(image, mode="L")
    if args.image_downscale > 1:
        small = max(1, round(28 / args.image_downscale))
        picture = picture.resize((small, small), Image.BOX)
    size = args.image_size
    item = args.item_size or size
    if picture.size != (item, item):
        picture = picture.resize((item, item), Image.BILINEAR)
    if item < size:
        canvas = Image.new("L", (size, size))
        canvas.paste(picture, tuple(int(v) for v in rng.integers(0, size - item + 1, 2)))
        picture = canvas
    if args.image_blur > 0:
        picture = picture.filter(ImageFilter.GaussianBlur(args.image_blur))
    pixels = np.asarray(picture, dtype=np.float64) / 255
    if args.occlusion > 0:
        aspect = math.exp(rng.uniform(math.log(0.5), math.log(2)))
        area = args.occlusion * size * size
        w = min(size, max(1, round(math.sqrt(area * aspect))))
        h = min(size, max(1, round(area / w)))
        x0, y0 = int(rng.integers(0, size - w + 1)), int(rng.integers(0, size - h + 1))
        pixels[y0:y0 + h, x0:x0 + w] = OCCLUSION_GREY
    if args.image_noise > 0:
        pixels = pixels + rng.normal(0, args.image_noise, pixels.shape)
    grey = np.clip(np.round(pixels * 255), 0, 255).astype(np.uint8)
    return np.repeat(grey[:, :, None], 3, axis=2)


def jpeg_bytes(rgb):
    buffer = io.BytesIO()
    Image.fromarray(rgb, mode="RGB").save(buffer, format="JPEG", quality=JPEG_QUALITY,
                                          subsampling=0, optimize=False)
    return buffer.getvalue()


# ---- samples --------------------------------------------------------------------------------

# What the rendering workers read; filled before they fork (copy-on-write, no pickling).
STATE = {}


def write_file(root, relative, data):
    path = os.path.join(root, relative)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)
    return relative, hashlib.sha256(data).hexdigest()


def sample_rng(seed, split_index, index, stream):
    """Stream 0 picks the bank entry, 1 draws the audio, 2 the image degradations."""
    return np.random.default_rng(
        np.random.SeedSequence(seed, spawn_key=(1, split_index, index, stream)))


def render_sample(task):
    """Writes one sample's files; returns (its metadata row, [(relative path, sha256)])."""
    args, stem, root = STATE["args"], task["stem"], STATE["root"]
    key = (args.seed, task["split_index"], task["index"])
    # Its own stream, so --wordless changes no other draw.
    wordless = sample_rng(*key, 3).random() < args.wordless
    noisy, clean, meta = render_audio(task, sample_rng(*key, 1), wordless)
    image = STATE["fashion"][task["source"]][0][task["image"]]
    files = [write_file(root, f"AudioWAV/{stem}.wav", wav_bytes(noisy, args.sample_rate)),
             write_file(root, f"Image-01-FPS/{stem}/00000.jpg",
                        jpeg_bytes(render_image(image, sample_rng(*key, 2))))]
    if args.debug_clean:
        files.append(
            write_file(root, f"debug/clean/{stem}.wav", wav_bytes(clean, args.sample_rate)))
    row = [stem, task["split"], task["class"], task["code"], task["source"], task["image"], *meta]
    return ",".join(str(v) for v in row), files


METADATA_HEADER = ["stem", "split", "label", "code", "image_source", "image_index", "voice",
                   "speed", "pitch", "word_offset", "word_length", "level_dbfs", "snr_db"]


def balanced_labels(n, classes, rng):
    """n labels, every class n // classes or one more times (the extra ones drawn), shuffled."""
    labels = [c for c in range(classes) for _ in range(n // classes)]
    labels += sorted(rng.choice(classes, n % classes, replace=False).tolist())
    return rng.permutation(labels).tolist()


def plan_samples(args, fashion, keys):
    """Every sample's split, class, bank entry, stem, image source and index, in annotation
    order."""
    train_voices = args.voices - args.heldout_voices

    def speaks_in(split, voice):
        return not args.heldout_voices or (voice < train_voices) == (split == "train")

    by_class = {split: [[i for i, (key_class, voice, _, _) in enumerate(keys)
                         if key_class == c and speaks_in(split, voice)]
                        for c in range(len(args.class_indices))] for split, _ in SPLITS}
    counts = {"train": args.train, "valid": args.val, "test": args.test}
    rng = np.random.default_rng(np.random.SeedSequence(args.seed, spawn_key=(0,)))
    labels = {split: balanced_labels(counts[split], len(args.class_indices), rng)
              for split, _ in SPLITS}
    images = {}
    for c, fashion_label in enumerate(args.class_indices):
        for source, splits in (("train", ("train", "valid")), ("t10k", ("test",))):
            pool = np.flatnonzero(fashion[source][1] == fashion_label)
            wanted = [labels[s].count(c) for s in splits]
            if sum(wanted) > len(pool):
                fail(f"class {CLASSES[fashion_label][0]} needs {sum(wanted)} Fashion-MNIST "
                     f"{source} images for {'+'.join(splits)}; there are {len(pool)}")
            chosen = rng.permutation(pool)
            start = 0
            for split, n in zip(splits, wanted):
                images[(split, c)] = chosen[start:start + n].tolist()
                start += n
    tasks, number = [], 0
    width = max(5, len(str(args.train + args.val + args.test - 1)))
    for split_index, (split, tag) in enumerate(SPLITS):
        taken = {}
        for index, c in enumerate(labels[split]):
            entry_rng = sample_rng(args.seed, split_index, index, 0)
            entries = by_class[split][c]
            entry = entries[int(entry_rng.integers(len(entries)))]
            code = CLASSES[args.class_indices[c]][0]
            tasks.append({
                "split": split, "split_index": split_index, "index": index, "class": c,
                "code": code, "entry": entry,
                "stem": f"{number:0{width}d}_V{keys[entry][1]:02d}_{code}_{tag}",
                "source": "t10k" if split == "test" else "train",
                "image": images[(split, c)][taken.get(c, 0)]})
            taken[c] = taken.get(c, 0) + 1
            number += 1
    return tasks


# ---- the whole build ------------------------------------------------------------------------


def resolved_config(args, voices, espeak_version, digests):
    return {
        "format_version": FORMAT_VERSION, "seed": args.seed,
        "counts": {"train": args.train, "valid": args.val, "test": args.test},
        "classes": [CLASSES[i][0] for i in args.class_indices],
        "audio": {"snr_db": [args.snr_min, args.snr_max], "wordless": args.wordless,
                  "noise": args.noise,
                  "babble_talkers": args.babble_talkers if args.noise == "babble" else None,
                  "voices": voices, "heldout_voices": args.heldout_voices,
                  "speeds_wpm": args.speeds, "pitches": args.pitches,
                  "clip_seconds": args.clip_seconds, "sample_rate": args.sample_rate,
                  "speech_level_dbfs": list(SPEECH_LEVEL_DBFS), "peak_limit": PEAK_LIMIT},
        "images": {"size": args.image_size, "shift": args.image_shift,
                   "item_size": args.item_size,
                   "downscale": args.image_downscale, "blur": args.image_blur,
                   "occlusion": args.occlusion, "noise_std": args.image_noise,
                   "jpeg_quality": JPEG_QUALITY},
        "debug_clean": args.debug_clean,
        "sources": {"espeak_ng": espeak_version, "fashion_mnist_sha256": digests,
                    "numpy": np.__version__, "pil": Image.__version__},
    }


def read_manifest(out):
    """The manifest of an earlier build in out, or None."""
    try:
        with open(os.path.join(out, "manifest.json"), encoding="utf-8") as f:
            manifest = json.load(f)
    except (OSError, ValueError):
        return None
    ours = isinstance(manifest, dict) and manifest.get("generator") == GENERATOR
    return manifest if ours else None


def text_bytes(lines, newline):
    return "".join(line + newline for line in lines).encode("utf-8")


def build(args, config, config_hash, voices, root):
    fashion = load_fashion_mnist(args.fashion_mnist)
    keys = bank_keys(args, voices)
    tasks = plan_samples(args, fashion, keys)
    others = [[i for i, key in enumerate(keys) if key[0] != c]
              for c in range(len(args.class_indices))]
    STATE.update(args=args, keys=keys, voices=voices, fashion=fashion, root=root, others=others,
                 bank=build_bank(args, keys, voices))
    if args.jobs > 1 and len(tasks) > 1:
        with multiprocessing.get_context("fork").Pool(args.jobs) as pool:
            chunk = max(1, len(tasks) // (8 * args.jobs))
            results = pool.map(render_sample, tasks, chunksize=chunk)
    else:
        results = [render_sample(task) for task in tasks]

    hashes, rows, annotations = {}, [], {split: [] for split, _ in SPLITS}
    for task, (row, files) in zip(tasks, results):
        hashes.update(files)
        rows.append(row)
        annotations[task["split"]].append(f"{task['stem']},{task['code']}")

    for split, _ in SPLITS:
        hashes.update([write_file(root, f"annotations/{split}.csv",
                                  text_bytes(annotations[split], "\r\n"))])
    hashes.update([write_file(root, "classes.txt", text_bytes(
        [f"{CLASSES[i][0]},{CLASSES[i][2]}" for i in args.class_indices], "\n"))])
    hashes.update([write_file(root, "metadata.csv",
                              text_bytes([",".join(METADATA_HEADER)] + rows, "\n"))])

    counts = {split: {code: 0 for code in config["classes"]} for split, _ in SPLITS}
    for task in tasks:
        counts[task["split"]][task["code"]] += 1
    listing = "".join(f"{hashes[p]}  {p}\n" for p in sorted(hashes))
    lengths = [len(word) / args.sample_rate for word in STATE["bank"]]
    manifest = {
        "name": "maskgrad embedded audio-visual data (Fashion-MNIST + espeak-ng)",
        "generator": GENERATOR,
        "layout": "CREMA-D (specs/datasets.md 5.3-5.4): annotations/{train,valid,test}.csv, "
                  "AudioWAV/<stem>.wav, Image-01-FPS/<stem>/00000.jpg",
        "stem": "<sample number>_<voice V..>_<class code>_<split TR|VA|TE>",
        "config": config, "config_hash": config_hash,
        "classes": [{"label": n, "code": CLASSES[i][0], "fashion_mnist": CLASSES[i][1],
                     "word": CLASSES[i][2]} for n, i in enumerate(args.class_indices)],
        "voice_ids": {f"V{i:02d}": v for i, v in enumerate(voices)},
        "counts": counts,
        "bank": {"entries": len(keys),
                 "word_seconds": [round(min(lengths), 3), round(max(lengths), 3)],
                 "cropped_words": sum(1 for x in lengths if x > args.clip_seconds)},
        "files": len(hashes), "bytes": None,
        "content_hash": hashlib.sha256(listing.encode()).hexdigest(),
        "content_hash_rule": "sha256 of `sha256sum`-style lines '<sha256>  <path>' of every file "
                             "but manifest.json, sorted by path",
    }
    manifest["bytes"] = sum(os.path.getsize(os.path.join(root, p)) for p in hashes)
    write_file(root, "manifest.json", (json.dumps(manifest, indent=2) + "\n").encode())
    return manifest


def main(argv=None):
    args = parse_args(argv)
    started = time.monotonic()
    out = os.path.abspath(args.out)
    digests = fashion_mnist_digests(args.fashion_mnist)
    voices, espeak_version = espeak_voices(args.espeak, args.voices)
    config = resolved_config(args, voices, espeak_version, digests)
    config_hash = hashlib.sha256(json.dumps(config, sort_keys=True).encode()).hexdigest()

    existing = read_manifest(out)
    if existing and existing.get("config_hash") == config_hash and not args.force:
        print(f"{PROG}: {args.out} is up to date (config {config_hash[:12]}); --force rebuilds")
        return 0
    # Only a folder this tool wrote is ever replaced, --force or not.
    if os.path.exists(out) and not existing and (not os.path.isdir(out) or os.listdir(out)):
        fail(f"{args.out} exists and holds no manifest.json of this tool; not replacing it")

    parent = os.path.dirname(out)
    os.makedirs(parent, exist_ok=True)
    root = tempfile.mkdtemp(prefix=f".{os.path.basename(out)}.tmp-", dir=parent)
    try:
        manifest = build(args, config, config_hash, voices, root)
        os.chmod(root, 0o755)
        if os.path.exists(out):
            old = tempfile.mkdtemp(prefix=f".{os.path.basename(out)}.old-", dir=parent)
            os.rename(out, os.path.join(old, "data"))
            try:
                os.rename(root, out)
            except BaseException:
                os.rename(os.path.join(old, "data"), out)  # the earlier build stays in place
                shutil.rmtree(old, ignore_errors=True)
                raise
            shutil.rmtree(old)
        else:
            os.rename(root, out)
    except BaseException:
        shutil.rmtree(root, ignore_errors=True)
        raise
    counts = ", ".join(f"{split} {sum(c.values())}" for split, c in manifest["counts"].items())
    print(f"{PROG}: wrote {args.out}: {counts}; {manifest['files']} files, "
          f"{manifest['bytes'] / 1e6:.1f} MB, content {manifest['content_hash'][:12]}, "
          f"{time.monotonic() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
