#!/usr/bin/python3
"""Expected values of the AMSS modality significance and ratio tests (tests/optim/amss_test.cpp).

numpy only, float64; run with /usr/bin/python3 tools/amss_significance_reference.py.
Formulas: specs/amss.md §6.2 (audio-video), §6.3 (text-image), §6.4 (three-modality, NVGesture)
and §7 (ratio rule), in both forms of optim/modality_significance.h: `code` (the reference code's
exact formulas, quirks B7/B8 included; reference mode) and `paper` (same structure, true label
entropy, natural logs everywhere; paper mode), and the clean reading of §6.5 (`clean`):
I_m = H(Y) - CE(o_m, y), R_m = (I_m + c) / H(f_m), natural logs, H(f_m) the batch mean, c = 0.5
(audio-video, text-image) or 3 (three-modality), fallback when I_m + c <= 0 for any m.
The ratio lines `own` use the text-image code's swap (§16 B1): rho_m = softmax_m(R/tau).
"""
import numpy as np

np.set_printoptions(precision=17)

LOGITS = [
    np.array([1.0, -0.5, 0.25, 0.3, 0.8, -1.2, -0.4, 0.1, 0.9, 2.0, 0.0, -1.0]).reshape(4, 3),
    np.array([0.2, 0.1, -0.3, -0.6, 0.4, 0.5, 0.0, -0.2, 1.5, 0.7, 0.3, -0.1]).reshape(4, 3),
    # third modality (depth), three-modality form only
    np.array([0.4, 0.0, 0.6, -0.3, -0.2, 0.9, 1.1, 0.2, -0.5, 0.5, 0.1, 0.3]).reshape(4, 3),
]
FEATURES = [
    np.array([0.5, 1.0, -1.0, 0.0, 2.0, 0.1, 0.3, -0.7, 0.0, 0.0, 0.0, 1.0, -1.5, 0.5, 0.2,
              0.4]).reshape(4, 4),
    np.array([1.0, 0.2, 0.3, 0.4, 0.1, -0.1, 0.6, 0.0, 0.9, -0.8, 0.7, -0.6, 0.3, 0.3, 0.3,
              0.3]).reshape(4, 4),
    np.array([0.0, 0.8, -0.2, 0.1, 1.2, 0.4, -0.9, 0.3, -0.1, 0.2, 0.5, 0.0, 0.6, -0.4, 1.0,
              0.2]).reshape(4, 4),
]
LABELS = np.array([0, 2, 2, 0])  # class 1 absent below the largest label: bincount has a zero


def log_softmax(x):
    x = x - x.max(axis=-1, keepdims=True)
    return x - np.log(np.exp(x).sum(axis=-1, keepdims=True))


def softmax(x):
    return np.exp(log_softmax(x))


def score(o, y):
    """-mean CE (natural log)."""
    return float(log_softmax(o)[np.arange(len(y)), y].mean())


def freq(y):
    return np.bincount(y) / len(y)


def ratios(rates, tau, bias=0.0, own=False):
    w = softmax(np.array(rates) / tau)
    if own:
        r = w
    else:
        r = np.array([w[1], w[0]]) if len(rates) == 2 else 1 - w + bias
    r = np.where(np.isnan(r), 0.5, np.clip(r, 0.1, 0.9))
    return r


def audio_video(code):
    p = freq(LABELS)
    if code:
        h_y = float(-(p * log_softmax(p)).sum())  # B7
    else:
        h_y = float(-(p[p > 0] * np.log(p[p > 0])).sum())
    scores = [score(o, LABELS) for o in LOGITS[:2]]
    if any(s + h_y + 0.5 <= 0 for s in scores):
        return scores, h_y, [1.0, 1.0], True
    h_f = [float((-(softmax(f) * np.log(softmax(f))).sum(axis=1)).mean()) for f in FEATURES[:2]]
    return scores, h_y, [(s + h_y + 0.5) / h for s, h in zip(scores, h_f)], False


def text_image(code):
    p = freq(LABELS)
    if code:
        h_y = float(-(p * np.log2(p + 1e-8)).sum())  # bits, B8
    else:
        h_y = float(-(p[p > 0] * np.log(p[p > 0])).sum())
    scores = [score(o, LABELS) for o in LOGITS[:2]]
    less = [True, False] if code else [False, False]  # B12: `<` for modality 0, `<=` for 1
    fired = any((v < 0) if lt else (v <= 0) for v, lt in zip([s + h_y + 0.5 for s in scores], less))
    if fired:
        return scores, h_y, [1.0, 1.0], True
    return scores, h_y, [s + h_y for s in scores], False


def three_modality(code):
    p = freq(LABELS)
    if code:
        h_y = float(-(p * np.log2(p + 1e-10)).sum())  # bits, B8
    else:
        h_y = float(-(p[p > 0] * np.log(p[p > 0])).sum())
    scores = [score(o, LABELS) for o in LOGITS]
    less = [False, False, True] if code else [False, False, False]  # depth uses `<`
    fired = any((v < 0) if lt else (v <= 0) for v, lt in zip([s + h_y + 2 for s in scores], less))
    if fired:
        return scores, h_y, [1.0, 1.0, 1.0], True
    h_f = []
    for f in FEATURES:
        s = softmax(f)
        if code:
            h_f.append(float(-(s * np.log2(s + 1e-10)).sum()) / 40)  # batch SUM / 40
        else:
            h_f.append(float(-(s * np.log(s)).sum()) / 40)
    return scores, h_y, [(s + h_y + 3) / h for s, h in zip(scores, h_f)], False


def clean(modalities):
    p = freq(LABELS)
    h_y = float(-(p[p > 0] * np.log(p[p > 0])).sum())
    offset = 3.0 if modalities == 3 else 0.5
    scores = [score(o, LABELS) for o in LOGITS[:modalities]]
    info = [s + h_y for s in scores]
    if any(i + offset <= 0 for i in info):
        return scores, h_y, [1.0] * modalities, True, info
    h_f = [float((-(softmax(f) * np.log(softmax(f))).sum(axis=1)).mean())
           for f in FEATURES[:modalities]]
    return scores, h_y, [(i + offset) / h for i, h in zip(info, h_f)], False, info


def show(name, result, taus, own_taus=()):
    scores, h_y, rates, fallback = result[:4]
    print(f"{name}: scores {scores!r}")
    print(f"{name}: label_entropy {h_y!r} fallback {fallback}")
    if len(result) > 4:
        print(f"{name}: information {result[4]!r}")
    print(f"{name}: rates {rates!r}")
    for tau in taus:
        print(f"{name}: ratios tau={tau} {[float(r) for r in ratios(rates, tau)]!r}")
    for tau in own_taus:
        print(f"{name}: own ratios tau={tau} {[float(r) for r in ratios(rates, tau, own=True)]!r}")


if __name__ == "__main__":
    show("audio_video code", audio_video(True), [0.2])
    show("audio_video paper", audio_video(False), [0.25])
    show("text_image code", text_image(True), [0.5], [0.5])
    show("text_image paper", text_image(False), [0.5])
    show("three_modality code", three_modality(True), [0.2, 20.0])
    show("three_modality paper", three_modality(False), [0.5, 20.0])
    show("clean two modalities", clean(2), [0.25, 0.5])
    show("clean three modalities", clean(3), [0.5])
