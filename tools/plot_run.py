#!/usr/bin/python3
"""Plots the per-epoch metrics of mg-train runs into PNG files.

    tools/plot_run.py runs/amss_plus                       (PNGs into runs/amss_plus)
    tools/plot_run.py runs/a runs/b --out plots --labels naive,amss

Reads RUN_DIR/metrics.jsonl, one JSON object per epoch as mg-train writes it:
    {"epoch": 0, "lr": 0.01, "train": {...}, "val": {"accuracy": 0.45,
     "modality_accuracy": {"audio": 0.44, "visual": 0.30}, "imbalance_degree": 0.14, ...},
     "test": {...} (may be absent), "rho": {"audio": {"mean": 0.4, "std": 0.05, ...}, ...}
     (AMSS runs only), "method": "amss_plus"}
and writes into --out:
    accuracy.png           fused accuracy of --split over epochs, a line per run
    modality_accuracy.png  per-modality accuracy: a colour per run, a line style per modality
    rho.png                mean rho per modality with a +-std band, the runs that have rho (no
                           file, and a message on stderr, when none has)
    imbalance.png          imbalance degree of --split over epochs
printing the path of each file written, one a line. A run's label is --labels' entry, else its
"method" field, else its folder's name. Bad input (a missing folder or file, a line that is not
a JSON object, a missing key) exits with status 2 and a message naming the file and line.
Needs Debian's python3-matplotlib; run it with /usr/bin/python3.
"""

import argparse
import json
import math
import os
import sys

PROG = "plot_run.py"
LINE_STYLES = ["-", "--", ":", "-."]


class RunError(Exception):
    """Bad input, reported as `plot_run.py: error: <message>` with exit status 2."""


class Run:
    def __init__(self, directory, label, epochs, accuracy, modality_accuracy, imbalance, rho):
        self.directory = directory
        self.label = label
        self.epochs = epochs                        # [epoch]
        self.accuracy = accuracy                    # [value] per epoch
        self.modality_accuracy = modality_accuracy  # {modality: [value or nan] per epoch}
        self.imbalance = imbalance                  # [value] per epoch
        self.rho = rho                              # {modality: ([epoch], [mean], [std])}


def lookup(record, path, where):
    """record[path[0]][path[1]]..., or RunError naming the dotted key and `where`."""
    value = record
    for depth, key in enumerate(path):
        if not isinstance(value, dict) or key not in value:
            raise RunError(f"{where}: missing key '{'.'.join(path[:depth + 1])}'")
        value = value[key]
    return value


def number(record, path, where):
    value = lookup(record, path, where)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise RunError(f"{where}: '{'.'.join(path)}' is not a number: {value!r}")
    return float(value)


def modalities(record, path, where):
    value = lookup(record, path, where)
    if not isinstance(value, dict):
        raise RunError(f"{where}: '{'.'.join(path)}' is not an object of modalities")
    return value


def read_records(directory):
    """[(where, record)] of RUN_DIR/metrics.jsonl, `where` being "<file>:<line>"."""
    if not os.path.isdir(directory):
        raise RunError(f"{directory}: no such run folder")
    path = os.path.join(directory, "metrics.jsonl")
    if not os.path.isfile(path):
        raise RunError(f"{path}: no such file (is {directory} an mg-train run folder?)")
    records = []
    try:
        with open(path, encoding="utf-8") as f:
            lines = f.readlines()
    except (OSError, UnicodeDecodeError) as e:
        raise RunError(f"{path}: cannot read: {e}") from None
    for line_number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        where = f"{path}:{line_number}"
        try:
            record = json.loads(line)
        except json.JSONDecodeError as e:
            raise RunError(f"{where}: malformed JSON: {e.msg} (column {e.colno})") from None
        if not isinstance(record, dict):
            raise RunError(f"{where}: malformed line: expected a JSON object")
        records.append((where, record))
    if not records:
        raise RunError(f"{path}: no epochs")
    return records


def load_run(directory, split, label=None):
    records = read_records(directory)
    epochs, accuracy, imbalance, per_modality, rho = [], [], [], [], {}
    for where, record in records:
        epoch = number(record, ["epoch"], where)
        epochs.append(epoch)
        accuracy.append(number(record, [split, "accuracy"], where))
        imbalance.append(number(record, [split, "imbalance_degree"], where))
        names = modalities(record, [split, "modality_accuracy"], where)
        per_modality.append({m: number(record, [split, "modality_accuracy", m], where)
                             for m in names})
        if "rho" in record:
            for m in modalities(record, ["rho"], where):
                series = rho.setdefault(m, ([], [], []))
                series[0].append(epoch)
                series[1].append(number(record, ["rho", m, "mean"], where))
                series[2].append(number(record, ["rho", m, "std"], where))
    names = sorted({m for values in per_modality for m in values})
    modality_accuracy = {m: [values.get(m, math.nan) for values in per_modality] for m in names}
    if label is None:
        method = records[0][1].get("method")
        label = method if isinstance(method, str) and method else \
            os.path.basename(os.path.normpath(directory))
    return Run(directory, label, epochs, accuracy, modality_accuracy, imbalance, rho)


def distinct_labels(runs):
    """Two runs of the same method get their folder's name added, so the legend tells them
    apart."""
    repeated = {run.label for run in runs if sum(o.label == run.label for o in runs) > 1}
    for run in runs:
        if run.label in repeated:
            run.label = f"{run.label} ({os.path.basename(os.path.normpath(run.directory))})"


def style_of(names):
    return {m: LINE_STYLES[i % len(LINE_STYLES)] for i, m in enumerate(names)}


def figure(plt, title, ylabel):
    fig, ax = plt.subplots(figsize=(7, 4.5), dpi=100)
    ax.set_title(title)
    ax.set_xlabel("epoch")
    ax.set_ylabel(ylabel)
    ax.grid(True, alpha=0.3)
    ax.xaxis.get_major_locator().set_params(integer=True)  # epochs
    return fig, ax


def save(plt, fig, ax, path):
    ax.legend(fontsize="small")
    fig.tight_layout()
    fig.savefig(path, format="png")
    plt.close(fig)
    print(path)


def plot(runs, out, split):
    import matplotlib
    matplotlib.use("Agg")  # files only: no display needed
    import matplotlib.pyplot as plt

    colour = {id(run): f"C{i % 10}" for i, run in enumerate(runs)}

    fig, ax = figure(plt, f"Fused accuracy ({split})", "accuracy")
    for run in runs:
        ax.plot(run.epochs, run.accuracy, color=colour[id(run)], marker=".", label=run.label)
    save(plt, fig, ax, os.path.join(out, "accuracy.png"))

    names = sorted({m for run in runs for m in run.modality_accuracy})
    styles = style_of(names)
    fig, ax = figure(plt, f"Per-modality accuracy ({split})", "accuracy")
    for run in runs:
        for m, values in run.modality_accuracy.items():
            ax.plot(run.epochs, values, color=colour[id(run)], linestyle=styles[m],
                    label=f"{run.label}: {m}")
    save(plt, fig, ax, os.path.join(out, "modality_accuracy.png"))

    with_rho = [run for run in runs if run.rho]
    if with_rho:
        styles = style_of(sorted({m for run in with_rho for m in run.rho}))
        fig, ax = figure(plt, "Mask ratio \u03c1 (mean, band \u00b1 std)", "\u03c1")
        for run in with_rho:
            for m, (epochs, mean, std) in sorted(run.rho.items()):
                ax.plot(epochs, mean, color=colour[id(run)], linestyle=styles[m],
                        label=f"{run.label}: {m}")
                ax.fill_between(epochs, [a - s for a, s in zip(mean, std)],
                                [a + s for a, s in zip(mean, std)], color=colour[id(run)],
                                alpha=0.15, linewidth=0)
        save(plt, fig, ax, os.path.join(out, "rho.png"))
    else:
        print(f"{PROG}: no run has rho (only AMSS runs do): rho.png not written", file=sys.stderr)

    fig, ax = figure(plt, f"Imbalance degree ({split})", "imbalance degree")
    for run in runs:
        ax.plot(run.epochs, run.imbalance, color=colour[id(run)], marker=".", label=run.label)
    save(plt, fig, ax, os.path.join(out, "imbalance.png"))


def parse_args(argv):
    p = argparse.ArgumentParser(
        prog=PROG, description="Plots the metrics.jsonl of mg-train runs into PNG files.")
    p.add_argument("runs", nargs="+", metavar="RUN_DIR", help="an mg-train run folder")
    p.add_argument("--out", help="folder for the PNGs (default: the run folder; required with "
                   "several runs)")
    p.add_argument("--split", choices=["val", "test"], default="val",
                   help="the split whose metrics to plot (default: val)")
    p.add_argument("--labels", help="comma-separated legend labels, one per run (default: each "
                   "run's method, else its folder's name)")
    args = p.parse_args(argv)
    if args.out is None:
        if len(args.runs) > 1:
            p.error("--out is required with several runs")
        args.out = args.runs[0]
    if args.labels is not None:
        args.labels = args.labels.split(",")
        if len(args.labels) != len(args.runs):
            p.error(f"--labels has {len(args.labels)} labels for {len(args.runs)} runs")
    return args


def main(argv=None):
    args = parse_args(argv)
    try:
        labels = args.labels or [None] * len(args.runs)
        runs = [load_run(d, args.split, label) for d, label in zip(args.runs, labels)]
    except RunError as e:
        print(f"{PROG}: error: {e}", file=sys.stderr)
        return 2
    if args.labels is None:
        distinct_labels(runs)
    os.makedirs(args.out, exist_ok=True)
    plot(runs, args.out, args.split)
    return 0


if __name__ == "__main__":
    sys.exit(main())
