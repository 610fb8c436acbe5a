"""Sandbox cost at each isolation level, side by side in one run: start-up, close, round trips, a full check.

For every level this machine offers (strict: bubblewrap; uid: root's unprivileged-uid
fallback; process), measured interleaved (level A, B, A, B, ...) so the machine's load falls on
all alike:
- start: spawn, Python and NumPy start-up, loading a small solution; close: kill, reap, clean up;
- round trip of a request with no arrays, of a (1, 1, 64) float64 array, of a 4 x (64, 64) call;
- a full `attnquiz check` of solutions/attention.py (every exercise, speed and memory tests).
Each level runs with the layers this machine gives it (a cgroup per sandbox, the seccomp filter),
and again for start-up, close and round trips without them ("LEVEL bare": rlimits only, no
filter), to show what the layers cost. The ratios are each column's figure over the process
level's, from this one run. Goal: a full check at the strict level no slower than 1.3x the process level.

Usage: python bench/bench_sandbox.py [--calls 1000] [--starts 10] [--checks 2]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from quiz.check import cgroups, isolation, seccomp
from quiz.check.isolation import Level
from quiz.check.runner import CheckOptions, run_check
from quiz.check.sandbox import Limits, Sandbox

REPO = Path(__file__).resolve().parent.parent
SOLUTION = '''
import numpy as np

def echo(x):
    return x

def ok():
    return 1

def step(x, w_q, w_k, w_v, w_o):
    return x @ w_q @ w_k @ w_v @ w_o
'''


def _median_ms(values: list[float]) -> float:
    return statistics.median(values) * 1e3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=1000, help="round trips per request kind and level")
    parser.add_argument("--starts", type=int, default=10, help="sandboxes started per level")
    parser.add_argument("--checks", type=int, default=2, help="full checks per level")
    args = parser.parse_args()
    host = isolation.host()
    levels = [level for level in Level if host.works(level)]
    for level in Level:
        if not host.works(level):
            print(f"{level.value}: not available here ({host.problems[level]})")
    found = cgroups.support()
    print(f"limits: {found.limits} ({found.problem or 'cgroup ' + found.version()}); seccomp filter: "
          f"{'yes' if seccomp.program() is not None else 'no (libseccomp not found)'}")
    configs = [(level.value, level, {}) for level in levels]
    configs += [(f"{level.value} bare", level, {"cgroup": False, "filtered": False}) for level in levels]
    figures: dict[str, dict[str, list[float]]] = {label: {} for label, _, _ in configs}

    def add(label: str, name: str, value: float) -> None:
        figures[label].setdefault(name, []).append(value)

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder, "solution.py")
        path.write_text(SOLUTION, encoding="utf-8")
        for _ in range(args.starts):
            for label, level, layers in configs:
                box = Sandbox(path, Limits(), level, **layers)
                began = time.perf_counter()
                box.start()
                add(label, "start", time.perf_counter() - began)
                began = time.perf_counter()
                box.close()
                add(label, "close", time.perf_counter() - began)
        x = np.random.default_rng(0).standard_normal((1, 1, 64))
        weights = [np.random.default_rng(i).standard_normal((64, 64)) for i in range(4)]
        boxes = {label: Sandbox(path, Limits(), level, **layers) for label, level, layers in configs}
        try:
            for box in boxes.values():
                box.start()
            cases = {"ok()": lambda box: box.call("ok"), "echo (1,1,64)": lambda box: box.call("echo", x),
                     "step 4x(64,64)": lambda box: box.call("step", x, *weights)}
            for _ in range(args.calls):
                for label, box in boxes.items():
                    for name, run in cases.items():
                        run(box)
                        add(label, name, box.last_call_seconds)
        finally:
            for box in boxes.values():
                box.close()
    solution = REPO / "solutions" / "attention.py"
    for _ in range(args.checks):
        for level in levels:
            result = run_check(solution, CheckOptions(seed=1, isolation=level.value))
            assert result.passed and result.isolation == level.value, result.isolation
            add(level.value, "full check", result.seconds)

    rows = [("start", "ms", 1e3), ("close", "ms", 1e3), ("ok()", "us", 1e6), ("echo (1,1,64)", "us", 1e6),
            ("step 4x(64,64)", "us", 1e6), ("full check", "s", 1.0)]
    base = Level.PROCESS.value
    labels = [label for label, _, _ in configs]
    header = f"{'median':<22}" + "".join(f"{label:>15}" for label in labels)
    header += "".join(f"{label + '/process':>22}" for label in labels if label != base)
    print(header)
    for name, unit, scale in rows:
        medians = {label: statistics.median(figures[label][name]) if figures[label].get(name) else None
                   for label in labels}
        line = f"{name + ' (' + unit + ')':<22}" + "".join(
            f"{medians[label] * scale:15.2f}" if medians[label] is not None else f"{'-':>15}" for label in labels)
        line += "".join(f"{medians[label] / medians[base]:21.2f}x" if medians[label] is not None else f"{'-':>22}"
                        for label in labels if label != base)
        print(line)
    if Level.STRICT in levels:
        ratio = statistics.median(figures["strict"]["full check"]) / statistics.median(
            figures[base]["full check"])
        verdict = "met" if ratio <= 1.3 else "NOT met"
        print(f"goal (full check at strict <= 1.3x process): {ratio:.2f}x, {verdict}")


if __name__ == "__main__":
    main()
