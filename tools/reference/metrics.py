#!/usr/bin/env python3
"""Writes tests/fixtures/experiments/metrics.json: classification metrics as scikit-learn
computes them, which tests/experiments/metrics_test.cpp compares experiments/train/metrics.h to.

Usage: python tools/reference/metrics.py [--out tests/fixtures/experiments/metrics.json]

Needs scikit-learn and numpy, which Debian's Python lacks; a throwaway virtual environment does:
  python3 -m venv /tmp/skvenv && /tmp/skvenv/bin/pip install scikit-learn numpy
  /tmp/skvenv/bin/python tools/reference/metrics.py

This is a standalone script, not a make_reference.py case (its output is JSON, not
safetensors): make_reference.py imports every module here, so sklearn is imported only in main().

Layout: {"sklearn": version, "cases": [{"name", "classes", "scores": N lists of C float32-exact
numbers, "labels": N ints, "accuracy", "macro_f1", "mean_ap", "average_precision": C numbers or
null (classes without a sample)}]}. Definitions (experiments/train/README.md, "Metrics"):
  accuracy   accuracy_score(labels, argmax(scores))
  macro_f1   f1_score(labels, argmax(scores), labels=range(C), average="macro", zero_division=0)
  mean_ap    mean of average_precision_score(labels == c, softmax(scores)[:, c]) over the classes
             with at least one sample
The softmax is computed as the C++ side does (max-shifted, math.exp, summed left to right), so
equal rows give bit-equal probabilities on both sides and ties group the same way.
"""

import argparse
import json
import math
import os

HERE = os.path.dirname(os.path.abspath(__file__))


def softmax_row(row):
    top = max(row)
    exps = [math.exp(x - top) for x in row]
    total = 0.0
    for value in exps:
        total += value
    return [value / total for value in exps]


def reference(name, scores, labels, classes):
    import numpy as np
    from sklearn.metrics import accuracy_score, average_precision_score, f1_score

    scores = np.asarray(scores, dtype=np.float32).astype(np.float64)  # float32-exact values
    labels = np.asarray(labels, dtype=np.int64)
    predictions = scores.argmax(axis=1)  # the first maximum, as torch.argmax
    probabilities = np.array([softmax_row(list(row)) for row in scores])
    per_class = []
    for c in range(classes):
        positive = labels == c
        ap = average_precision_score(positive, probabilities[:, c]) if positive.any() else None
        per_class.append(None if ap is None else float(ap))
    present = [ap for ap in per_class if ap is not None]
    return {
        "name": name,
        "classes": classes,
        "scores": [[float(x) for x in row] for row in scores],
        "labels": [int(x) for x in labels],
        "accuracy": float(accuracy_score(labels, predictions)),
        "macro_f1": float(
            f1_score(
                labels, predictions, labels=list(range(classes)), average="macro", zero_division=0
            )
        ),
        "mean_ap": sum(present) / len(present),
        "average_precision": per_class,
    }


def cases():
    import numpy as np

    rng = np.random.default_rng(20240611)
    out = []

    # Plain random logits and labels.
    out.append(reference("random", rng.normal(size=(50, 5)) * 2, rng.integers(0, 5, size=50), 5))

    # Ties: 12 distinct rows, each repeated 4 times with its own labels, so the softmax scores tie
    # in groups of 4 (one AP threshold each); rows 0 and 1 also tie at their maximum, so argmax
    # must take the lowest index.
    distinct = rng.normal(size=(12, 4))
    distinct[0, 1] = distinct[0, 3] = distinct[0].max() + 0.5
    distinct[1, 0] = distinct[1, 2] = distinct[1].max() + 0.5
    scores = np.repeat(distinct, 4, axis=0)
    labels = rng.integers(0, 4, size=48)
    labels[0:4] = [1, 3, 3, 0]
    order = rng.permutation(48)
    out.append(reference("ties", scores[order], labels[order], 4))

    # Class 5 has no sample and is never predicted (F1 0, counted in the mean; no AP); class 4
    # has no sample but is predicted (F1 0; no AP).
    scores = rng.normal(size=(45, 6))
    scores[:, 5] -= 10
    scores[:6, 4] += 5
    labels = rng.integers(0, 4, size=45)
    out.append(reference("absent_classes", scores, labels, 6))

    # Confident, mostly right predictions (high accuracy, AP near 1).
    labels = rng.integers(0, 3, size=30)
    scores = rng.normal(size=(30, 3)) + 3 * np.eye(3)[labels]
    out.append(reference("confident", scores, labels, 3))
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default = os.path.join(HERE, "..", "..", "tests", "fixtures", "experiments", "metrics.json")
    parser.add_argument("--out", default=default)
    args = parser.parse_args()
    import sklearn

    document = {"sklearn": sklearn.__version__, "cases": cases()}
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w") as file:
        json.dump(document, file, indent=None, separators=(",", ":"))
        file.write("\n")
    for case in document["cases"]:
        print(case["name"], case["accuracy"], case["macro_f1"], case["mean_ap"])


if __name__ == "__main__":
    main()
