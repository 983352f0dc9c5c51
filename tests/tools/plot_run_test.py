#!/usr/bin/python3
"""Tests tools/plot_run.py on fake mg-train run folders: the PNGs it writes (one run, several,
--split test), rho.png left out when no run has rho, and exit status 2 with a message naming the
file and line for bad input.

Registered with CTest (label `tools`), run with Debian's /usr/bin/python3. Needs
python3-matplotlib (./run.sh test installs it); without it the test fails, it does not skip.
"""
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import unittest

TOOL = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools",
                    "plot_run.py")
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
ALL_PNGS = ["accuracy.png", "modality_accuracy.png", "rho.png", "imbalance.png"]


def split_metrics(epoch):
    return {"loss": 1.5 - 0.1 * epoch, "accuracy": 0.4 + 0.05 * epoch, "macro_f1": 0.4,
            "mean_ap": 0.5, "modality_accuracy": {"audio": 0.4 + 0.04 * epoch, "visual": 0.3},
            "imbalance_degree": 0.14 - 0.01 * epoch}


def record(epoch, method=None, rho=False, test=False):
    r = {"epoch": epoch, "lr": 0.01,
         "train": {"loss": 1.7, "accuracy": 0.41, "seconds": 12.3, "step_ms": 40.1,
                   "samples_per_s": 250.0},
         "val": split_metrics(epoch)}
    if test:
        r["test"] = split_metrics(epoch)
    if rho:
        r["rho"] = {m: {"mean": 0.4 + 0.01 * epoch, "std": 0.05, "min": 0.3, "max": 0.5}
                    for m in ("audio", "visual")}
    if method:
        r["method"] = method
    return r


def write_run(directory, records, lines=None):
    os.makedirs(directory, exist_ok=True)
    text = lines if lines is not None else [json.dumps(r) for r in records]
    with open(os.path.join(directory, "metrics.jsonl"), "w", encoding="utf-8") as f:
        f.write("\n".join(text) + "\n")
    return directory


def run_tool(*args):
    return subprocess.run([sys.executable, TOOL, *args], capture_output=True, text=True)


class PlotRunTest(unittest.TestCase):
    def setUp(self):
        self.temp = tempfile.TemporaryDirectory(prefix="plot_run_test.")
        self.work = self.temp.name
        self.amss = write_run(os.path.join(self.work, "amss"),
                              [record(e, "amss_plus", rho=True, test=True) for e in range(3)])
        self.plain = write_run(os.path.join(self.work, "naive_run"),
                               [record(e, test=True) for e in range(3)])

    def tearDown(self):
        self.temp.cleanup()

    def assert_pngs(self, done, out, names):
        self.assertEqual(done.returncode, 0, done.stderr)
        paths = [os.path.join(out, n) for n in names]
        self.assertEqual(done.stdout.splitlines(), paths)
        for path in paths:
            with open(path, "rb") as f:
                self.assertEqual(f.read(8), PNG_SIGNATURE, path)

    def assert_error(self, done, *parts):
        self.assertEqual(done.returncode, 2, done.stdout + done.stderr)
        self.assertEqual(done.stdout, "")
        for part in parts:
            self.assertIn(part, done.stderr)
        self.assertNotIn("Traceback", done.stderr)

    def test_two_runs_write_every_plot(self):
        out = os.path.join(self.work, "plots")
        self.assert_pngs(run_tool(self.amss, self.plain, "--out", out), out, ALL_PNGS)

    def test_one_run_writes_into_its_folder(self):
        self.assert_pngs(run_tool(self.amss, "--split", "test"), self.amss, ALL_PNGS)

    def test_rho_is_skipped_when_no_run_has_it(self):
        out = os.path.join(self.work, "plots")
        other = write_run(os.path.join(self.work, "other"), [record(e, "naive") for e in range(2)])
        done = run_tool(self.plain, other, "--out", out, "--labels", "a,b")
        self.assert_pngs(done, out, ["accuracy.png", "modality_accuracy.png", "imbalance.png"])
        self.assertFalse(os.path.exists(os.path.join(out, "rho.png")))
        self.assertIn("rho.png not written", done.stderr)

    def test_missing_folder_and_file(self):
        missing = os.path.join(self.work, "nowhere")
        self.assert_error(run_tool(missing), missing)
        empty = os.path.join(self.work, "empty")
        os.makedirs(empty)
        self.assert_error(run_tool(empty), os.path.join(empty, "metrics.jsonl"))

    def test_malformed_line_names_file_and_line(self):
        bad = write_run(os.path.join(self.work, "bad"), None,
                        [json.dumps(record(0)), "{\"epoch\": 1, \"val\":"])
        self.assert_error(run_tool(bad), os.path.join(bad, "metrics.jsonl") + ":2", "malformed")
        bad = write_run(bad, None, ["[1, 2]"])
        self.assert_error(run_tool(bad), "metrics.jsonl:1", "malformed")

    def test_missing_key_names_file_line_and_key(self):
        broken = record(1)
        del broken["val"]["modality_accuracy"]
        bad = write_run(os.path.join(self.work, "bad"), [record(0), broken])
        self.assert_error(run_tool(bad), "metrics.jsonl:2", "val.modality_accuracy")
        # The plain run has no test split in this file.
        no_test = write_run(os.path.join(self.work, "no_test"), [record(0)])
        self.assert_error(run_tool(no_test, "--split", "test"), "metrics.jsonl:1", "'test'")

    def test_bad_arguments(self):
        self.assert_error(run_tool(self.amss, self.plain), "--out")
        self.assert_error(run_tool(self.amss, "--labels", "a,b"), "--labels")
        self.assert_error(run_tool(self.amss, "--split", "train"), "--split")

    def test_runs_of_one_method_are_told_apart_by_folder(self):
        spec = importlib.util.spec_from_file_location("plot_run", TOOL)
        tool = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(tool)
        again = write_run(os.path.join(self.work, "amss2"), [record(0, "amss_plus")])
        runs = [tool.load_run(d, "val") for d in (self.amss, again, self.plain)]
        tool.distinct_labels(runs)
        self.assertEqual([r.label for r in runs],
                         ["amss_plus (amss)", "amss_plus (amss2)", "naive_run"])

    def test_help(self):
        done = run_tool("--help")
        self.assertEqual(done.returncode, 0)
        self.assertIn("RUN_DIR", done.stdout)


if __name__ == "__main__":
    unittest.main()
