#!/usr/bin/python3
"""Tests tools/make_embedded_data.py on tiny data sets: determinism (same seed, same bytes, any
--jobs; another seed, other bytes), the CREMA-D layout, class balance, the SNR of every noise
type, speaker-disjoint splits, wordless clips, the item's size, the cache, and the errors for
missing packages.

Registered with CTest (label `tools`), run with Debian's /usr/bin/python3. Needs espeak-ng,
dataset-fashion-mnist, python3-numpy and python3-pil (./run.sh test installs them); without
them it fails, it does not skip.
"""
import csv
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest
import wave

import numpy as np
from PIL import Image

TOOL = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools",
                    "make_embedded_data.py")
FASHION_DIR = "/usr/share/datasets/fashion-mnist"
SMALL = ["--voices", "2", "--heldout-voices", "1", "--speeds", "150", "--pitches", "50"]
BASE = ["--seed", "1", "--train", "30", "--val", "10", "--test", "10", "--snr-min", "-5",
        "--snr-max", "15", "--debug-clean", *SMALL]
WORK = ""  # a temporary folder for the whole module


def run_tool(*args):
    return subprocess.run([sys.executable, TOOL, *args], capture_output=True, text=True)


def build(name, *args):
    out = os.path.join(WORK, name)
    done = run_tool("--out", out, *args)
    if done.returncode != 0:
        raise AssertionError(f"make_embedded_data.py {' '.join(args)} failed:\n{done.stderr}")
    return out


def manifest(out):
    with open(os.path.join(out, "manifest.json"), encoding="utf-8") as f:
        return json.load(f)


def metadata(out):
    with open(os.path.join(out, "metadata.csv"), encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def content_hash_on_disk(out):
    lines = []
    for folder, _, names in os.walk(out):
        for name in names:
            path = os.path.join(folder, name)
            relative = os.path.relpath(path, out)
            if relative != "manifest.json":
                with open(path, "rb") as f:
                    lines.append(f"{hashlib.sha256(f.read()).hexdigest()}  {relative}\n")
    return hashlib.sha256("".join(sorted(lines, key=lambda l: l[66:])).encode()).hexdigest()


def read_wav(path):
    with wave.open(path, "rb") as w:
        params = (w.getnchannels(), w.getsampwidth(), w.getframerate(), w.getnframes())
        samples = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.float64)
    return params, samples / 32767


def measured_snrs(out):
    """(requested, measured) SNR of every sample, from its clip and its clean debug clip."""
    pairs = []
    for row in metadata(out):
        _, noisy = read_wav(os.path.join(out, "AudioWAV", row["stem"] + ".wav"))
        _, clean = read_wav(os.path.join(out, "debug", "clean", row["stem"] + ".wav"))
        start = int(row["word_offset"])
        word = clean[start:start + int(row["word_length"])]
        snr = 10 * np.log10(np.mean(word ** 2) / np.mean((noisy - clean) ** 2))
        pairs.append((float(row["snr_db"]), snr))
    return pairs


def setUpModule():
    missing = []
    if shutil.which("espeak-ng") is None:
        missing.append("espeak-ng (the espeak-ng command)")
    if not os.path.isdir(FASHION_DIR):
        missing.append(f"dataset-fashion-mnist ({FASHION_DIR})")
    if missing:
        raise AssertionError("missing Debian packages: " + ", ".join(missing) +
                             "; ./run.sh test installs them")
    global WORK
    WORK = tempfile.mkdtemp(prefix="embedded_data_test.")


def tearDownModule():
    shutil.rmtree(WORK, ignore_errors=True)


class Determinism(unittest.TestCase):
    def test_same_seed_same_bytes_any_jobs_other_seed_differs(self):
        first = build("first", *BASE, "--jobs", "2")
        again = build("again", *BASE, "--jobs", "1")
        other = build("other", *BASE[2:], "--seed", "2")
        self.assertEqual(manifest(first)["content_hash"], content_hash_on_disk(first))
        self.assertEqual(content_hash_on_disk(first), content_hash_on_disk(again))
        self.assertEqual(manifest(first), manifest(again))
        self.assertNotEqual(manifest(first)["content_hash"], manifest(other)["content_hash"])
        self.assertNotEqual(manifest(first)["config_hash"], manifest(other)["config_hash"])

    def test_cache_skips_same_config_and_force_rebuilds_the_same(self):
        first = build("first", *BASE)
        out = os.path.join(WORK, "cached")
        shutil.copytree(first, out)
        path = os.path.join(out, "manifest.json")
        before = os.stat(path).st_mtime_ns
        done = run_tool("--out", out, *BASE)
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertIn("up to date", done.stdout)
        self.assertEqual(os.stat(path).st_mtime_ns, before)
        build("cached", *BASE, "--force")
        self.assertEqual(content_hash_on_disk(out), manifest(first)["content_hash"])


class Layout(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.out = build("first", *BASE, "--jobs", "2")
        cls.manifest = manifest(cls.out)

    def test_annotations_are_crema_d_lines_with_crlf(self):
        codes = [c["code"] for c in self.manifest["classes"]]
        stems = []
        for split, count in (("train", 30), ("valid", 10), ("test", 10)):
            with open(os.path.join(self.out, "annotations", split + ".csv"), "rb") as f:
                data = f.read()
            self.assertTrue(data.endswith(b"\r\n"))
            lines = data[:-2].split(b"\r\n")
            self.assertEqual(len(lines), count)
            for line in lines:
                self.assertNotIn(b"\n", line)
                stem, code = line.decode().split(",")
                self.assertEqual(stem.split("_")[2], code)  # the label is the third field
                self.assertIn(code, codes)
                stems.append(stem)
        self.assertEqual(len(set(stems)), 50)
        with open(os.path.join(self.out, "classes.txt"), encoding="utf-8") as f:
            self.assertEqual([line.split(",")[0] for line in f.read().splitlines()], codes)

    def test_every_stem_has_a_wav_and_one_jpeg(self):
        rows = metadata(self.out)
        self.assertEqual(len(rows), 50)
        for row in rows:
            params, _ = read_wav(os.path.join(self.out, "AudioWAV", row["stem"] + ".wav"))
            self.assertEqual(params, (1, 2, 16000, 12800))
            frames = os.path.join(self.out, "Image-01-FPS", row["stem"])
            self.assertEqual(os.listdir(frames), ["00000.jpg"])
            with Image.open(os.path.join(frames, "00000.jpg")) as image:
                self.assertEqual((image.format, image.mode, image.size), ("JPEG", "RGB", (28, 28)))

    def test_classes_balanced_and_images_disjoint(self):
        for split, counts in self.manifest["counts"].items():
            self.assertLessEqual(max(counts.values()) - min(counts.values()), 1, split)
        rows = metadata(self.out)
        train = {r["image_index"] for r in rows if r["split"] == "train"}
        valid = {r["image_index"] for r in rows if r["split"] == "valid"}
        self.assertFalse(train & valid)
        self.assertEqual({r["image_source"] for r in rows if r["split"] == "test"}, {"t10k"})
        self.assertEqual({r["image_source"] for r in rows if r["split"] != "test"}, {"train"})

    def test_snr_of_every_sample_matches_the_request(self):
        for requested, measured in measured_snrs(self.out):
            self.assertTrue(-5 <= requested <= 15)
            self.assertAlmostEqual(measured, requested, delta=0.5)


class Knobs(unittest.TestCase):
    def test_pink_and_babble_noise_at_a_fixed_snr(self):
        for noise in ("pink", "babble"):
            out = build(noise, "--train", "10", "--val", "0", "--test", "0", "--noise", noise,
                        "--snr-min", "3", "--snr-max", "3", "--debug-clean", *SMALL)
            for _, measured in measured_snrs(out):
                self.assertAlmostEqual(measured, 3, delta=0.5, msg=noise)

    def test_image_knobs_change_only_the_images(self):
        first = build("first", *BASE)
        out = build("images", *BASE, "--image-size", "40", "--occlusion", "0.3", "--image-noise",
                    "0.1", "--image-blur", "1", "--image-shift", "3", "--image-downscale", "2",
                    "--item-size", "30")
        for row in metadata(first):
            for folder, name in (("AudioWAV", ".wav"), ("Image-01-FPS", "/00000.jpg")):
                with open(os.path.join(first, folder, row["stem"] + name), "rb") as f:
                    before = f.read()
                with open(os.path.join(out, folder, row["stem"] + name), "rb") as f:
                    after = f.read()
                self.assertEqual(before == after, folder == "AudioWAV")
            with Image.open(os.path.join(out, "Image-01-FPS", row["stem"], "00000.jpg")) as image:
                self.assertEqual((image.mode, image.size), ("RGB", (40, 40)))

    def test_heldout_voices_speak_only_in_valid_and_test(self):
        out = build("heldout", "--train", "40", "--val", "20", "--test", "20", "--voices", "3",
                    "--heldout-voices", "1", "--speeds", "150", "--pitches", "50")
        voices = {}
        for row in metadata(out):
            voices.setdefault(row["split"], set()).add(row["voice"])
        self.assertEqual(len(voices["train"]), 2)
        self.assertEqual(len(voices["valid"] | voices["test"]), 1)
        self.assertFalse(voices["train"] & (voices["valid"] | voices["test"]))
        mixed = build("mixed", "--train", "40", "--val", "20", "--test", "20", "--voices", "3",
                      "--heldout-voices", "0", "--speeds", "150", "--pitches", "50")
        self.assertEqual(len({row["voice"] for row in metadata(mixed) if row["split"] == "train"}),
                         3)

    def test_wordless_clips_hold_noise_alone_and_change_no_other_clip(self):
        first = build("first", *BASE)
        out = build("wordless", *BASE, "--wordless", "0.5")
        rows = metadata(out)
        wordless = [r for r in rows if r["word_length"] == "0"]
        self.assertTrue(5 <= len(wordless) <= 45, len(wordless))
        for row in rows:
            _, clean = read_wav(os.path.join(out, "debug", "clean", row["stem"] + ".wav"))
            self.assertEqual(not clean.any(), row in wordless)
            if row not in wordless:
                with open(os.path.join(first, "AudioWAV", row["stem"] + ".wav"), "rb") as f:
                    before = f.read()
                with open(os.path.join(out, "AudioWAV", row["stem"] + ".wav"), "rb") as f:
                    self.assertEqual(f.read(), before)

    def test_item_is_pasted_at_its_size(self):
        out = build("item", "--train", "10", "--val", "0", "--test", "0", "--item-size", "10",
                    "--image-noise", "0", *SMALL)
        for row in metadata(out):
            with Image.open(os.path.join(out, "Image-01-FPS", row["stem"], "00000.jpg")) as image:
                grey = np.asarray(image.convert("L"), dtype=np.int32)
            ys, xs = np.nonzero(grey > 48)  # above JPEG ringing around the item
            self.assertLessEqual(ys.max() - ys.min(), 11, row["stem"])
            self.assertLessEqual(xs.max() - xs.min(), 11, row["stem"])

    def test_sample_rate_and_clip_length(self):
        out = build("rate", "--train", "10", "--val", "0", "--test", "0", "--sample-rate", "22050",
                    "--clip-seconds", "1", *SMALL)
        for row in metadata(out):
            params, _ = read_wav(os.path.join(out, "AudioWAV", row["stem"] + ".wav"))
            self.assertEqual(params, (1, 2, 22050, 22050))


class Errors(unittest.TestCase):
    def check_error(self, args, package):
        done = run_tool("--out", os.path.join(WORK, "never"), *args)
        self.assertNotEqual(done.returncode, 0)
        self.assertIn(package, done.stderr)
        self.assertNotIn("Traceback", done.stderr)
        self.assertFalse(os.path.exists(os.path.join(WORK, "never")))

    def test_missing_espeak_names_its_package(self):
        self.check_error(["--espeak", os.path.join(WORK, "no-espeak-ng")],
                         "install the Debian package espeak-ng")

    def test_missing_fashion_mnist_names_its_package(self):
        self.check_error(["--fashion-mnist", os.path.join(WORK, "nowhere")],
                         "install the Debian package dataset-fashion-mnist")


if __name__ == "__main__":
    unittest.main(verbosity=2)
