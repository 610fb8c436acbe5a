"""Sandbox overhead: child start-up, and the round trip of one request next to the same call in-process.

The KV-cache speed test makes about 256 round trips per timed run with small arrays, so the
figure that matters is the round trip of a (1, 1, 64) float64 array to a trivial function.
Goal: well under 1 ms. Usage: python bench/bench_sandbox.py [--calls 2000]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from quiz.check.sandbox import Limits, Sandbox

SOLUTION = '''
import numpy as np

def echo(x):
    return x

def ok():
    return 1

def step(x, w_q, w_k, w_v, w_o):
    return x @ w_q @ w_k @ w_v @ w_o
'''


def _quantiles(values: list[float]) -> str:
    ordered = sorted(values)
    median, p90 = statistics.median(ordered), ordered[int(0.9 * (len(ordered) - 1))]
    return f"{median * 1e6:9.1f} {p90 * 1e6:9.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=2000)
    calls = parser.parse_args().calls
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder, "solution.py")
        path.write_text(SOLUTION, encoding="utf-8")
        starts, closes = [], []
        for _ in range(5):
            box = Sandbox(path, Limits())
            began = time.perf_counter()
            box.start()
            starts.append(time.perf_counter() - began)
            began = time.perf_counter()
            box.close()
            closes.append(time.perf_counter() - began)
        print(f"start (spawn, NumPy import, load): median {statistics.median(starts) * 1e3:.1f} ms; "
              f"close (kill, reap): {statistics.median(closes) * 1e3:.1f} ms")

        x = np.random.default_rng(0).standard_normal((1, 1, 64))
        weights = [np.random.default_rng(i).standard_normal((64, 64)) for i in range(4)]
        with Sandbox(path, Limits()) as box:
            stored = [box.put(w) for w in weights]
            cases = {
                "ok() (no arrays)": lambda: box.call("ok"),
                "echo((1,1,64) float64)": lambda: box.call("echo", x),
                "step(x, 4 weights sent)": lambda: box.call("step", x, *weights),
                "step(x, 4 weights put)": lambda: box.call("step", x, *stored),
            }
            print(f"{'request':<26} {'round trip us':>19} {'whole call us':>19}")
            print(f"{'':<26} {'median':>9} {'p90':>9} {'median':>9} {'p90':>9}")
            for name, run in cases.items():
                trips, walls = [], []
                for _ in range(calls):
                    began = time.perf_counter()
                    run()
                    walls.append(time.perf_counter() - began)
                    trips.append(box.last_call_seconds)
                print(f"{name:<26} {_quantiles(trips)} {_quantiles(walls)}")
            big = np.zeros(1 << 20)  # 8 MiB each way
            began = time.perf_counter()
            for _ in range(20):
                box.call("echo", big)
            seconds = (time.perf_counter() - began) / 20
            print(f"echo of an 8 MiB array: {seconds * 1e3:.1f} ms ({2 * big.nbytes / seconds / 2**30:.2f} GiB/s)")
        began = time.perf_counter()
        for _ in range(calls):
            x @ weights[0] @ weights[1] @ weights[2] @ weights[3]
        local = (time.perf_counter() - began) / calls
        print(f"step() in-process, for comparison: {local * 1e6:.1f} us")


if __name__ == "__main__":
    main()
