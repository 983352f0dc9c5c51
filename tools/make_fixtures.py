#!/usr/bin/python3
"""Tiny copies of the five AMSS benchmark data sets, in their standard on-disk layouts.

Writes the fixture trees of tests/fixtures/datasets/ (specs/datasets.md §5.7 CREMA-D, §6.6
Kinetics-Sounds, §7.5 Sarcasm, §8.5 Twitter-2015, §9.6 NVGesture), each with the quirks the spec
lists (CRLF, byte order marks, a stereo WAV, missing files, pickles of protocols 2-4 and numpy 2's
module name, the NVGesture lists' trailing space, MJPEG AVIs) plus a few broken files that only
dedicated split files reference (a malformed CSV line, a truncated JPEG, a WAV with a bad header).
The content encodes what the tests check: per-class sine frequencies, frame numbers in pixel
values, sample numbers in the spectrogram arrays, positions in the optical flow.

Deterministic: same bytes on every run with the same libjpeg (Debian's python3-pil).

Usage:
  tools/make_fixtures.py --out tests/fixtures/datasets     write (replaces the five trees)
  tools/make_fixtures.py --check tests/fixtures/datasets   regenerate in a temporary folder and
                                                           compare byte for byte (exit 1 if not)
Needs only Debian packages: python3 (stdlib), python3-numpy, python3-pil.
"""

import argparse
import filecmp
import io
import json
import math
import os
import pickle
import shutil
import struct
import sys
import tempfile
import wave

import numpy as np
from PIL import Image


# ---- writers ---------------------------------------------------------------------------------

def write_bytes(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


def write_text(path, lines, newline="\n", bom=False, final_newline=True):
    text = newline.join(lines) + (newline if final_newline else "")
    write_bytes(path, (b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8"))


def jpeg_bytes(pixels):
    """A JPEG of a uint8 [H, W, 3] (RGB) or [H, W] (grey) array; optimized Huffman tables keep it
    near 300 bytes at 32x24."""
    image = Image.fromarray(np.ascontiguousarray(pixels), "RGB" if pixels.ndim == 3 else "L")
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90, optimize=True)
    return out.getvalue()


def flat_image(width, height, rgb):
    return np.full((height, width, 3), rgb, dtype=np.uint8)


def wav_bytes(channels, rate):
    """16-bit PCM WAV of float samples in [-1, 1], one array per channel."""
    frames = np.stack([np.round(np.clip(c, -1, 1) * 32767) for c in channels], axis=1)
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(len(channels))
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(frames.astype("<i2").tobytes())
    return out.getvalue()


def sine(freq, seconds, rate, amplitude=0.5):
    t = np.arange(int(round(seconds * rate))) / rate
    return amplitude * np.sin(2 * math.pi * freq * t)


def npy_bytes(array):
    out = io.BytesIO()
    np.save(out, array, allow_pickle=False)
    return out.getvalue()


def pickle_bytes(array, protocol, numpy2_module=False):
    """What pickle.dump(array, f, protocol) writes (specs/datasets.md §4.2). numpy2_module renames
    numpy.core.multiarray to numpy >= 2's numpy._core.multiarray (protocols without frames only,
    where the GLOBAL opcode's text may change length)."""
    data = pickle.dumps(array, protocol=protocol)
    if numpy2_module:
        assert protocol < 4
        old, new = b"numpy.core.multiarray", b"numpy._core.multiarray"
        assert data.count(old) == 1
        data = data.replace(old, new)
    return data


def mjpeg_avi_bytes(jpegs, width, height, fps=30):
    """An MJPEG-in-AVI file (specs/datasets.md §4.6): RIFF 'AVI ' with LIST hdrl (avih, one LIST
    strl with strh 'vids'/'MJPG' and a BITMAPINFOHEADER strf), LIST movi with one '00dc' chunk per
    frame (padded to even length) and an idx1 index."""
    def chunk(fourcc, payload):
        return fourcc + struct.pack("<I", len(payload)) + payload + (b"\0" if len(payload) % 2 else b"")

    def lst(kind, payload):
        return chunk(b"LIST", kind + payload)

    biggest = max(len(j) for j in jpegs)
    avih = struct.pack("<14I", 1000000 // fps, biggest * fps, 0, 0x10, len(jpegs), 0, 1, biggest,
                       width, height, 0, 0, 0, 0)
    strh = (b"vids" + b"MJPG" + struct.pack("<IHHIIIIIIiI", 0, 0, 0, 0, 1, fps, 0, len(jpegs),
                                            biggest, -1, 0) + struct.pack("<4h", 0, 0, width, height))
    strf = struct.pack("<IiiHH4sIiiII", 40, width, height, 1, 24, b"MJPG", width * height * 3, 0, 0, 0, 0)
    hdrl = lst(b"hdrl", chunk(b"avih", avih) + lst(b"strl", chunk(b"strh", strh) + chunk(b"strf", strf)))
    frames, index, offset = b"", b"", 4  # offsets count from the 'movi' fourcc
    for j in jpegs:
        c = chunk(b"00dc", j)
        index += b"00dc" + struct.pack("<III", 0x10, offset, len(j))
        frames += c
        offset += len(c)
    body = b"AVI " + hdrl + lst(b"movi", frames) + chunk(b"idx1", index)
    return b"RIFF" + struct.pack("<I", len(body)) + body


# ---- CREMA-D (§5.7) --------------------------------------------------------------------------

CREMAD_CLASSES = ["NEU", "HAP", "SAD", "FEA", "DIS", "ANG"]  # AMSS's hard-coded map


def cremad_frame(k, j):
    """Frame j of a class-k clip: red tells the class, green the frame (40, 120, 200)."""
    return flat_image(32, 24, (30 + 40 * k, 40 + 80 * j, 128))


def make_cremad(root):
    rate = 16000
    train = ["1001_DFA_NEU_XX", "1002_IEO_HAP_LO", "1003_TIE_SAD_MD", "1004_IOM_FEA_HI",
             "1005_IWW_DIS_XX", "1006_TAI_ANG_XX"]
    missing_wav = "1007_MTI_HAP_XX"  # listed in train.csv, frames but no WAV: skipped (AMSS)
    test = ["1010_IWL_NEU_LO", "1011_ITH_SAD_XX", "1012_DFA_ANG_HI"]
    truncated_jpeg, bad_wav = "1013_TSI_FEA_XX", "1014_WSI_DIS_XX"

    def emotion(stem):
        return stem.split("_")[2]

    for stem in train + test + [missing_wav, truncated_jpeg, bad_wav]:
        k = CREMAD_CLASSES.index(emotion(stem))
        for j, name in enumerate(["00000", "00030", "00060"]):
            data = jpeg_bytes(cremad_frame(k, j))
            if stem == truncated_jpeg and j == 0:
                data = data[: len(data) // 2]
            write_bytes(f"{root}/Image-01-FPS/{stem}/{name}.jpg", data)
        if stem == missing_wav:
            continue
        # A per-class sine of 220·(k+1) Hz; one clip of 1.2 s (3 tiles reach AMSS's 3 s), the
        # others 0.25 s (the loader tiles until 3 s); the ANG train clip is stereo with the sine
        # on the left only (the downmix halves it).
        tone = sine(220.0 * (k + 1), 1.2 if stem == train[0] else 0.25, rate)
        channels = [tone, np.zeros_like(tone)] if stem == "1006_TAI_ANG_XX" else [tone]
        data = wav_bytes(channels, rate)
        if stem == bad_wav:
            data = b"RIFX" + data[4:]
        write_bytes(f"{root}/AudioWAV/{stem}.wav", data)
    # Not a frame: the loaders keep only *.jpg.
    write_text(f"{root}/Image-01-FPS/{train[0]}/notes.txt", ["not a frame"])

    crlf = "\r\n"
    write_text(f"{root}/annotations/train.csv",
               [f"{s},{emotion(s)}" for s in train[:3] + [missing_wav] + train[3:]], crlf)
    write_text(f"{root}/annotations/test.csv", [f"{s},{emotion(s)}" for s in test], crlf)
    # The later README's valid.csv: LF and a byte order mark here.
    write_text(f"{root}/annotations/valid.csv", [f"{s},{emotion(s)}" for s in train[1:3]], bom=True)
    # stat.csv starts with a BOM (the real one does); one class code per line, AMSS's order.
    write_text(f"{root}/annotations/stat.csv", CREMAD_CLASSES, crlf, bom=True)
    # A class list in another order (first token of each line), as the embedded data writes.
    write_text(f"{root}/classes.txt",
               ["ANG anger", "DIS disgust", "FEA fear", "HAP happy", "NEU neutral", "SAD sad"])
    # Line 2 has one field, line 3 an unknown class code.
    write_text(f"{root}/annotations/malformed.csv",
               [f"{train[0]},NEU", train[2], f"{train[3]},XYZ", f"{train[4]},DIS"], crlf)
    # A truncated first frame, a WAV whose header says RIFX, then a good sample.
    write_text(f"{root}/annotations/corrupt.csv",
               [f"{truncated_jpeg},FEA", f"{bad_wav},DIS", f"{train[0]},NEU"], crlf)


# ---- Kinetics-Sounds (§6.6) ------------------------------------------------------------------

# The alphabetical 31-class table of OGM-GE's lists (§6.1), for the my_*.txt variant.
KS_ALPHABETICAL = ["blowing_nose", "blowing_out_candles", "bowling", "chopping_wood",
                   "dribbling_basketball", "laughing", "mowing_lawn", "playing_accordion",
                   "playing_bagpipes", "playing_bass_guitar", "playing_clarinet", "playing_drums",
                   "playing_guitar", "playing_harmonica", "playing_keyboard", "playing_organ",
                   "playing_piano", "playing_saxophone", "playing_trombone", "playing_trumpet",
                   "playing_violin", "playing_xylophone", "ripping_paper", "shoveling_snow",
                   "shuffling_cards", "singing", "stomping_grapes", "tap_dancing", "tapping_guitar",
                   "tapping_pen", "tickling"]
KS_AUDIO_BINS, KS_AUDIO_FRAMES = 257, 6


def ks_audio(number, dtype=np.float32):
    """Sample `number`'s spectrogram: value number + t/8 + f/1024 at (f, t), exact in float32."""
    f = np.arange(KS_AUDIO_BINS)[:, None]
    t = np.arange(KS_AUDIO_FRAMES)[None, :]
    return (number + t / 8 + f / 1024).astype(dtype)


def make_kinetics_sounds(root):
    drums, cards, bowling = "playing drums", 'shuffling "cards"', "bowling"
    # (split, youtube_id, label, frames, pickle kind): number = position in this list. The first
    # row (bowling) has 3 frames and is dropped, so bowling first appears after the others: the
    # first-appearance map is drums 0, cards 1, bowling 2 (alphabetical would put bowling first).
    rows = [
        ("train", "fxBowl00001_000010_000020", bowling, 3, "p3"),
        ("train", "fxDrums0001_000001_000011", drums, 5, "p3"),
        ("train", "fxCards0001_000002_000012", cards, 4, "p4"),
        ("train", "fxBowl00002_000003_000013", bowling, 6, "p2"),
        ("train", "fxDrums0002_000004_000014", drums, 10, "f64"),
        ("train", "fxCards0002_000005_000015", cards, 4, None),  # no pickle: dropped
        ("train", "fxBowl00003_000006_000016", bowling, 4, "numpy2"),
        ("test", "fxDrums0003_7", drums, 4, "p3"),
        ("test", "fxCards0003_8", cards, 5, "p3"),
        ("test", "fxBowl00004_9", bowling, 4, "p3"),
    ]
    for number, (split, ident, label, frames, kind) in enumerate(rows):
        folder = f"{root}/{split}_img/Image-01-FPS/{ident}"
        for j in range(frames):
            write_bytes(f"{folder}/frame_{j + 1:05d}.jpg",
                        jpeg_bytes(flat_image(32, 24, (20 * number, 20 * j, 100))))
        if kind is None:
            continue
        audio = ks_audio(number, np.float64 if kind == "f64" else np.float32)
        protocol = {"p2": 2, "p4": 4}.get(kind, 3)
        write_bytes(f"{root}/{split}_wav_pkl/{ident}.pkl",
                    pickle_bytes(audio, protocol, numpy2_module=kind == "numpy2"))
        if split == "train":  # the .npy variant of the same arrays (float32)
            write_bytes(f"{root}/train_wav_npy/{ident}.npy", npy_bytes(ks_audio(number)))
    write_text(f"{root}/{rows[1][0]}_img/Image-01-FPS/{rows[1][1]}/Thumbs.db", ["not a frame"])

    def csv_field(text):
        return '"' + text.replace('"', '""') + '"' if '"' in text or "," in text else text

    header = "label,youtube_id,time_start,time_end,split"
    for split in ["train", "test"]:
        write_text(f"{root}/annotations/{split}.csv",
                   [header] + [f"{csv_field(label)},{ident},{10 * n},{10 * n + 10},{split}"
                               for n, (s, ident, label, _, _) in enumerate(rows) if s == split])
    # A test row whose label train never saw (read with test's media).
    write_text(f"{root}/annotations/unknown_label.csv",
               [header, f"{drums},{rows[7][1]},0,10,test", f"tickling,{rows[8][1]},0,10,test"])
    # OGM-GE's lists: no header, CRLF, <clip_id>,10,<index into the alphabetical table>.
    alphabetical = {drums: "playing_drums", cards: "shuffling_cards", bowling: "bowling"}
    for split in ["train", "test"]:
        write_text(f"{root}/my_{split}.txt",
                   [f"{ident},10,{KS_ALPHABETICAL.index(alphabetical[label])}"
                    for s, ident, label, _, _ in rows if s == split], "\r\n")


# ---- Sarcasm (§7.5) --------------------------------------------------------------------------

SARCASM_VOCAB = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "<", ">", "user", "thanks", "for",
                 "show", "##ing", "up", "our", "appointment", "today", ".", "'", "s", "it", "a",
                 "great", "day", "word", "##s", "cafe", "#", "she", "said", '"', "hi", "to", "me",
                 "long", "text", "?", "only", "fan"]


def make_sarcasm(root):
    long_text = " ".join(["long text"] * 70)  # 140 tokens: truncated to 128
    # Cai's list literals (CRLF): quote styles and escapes of §4.5, raw UTF-8, and lines 5, 6
    # dropped by the keyword filter ('sarcasm' and '<url>' tokens).
    train = [
        r"['800000000000000001', '<user> thanks for showing up for our appointment today . ', 1]",
        r"""['800000000000000002', "only a hardcore fan will get it . won 't it ?", 0]""",
        r"['800000000000000003', 'it \'s a great day\nisn\'t it', 1]",
        "['800000000000000004', 'word\\u2060s and caf\u00e9 \u2026 emoji_92', 0]",
        r"['800000000000000005', 'what a great sarcasm detector', 1]",
        r"['800000000000000006', 'look at this <url> now', 0]",
        r"['800000000000000007', 'back\\slash and # hashtag', 0]",
        f"['800000000000000008', '{long_text}', 1]",
    ]
    valid = [r"['800000000000000009', 'thanks for the great day', 1, 0]",
             r"['800000000000000010', 'our appointment today', 0, 0]"]
    test = [r"['800000000000000011', 'she said hi to me', 0, 1]",
            r"""['800000000000000012', "it 's showing up", 1, 0]"""]
    write_text(f"{root}/text/train.txt", train, "\r\n")
    write_text(f"{root}/text/valid2.txt", valid, "\r\n")
    write_text(f"{root}/text/test2.txt", test, "\r\n")
    for n in [1, 2, 3, 4, 7, 8, 9, 10, 11, 12]:
        ident = f"8000000000000000{n:02d}"
        if n == 3:  # greyscale: loaders convert it to RGB
            pixels = np.full((24, 24), 90, dtype=np.uint8)
        else:
            pixels = flat_image(40, 30, (10 * n, 200 - 10 * n, 60))
        write_bytes(f"{root}/images/{ident}.jpg", jpeg_bytes(pixels))
    # AMSS-style TSVs (pandas): columns by name, an extra column, another order in test.tsv, and
    # one RFC-4180 quoted field holding quotes.
    write_text(f"{root}/annotations/train.tsv", [
        "Label\tString\tImageID\tSource",
        "1\t<user> thanks for showing up for our appointment today . \t800000000000000001.jpg\tcai",
        "0\t\"she said \"\"hi\"\" to me\"\t800000000000000002.jpg\tcai",
        "1\tit 's a great day\t800000000000000003.jpg\tcai",
        f"1\t{long_text}\t800000000000000008.jpg\tcai",
    ])
    write_text(f"{root}/annotations/test.tsv", [
        "ImageID\tLabel\tString",
        "800000000000000011.jpg\t0\tshe said hi to me",
        "800000000000000012.jpg\t1\tit 's showing up",
    ])
    # BSS's JSON variant: image path (basename used), text, label.
    write_text(f"{root}/annotations/train.json", [json.dumps([
        {"image": "/data/sarcasm/images/800000000000000001.jpg", "text": "thanks for today", "label": 1},
        {"image": "images/800000000000000004.jpg", "text": "word\u2060s and caf\u00e9", "label": 0},
    ], ensure_ascii=False)])
    write_text(f"{root}/vocab.txt", SARCASM_VOCAB)


# ---- Twitter-2015 (§8.5) ---------------------------------------------------------------------

def make_twitter(root):
    # (tweet with $T$, target, polarity, image); the first two share a tweet and its image.
    splits = {
        "train": [("RT @ user1 : $T$ is everything # MCM", "Chuck Bass", 1, "1860693.jpg"),
                  ("RT @ user1 : Chuck Bass is everything $T$", "# MCM", 0, "1860693.jpg"),
                  ("$T$ lost again tonight", "The Knicks", -1, "1860694.jpg")],
        "dev": [("great show by $T$ !", "Adele", 1, "1860695.jpg"),
                ("$T$ announces the tour", "U2", 0, "1860699.jpg")],  # image missing
        "test": [("why is $T$ so slow", "the subway", -1, "1860696.jpg"),
                 ("$T$ plays tonight", "Arcade Fire", 0, "1860697.jpg")],
    }
    base = f"{root}/absa_data/twitter2015"
    for split, rows in splits.items():
        lines = []
        for tweet, target, polarity, image in rows:
            lines += [tweet, target, str(polarity), image]
        write_text(f"{base}/{split}.txt", lines)
        # test.tsv's header names 4 columns, its rows have 5: parse positionally.
        header = ("index\t#1 ImageID\t#2 String\t#2 String" if split == "test"
                  else "index\t#1 Label\t#2 ImageID\t#3 String\t#3 String")
        write_text(f"{base}/{split}.tsv", [header] + [
            f"{n + 1}\t{p + 1}\t{image}\t{tweet}\t{target}"
            for n, (tweet, target, p, image) in enumerate(rows)])
    for n, image in enumerate(["1860693.jpg", "1860694.jpg", "1860695.jpg", "1860696.jpg",
                               "1860697.jpg"]):
        write_bytes(f"{root}/twitter2015_images/{image}",
                    jpeg_bytes(flat_image(32, 32, (50 * n, 120, 255 - 50 * n))))
    # AMSS's re-headed named-column files, columns in another order than Sarcasm's.
    for split, name in [("train", "train"), ("test", "test")]:
        write_text(f"{root}/annotations/{name}.tsv", ["ImageID\tString\tLabel"] + [
            f"{image}\t{tweet.replace('$T$', target)}\t{p + 1}"
            for tweet, target, p, image in splits[split]])


# ---- NVGesture (§9.6) ------------------------------------------------------------------------

NV_FRAMES, NV_WIDTH, NV_HEIGHT = 84, 32, 24
NV_FLOW_SIZE, NV_FLOW_T = 24, 6


def nv_color(f):
    """RGB frame f: red and blue tell the frame number, green is fixed (BGR order is visible)."""
    return flat_image(NV_WIDTH, NV_HEIGHT, (10 + 2 * f, 60, 250 - 2 * f))


def nv_depth(f):
    return np.full((NV_HEIGHT, NV_WIDTH), 5 + 3 * f, dtype=np.uint8)


def nv_flow(dtype):
    """(H, W, 2, T) with value h·1024 + w·32 + c·16 + t: exact in float32 and int16."""
    h, w, c, t = np.meshgrid(*[np.arange(n) for n in (NV_FLOW_SIZE, NV_FLOW_SIZE, 2, NV_FLOW_T)],
                             indexing="ij")
    return (h * 1024 + w * 32 + c * 16 + t).astype(dtype)


def make_nvgesture(root):
    # (list, folder, color/depth start, label in the list); the second's label differs from its
    # folder's class (v2 relabels some lines).
    samples = [("train", "class_01/subject1_r0", 2, 1), ("train", "class_02/subject3_r0", 1, 5),
               ("test", "class_01/subject5_r0", 3, 1)]
    color = [jpeg_bytes(nv_color(f)) for f in range(NV_FRAMES)]
    depth = [jpeg_bytes(nv_depth(f)) for f in range(NV_FRAMES)]
    lines = {"train": [], "test": []}
    for split, folder, start, label in samples:
        d = f"{root}/Video_data/{folder}"
        write_bytes(f"{d}/sk_color.avi", mjpeg_avi_bytes(color, NV_WIDTH, NV_HEIGHT))
        write_bytes(f"{d}/sk_depth.avi", mjpeg_avi_bytes(depth, NV_WIDTH, NV_HEIGHT))
        # Frame folders (ffmpeg's numbering: OpenCV frame f is file f + 1), for the test sample
        # only to keep the tree small.
        for f in range(NV_FRAMES if split == "test" else 0):
            write_bytes(f"{d}/sk_color_all/{f + 1:05d}.jpg", color[f])
            write_bytes(f"{d}/sk_depth_all/{f + 1:05d}.jpg", depth[f])
        lines[split].append(f"path:./Video_data/{folder} depth:sk_depth:{start}:{start + 80} "
                            f"color:sk_color:{start}:{start + 80} "
                            f"duo_left:duo_left:{start + 2}:{start + 95} label:{label} ")
    for split in ["train", "test"]:
        write_text(f"{root}/nvgesture_{split}_correct_cvpr2016_v2.lst", lines[split])
    # The v1 list: the folder's class as label, no final newline.
    write_text(f"{root}/nvgesture_train_correct_cvpr2016.lst",
               [lines["train"][0], lines["train"][1].replace("label:5 ", "label:2 ")],
               final_newline=False)
    # Flow by 0-based line number; one int16 file (any numeric dtype is accepted).
    write_bytes(f"{root}/Video_data/flow_data/train/0.npy", npy_bytes(nv_flow("<f4")))
    write_bytes(f"{root}/Video_data/flow_data/train/1.npy", npy_bytes(nv_flow("<i2")))
    write_bytes(f"{root}/Video_data/flow_data/test/0.npy", npy_bytes(nv_flow("<f4")))


# ---- main ------------------------------------------------------------------------------------

MAKERS = {"cremad": make_cremad, "kinetics_sounds": make_kinetics_sounds, "sarcasm": make_sarcasm,
          "twitter2015": make_twitter, "nvgesture": make_nvgesture}


def write_all(out):
    for name, make in MAKERS.items():
        shutil.rmtree(f"{out}/{name}", ignore_errors=True)
        make(f"{out}/{name}")


def differences(expected, actual):
    """Paths (relative) that differ between two trees, missing on either side included."""
    found = []
    comparison = filecmp.dircmp(expected, actual)
    stack = [("", comparison)]
    while stack:
        prefix, c = stack.pop()
        found += [prefix + p for p in c.left_only + c.right_only + c.funny_files]
        found += [prefix + p for p in c.common_files
                  if not filecmp.cmp(f"{c.left}/{p}", f"{c.right}/{p}", shallow=False)]
        stack += [(f"{prefix}{d}/", sub) for d, sub in c.subdirs.items()]
    return sorted(found)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--out", help="folder to write the five trees into")
    group.add_argument("--check", help="folder whose trees must equal a fresh generation")
    args = parser.parse_args()
    if args.out:
        write_all(args.out)
        return 0
    with tempfile.TemporaryDirectory() as fresh:
        write_all(fresh)
        diffs = []
        for name in MAKERS:
            if not os.path.isdir(f"{args.check}/{name}"):
                diffs.append(name + "/")
                continue
            diffs += [f"{name}/{p}" for p in differences(f"{fresh}/{name}", f"{args.check}/{name}")]
    for d in diffs:
        print("differs:", d)
    return 1 if diffs else 0


if __name__ == "__main__":
    sys.exit(main())
