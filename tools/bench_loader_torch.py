#!/usr/bin/env python3
"""PyTorch's side of experiments/bench_loader, and the CREMA-D-like data it reads.

  --make-data DIR [--samples N] [--seed S]
      Writes a CREMA-D-layout tree (specs/datasets.md §5.3-5.4) at realistic sizes, from numpy,
      scipy and PIL only (Debian packages), deterministic from the seed:
        AudioWAV/<stem>.wav          16 kHz mono PCM16, 1.5-3.5 s of speech-like sound: voiced
                                     syllables (harmonics of a gliding 90-260 Hz pitch) and
                                     fricative noise bursts through formant band-passes, with
                                     gaps and a little background noise
        Image-01-FPS/<stem>/00000.jpg, 00030.jpg, 00060.jpg
                                     480x360 frames (as CREMA-D's FLV video): smooth gradients,
                                     soft blobs, low-frequency texture and sensor noise, JPEG
                                     quality 90 (about 30-45 KB each)
        annotations/train.csv        CRLF "<stem>,<EMO>" lines; stems follow the CREMA-D grammar
                                     AAAA_SSS_EEE_LL, the label is the stem's emotion field
      Cached: skips the work when DIR/.bench_data.json records the same configuration.

  --time DIR [--workers W] [--batch B] [--epochs E] [--seed S]
      Times a torch.utils.data.DataLoader over the train split (shuffle, num_workers=W,
      batch_size=B, drop_last False, fork workers, which run with torch.set_num_threads(1) as the
      DataLoader sets) doing the AMSS CREMA-D per-sample pipeline (specs/datasets.md §5.5):
        audio   WAV read (the wave module + numpy), resampled 16 -> 22.05 kHz with
                scipy.signal.resample_poly(x, 441, 320) (librosa's default, soxr, is no Debian
                package), tiled 3x to 66,150 samples, clipped to [-1, 1], torch.stft(n_fft 512,
                hop 353, periodic Hann, center, zero padding), ln(|X| + 1e-7) -> float32
                [1, 257, 188]
        visual  the first frame (sorted) through PIL (libjpeg) .convert("RGB"), torchvision
                RandomResizedCrop(224), RandomHorizontalFlip, ToTensor, Normalize(ImageNet) ->
                [3, 1, 224, 224]
      One untimed warm-up epoch, then E timed epochs (each starts its workers, as maskgrad's
      loader does). Prints one JSON line: {"row", "samples_per_s" (samples per median epoch
      time), "median_ms" (per epoch), "epoch_ms" (all), "samples", "cpu_ms_per_sample" (user +
      system CPU time of the main process and its workers over the timed epochs, per sample: less
      sensitive than samples/s to other processes sharing the cores), "peak_rss_mb" (the main
      process), "worker_peak_rss_mb" (the largest worker), "resampler", "torch"}.
"""
import argparse
import json
import os
import resource
import statistics
import sys
import time
import wave

import numpy as np

CONFIG_FILE = ".bench_data.json"
DATA_VERSION = 1
SAMPLE_RATE = 16000
FRAME_WIDTH, FRAME_HEIGHT = 480, 360
SENTENCES = ("IEO", "TIE", "IOM", "IWW", "TAI", "MTI", "IWL", "ITH", "DFA", "ITS", "TSI", "WSI")
EMOTIONS = ("ANG", "DIS", "FEA", "HAP", "NEU", "SAD")
LEVELS = ("LO", "MD", "HI", "XX")
CLASS_OF = {"NEU": 0, "HAP": 1, "SAD": 2, "FEA": 3, "DIS": 4, "ANG": 5}  # AMSS's map


# ---- data --------------------------------------------------------------------------------------

def stems(count, seed):
    """`count` distinct CREMA-D stems (actor, sentence, emotion, level), in a seeded order."""
    total = 91 * len(SENTENCES) * len(EMOTIONS) * len(LEVELS)
    if count > total:
        sys.exit(f"bench_loader_torch.py: at most {total} distinct stems, asked for {count}")
    picks = np.random.default_rng([seed, 0]).permutation(total)[:count]
    out = []
    for p in picks:
        p, level = divmod(int(p), len(LEVELS))
        p, emotion = divmod(p, len(EMOTIONS))
        actor, sentence = divmod(p, len(SENTENCES))
        out.append(f"{1001 + actor}_{SENTENCES[sentence]}_{EMOTIONS[emotion]}_{LEVELS[level]}")
    return out


def speech_like(rng, seconds):
    """Float64 mono audio at 16 kHz: syllables of voiced or noisy sound through formants."""
    from scipy import signal
    n = int(seconds * SAMPLE_RATE)
    x = np.zeros(n)
    pos = int(rng.uniform(0.05, 0.25) * SAMPLE_RATE)
    pitch = rng.uniform(90, 260)
    while pos < n - int(0.08 * SAMPLE_RATE):
        length = min(int(rng.uniform(0.08, 0.3) * SAMPLE_RATE), n - pos)
        t = np.arange(length) / SAMPLE_RATE
        f0 = pitch * (1 + rng.uniform(-0.15, 0.15) * t / t[-1])
        phase = 2 * np.pi * np.cumsum(f0) / SAMPLE_RATE
        harmonics = np.arange(1, int(4000 / f0.max()) + 1)
        voiced = (np.sin(np.outer(phase, harmonics)) / harmonics).sum(axis=1)
        noise = rng.standard_normal(length)
        mix = rng.uniform(0, 1) ** 2  # mostly voiced
        source = (1 - mix) * voiced + mix * noise
        shaped = np.zeros(length)
        for formant in (rng.uniform(300, 900), rng.uniform(900, 2500), rng.uniform(2500, 3800)):
            band = formant * np.array([0.85, 1.15])
            b, a = signal.butter(2, band, btype="bandpass", fs=SAMPLE_RATE)
            shaped += signal.lfilter(b, a, source) * rng.uniform(0.3, 1.0)
        x[pos:pos + length] += shaped * np.hanning(length) ** 0.5 * rng.uniform(0.3, 1.0)
        pos += length + int(rng.uniform(0.02, 0.15) * SAMPLE_RATE)
    x += 2e-3 * rng.standard_normal(n)
    return x * (rng.uniform(0.3, 0.9) / np.abs(x).max())


def write_wav(path, audio):
    pcm = np.clip(np.round(audio * 32767), -32768, 32767).astype("<i2")
    with wave.open(path, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(SAMPLE_RATE)
        out.writeframes(pcm.tobytes())


def scene(rng):
    """A float32 [H, W, 3] picture in 0..255: gradient background, soft blobs, texture."""
    from PIL import Image
    y, x = np.mgrid[0:FRAME_HEIGHT, 0:FRAME_WIDTH].astype(np.float32)
    y /= FRAME_HEIGHT
    x /= FRAME_WIDTH
    corners = rng.uniform(20, 235, size=(3, 3)).astype(np.float32)
    image = corners[0] + (corners[1] - corners[0]) * x[..., None] + (corners[2] - corners[0]) * y[..., None]
    for _ in range(rng.integers(3, 7)):
        cx, cy = rng.uniform(0.1, 0.9, size=2)
        rx, ry = rng.uniform(0.08, 0.35, size=2)
        d = ((x - cx) / rx) ** 2 + ((y - cy) / ry) ** 2
        mask = np.exp(-d ** rng.uniform(1, 3))[..., None]
        image = image * (1 - mask) + rng.uniform(0, 255, size=3).astype(np.float32) * mask
    for factor, spread in ((8, 18), (3, 6)):  # texture at two scales
        coarse = rng.normal(0, spread, size=(FRAME_HEIGHT // factor, FRAME_WIDTH // factor, 3))
        image += np.stack([np.asarray(Image.fromarray(coarse[..., c].astype(np.float32), mode="F")
                                      .resize((FRAME_WIDTH, FRAME_HEIGHT), Image.BICUBIC))
                           for c in range(3)], axis=-1)
    return image


def frame(rng, picture, shift):
    from PIL import Image
    moved = np.roll(picture, shift, axis=(0, 1))
    noisy = moved + rng.normal(0, 2.0, size=moved.shape).astype(np.float32)
    return Image.fromarray(np.clip(np.round(noisy), 0, 255).astype(np.uint8), mode="RGB")


def make_data(root, count, seed):
    config = {"version": DATA_VERSION, "samples": count, "seed": seed}
    config_path = os.path.join(root, CONFIG_FILE)
    try:
        with open(config_path) as f:
            if json.load(f) == config:
                print(f"bench_loader_torch.py: {root} already holds {count} samples (seed {seed})",
                      file=sys.stderr)
                return
    except (OSError, ValueError):
        pass
    start = time.perf_counter()
    for folder in ("AudioWAV", "Image-01-FPS", "annotations"):
        os.makedirs(os.path.join(root, folder), exist_ok=True)
    names = stems(count, seed)
    lines = []
    for i, stem in enumerate(names):
        rng = np.random.default_rng([seed, 1, i])
        write_wav(os.path.join(root, "AudioWAV", stem + ".wav"),
                  speech_like(rng, rng.uniform(1.5, 3.5)))
        folder = os.path.join(root, "Image-01-FPS", stem)
        os.makedirs(folder, exist_ok=True)
        picture = scene(rng)
        for k, name in enumerate(("00000.jpg", "00030.jpg", "00060.jpg")):
            shift = (int(rng.integers(-6, 7)) * k, int(rng.integers(-6, 7)) * k)
            frame(rng, picture, shift).save(os.path.join(folder, name), quality=90)
        lines.append(f"{stem},{stem.split('_')[2]}\r\n")
    with open(os.path.join(root, "annotations", "train.csv"), "w", newline="") as f:
        f.writelines(lines)
    with open(config_path, "w") as f:
        json.dump(config, f)
    print(f"bench_loader_torch.py: wrote {count} samples to {root} in "
          f"{time.perf_counter() - start:.1f} s", file=sys.stderr)


# ---- timing ------------------------------------------------------------------------------------

def read_wav(path):
    with wave.open(path, "rb") as f:
        channels, width, rate = f.getnchannels(), f.getsampwidth(), f.getframerate()
        data = f.readframes(f.getnframes())
    if width != 2:
        raise ValueError(f"{path}: expected 16-bit PCM")
    samples = np.frombuffer(data, dtype="<i2").astype(np.float32) / 32768.0
    return samples.reshape(-1, channels).mean(axis=1), rate


def make_dataset(root):
    import torch
    import torchvision.transforms as T
    from PIL import Image
    from scipy import signal

    class CremadTrain(torch.utils.data.Dataset):
        """AMSS's CREMA-D train set (MyDataset.py), one frame."""

        def __init__(self):
            with open(os.path.join(root, "annotations", "train.csv"), newline="") as f:
                rows = [line.strip().split(",") for line in f if line.strip()]
            self.items = []
            for stem, emotion in rows:
                audio = os.path.join(root, "AudioWAV", stem + ".wav")
                frames = os.path.join(root, "Image-01-FPS", stem)
                if os.path.exists(audio) and os.path.isdir(frames):
                    self.items.append((audio, frames, CLASS_OF[emotion]))
            self.transform = T.Compose([
                T.RandomResizedCrop(224), T.RandomHorizontalFlip(), T.ToTensor(),
                T.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])])
            self.window = torch.hann_window(512)  # periodic

        def __len__(self):
            return len(self.items)

        def __getitem__(self, index):
            audio_path, frames, label = self.items[index]
            samples, rate = read_wav(audio_path)
            if rate != 22050:
                # resample_poly reduces 22050/16000 to 441/320 itself.
                samples = signal.resample_poly(samples, 22050, rate).astype(np.float32)
            samples = np.clip(np.tile(samples, 3)[:22050 * 3], -1, 1)
            stft = torch.stft(torch.from_numpy(samples), n_fft=512, hop_length=353, win_length=512,
                              window=self.window, center=True, pad_mode="constant",
                              return_complex=True)
            spectrogram = torch.log(stft.abs() + 1e-7).unsqueeze(0)
            first = sorted(n for n in os.listdir(frames) if n.endswith(".jpg"))[0]
            image = Image.open(os.path.join(frames, first)).convert("RGB")
            visual = self.transform(image).unsqueeze(1)  # [3, 1, 224, 224]
            return spectrogram, visual, label

    return CremadTrain()


def time_loader(args):
    import torch
    dataset = make_dataset(args.time)
    audio, visual, _ = dataset[0]
    assert tuple(audio.shape) == (1, 257, 188) and audio.dtype == torch.float32, audio.shape
    assert tuple(visual.shape) == (3, 1, 224, 224) and visual.dtype == torch.float32, visual.shape
    generator = torch.Generator()
    generator.manual_seed(args.seed)
    loader = torch.utils.data.DataLoader(dataset, batch_size=args.batch, shuffle=True,
                                         num_workers=args.workers, generator=generator)
    def cpu_seconds():  # this process and its reaped workers, user + system
        own = resource.getrusage(resource.RUSAGE_SELF)
        workers = resource.getrusage(resource.RUSAGE_CHILDREN)
        return own.ru_utime + own.ru_stime + workers.ru_utime + workers.ru_stime

    times = []
    cpu_start = 0.0
    for epoch in range(args.epochs + 1):
        if epoch == 1:
            cpu_start = cpu_seconds()
        start = time.perf_counter()
        count = 0
        for audio, visual, labels in loader:
            count += labels.shape[0]
        elapsed = (time.perf_counter() - start) * 1e3
        assert count == len(dataset)
        if epoch > 0:
            times.append(elapsed)
    cpu_ms = (cpu_seconds() - cpu_start) * 1e3 / (args.epochs * len(dataset))
    median = statistics.median(times)
    return {
        "row": f"cremad_train_b{args.batch}_w{args.workers}",
        "samples_per_s": len(dataset) / (median / 1e3),
        "median_ms": median,
        "epoch_ms": times,
        "samples": len(dataset),
        "cpu_ms_per_sample": cpu_ms,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "worker_peak_rss_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
        "resampler": "scipy.signal.resample_poly (librosa/soxr are not Debian packages)",
        "torch": torch.__version__,
    }


def positive(text):
    value = int(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expects a positive integer, got '{text}'")
    return value


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    action = parser.add_mutually_exclusive_group(required=True)
    action.add_argument("--make-data", metavar="DIR", help="write the data tree into DIR")
    action.add_argument("--time", metavar="DIR", help="time the PyTorch loader on DIR")
    parser.add_argument("--samples", type=positive, default=512, help="samples to write (512)")
    parser.add_argument("--seed", type=int, default=0, help="data and shuffling seed (0)")
    parser.add_argument("--workers", type=int, default=2, help="DataLoader num_workers (2)")
    parser.add_argument("--batch", type=positive, default=64, help="batch size (64)")
    parser.add_argument("--epochs", type=positive, default=5,
                        help="timed epochs after one warm-up epoch (5)")
    args = parser.parse_args()
    if args.make_data:
        make_data(args.make_data, args.samples, args.seed)
        return
    # The main process only waits for batches; each worker sets its own torch threads to 1.
    print(json.dumps(time_loader(args)), flush=True)


if __name__ == "__main__":
    main()
