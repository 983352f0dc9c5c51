"""What the PyTorch sides of the benchmarks share: each row runs in a forked child, so that its
peak RSS is its own and rows do not warm each other's caches (as on the C++ side)."""
import json
import os
import resource
import sys


def run_in_child(program, name, threads, measure, extra=None):
    """Runs measure() (the row's median ms) in a forked child with `threads` torch threads.

    Returns {"median_ms", "peak_rss_mb"} and whatever extra() (run in the child after measure)
    adds; exits naming `program` and the row if the child fails.
    """
    import torch

    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read_end)
        torch.set_num_threads(threads)
        median = measure()
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: kB
        result = {"median_ms": median, "peak_rss_mb": peak_mb, **(extra() if extra else {})}
        os.write(write_end, json.dumps(result).encode())
        os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end) as pipe:
        text = pipe.read()
    _, status = os.waitpid(pid, 0)
    if not text or status != 0:
        sys.exit(f"{program}: the child for row '{name}' failed")
    return json.loads(text)
