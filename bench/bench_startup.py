"""Start-up time: the median of `attnquiz --help` next to `python -c "import click"`.

Both are measured in the same run, interleaved, so machine noise hits both alike.
Goal: a ratio under 1.5. Usage: python bench/bench_startup.py [--runs 21]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time


def _time(argv: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=21)
    runs = parser.parse_args().runs
    commands = {
        "import click": [sys.executable, "-c", "import click"],
        "attnquiz --help": [sys.executable, "-m", "quiz", "--help"],
        "attnquiz list": [sys.executable, "-m", "quiz", "list"],
    }
    for argv in commands.values():  # warm the file cache and the .pyc files
        _time(argv)
    samples: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(runs):
        for name, argv in commands.items():
            samples[name].append(_time(argv))
    base = statistics.median(samples["import click"])
    print(f"{'command':<18} {'median ms':>10} {'vs import click':>16}")
    for name, values in samples.items():
        median = statistics.median(values)
        print(f"{name:<18} {median * 1000:>10.1f} {median / base:>15.2f}x")
    ratio = statistics.median(samples["attnquiz --help"]) / base
    print(f"goal: attnquiz --help under 1.5x import click -> {'met' if ratio < 1.5 else 'NOT met'} ({ratio:.2f}x)")


if __name__ == "__main__":
    main()
